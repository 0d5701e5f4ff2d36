/**
 * phrases/suspend - the mailbox exists but is disabled, locked or suspended (RFC 3463 X.2.1, X.7.13). Soft.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'suspend' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  { pattern: /\b(?:account|mailbox|user|address|recipient)(?: \S+)? (?:has been |is |was )?(?:temporarily |currently )?(?:disabled|deactivated|suspended|inactive|frozen|locked|blocked by its owner|discontinued)\b/, seen: 'This account has been disabled or discontinued [#102].' },
  { pattern: /\b(?:disabled|deactivated|suspended|frozen|locked) (?:recipient|mailbox|account|user|e-?mail address)\b/, seen: '525 5.7.13 Disabled recipient address' },
  { pattern: /\baccount (?:that you tried to reach )?is (?:disabled|inactive)\b/, seen: '550-5.2.1 The email account that you tried to reach is disabled.', note: 'Gmail' },
  { phrase: 'user account disabled', seen: '525 5.7.13 User account disabled' },
  { pattern: /\btemporar(?:y|ily) locked\b/, seen: '550 5.7.1 User x@example.com temporary locked. Please try again later!' },
  { pattern: /\b(?:mailbox|account) (?:has )?expired\b/, seen: '550 Mailbox expired' },
  { phrase: 'the user(s) account is disabled', seen: 'The user(s) account is disabled.', note: 'KDDI au (ezweb)' },
];

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /disabled|deactivated|suspended|inactive|frozen|locked|blocked by its owner|discontinued|expired/;

export const table: ReasonPhrases = { reason: 'suspend', rules, keys };
