/**
 * phrases/contenterror - the receiver cannot handle the message's content or encoding (RFC 3463 X.6.x). Soft; sender side.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'contenterror' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  { pattern: /\bimproper use of 8-bit data\b/, seen: '550 5.6.9 improper use of 8-bit data in message header' },
  { pattern: /\bmedia (?:error|type not supported)\b/, seen: 'Recipient address rejected: Media error.' },
  { pattern: /\b(?:encoding|conversion) (?:error|failed|required|not possible)\b/, seen: '554 5.6.5 conversion failed' },
  { pattern: /\bheaders? (?:line )?too long\b/, seen: '552 5.6.0 Headers too long' },
  { pattern: /\battachment(?:s)? (?:type )?(?:not allowed|rejected|blocked|prohibited)\b/, seen: '552 attachment type not allowed' },
];

export const table: ReasonPhrases = { reason: 'contenterror', rules };
