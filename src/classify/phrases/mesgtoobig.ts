/**
 * phrases/mesgtoobig - the message is larger than the receiving system accepts (RFC 3463 X.3.4). Soft.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'mesgtoobig' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  { pattern: /\bmessage (?:is )?too (?:large|big)\b/, seen: '552 5.3.4 Message too large' },
  { pattern: /\b(?:message|mail) size (?:exceeds|is over|too large|limit exceeded)\b/, seen: '552 5.3.4 Message size exceeds fixed maximum message size' },
  { pattern: /\bsize (?:of the )?(?:message )?exceeds (?:the )?(?:fixed )?maximum\b/, seen: 'Message size exceeds fixed maximum message size (10485760)' },
  { pattern: /\bexceeds (?:the )?(?:maximum|max) (?:message )?size\b/, seen: '552 Message exceeds maximum size' },
  { pattern: /\bmessage (?:file )?too big for system\b/, seen: '552 5.3.4 Message too big for system' },
  { pattern: /\b(?:email|message) (?:exceeded|exceeds) (?:the )?(?:size|length) limit\b/, seen: '552 Your message exceeded the size limit' },
];

export const table: ReasonPhrases = { reason: 'mesgtoobig', rules };
