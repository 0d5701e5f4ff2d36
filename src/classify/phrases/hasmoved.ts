/**
 * phrases/hasmoved - the mailbox moved and no forwarding is set (RFC 3463 X.1.6, X.7.17/18). Hard.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'hasmoved' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  { pattern: /\bno longer (?:on|at|with) (?:this )?(?:server|domain|host)\b/, seen: '550 5.1.6 recipient no longer on server: x@example.jp' },
  { pattern: /\b(?:mailbox|address|user|recipient) has (?:been )?moved\b/, seen: '550 5.1.6 Destination mailbox has moved, No forwarding address' },
  { pattern: /\bhas moved(?:,| to| and)? no forwarding\b/, seen: 'mailbox has moved, no forwarding address' },
  { pattern: /\bmailbox owner has changed\b/, seen: '550 5.7.17 Mailbox owner has changed' },
];

export const table: ReasonPhrases = { reason: 'hasmoved', rules };
