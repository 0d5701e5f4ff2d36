/**
 * phrases/notcompliantrfc - the message breaks RFC 5322 in a way the receiver will not accept (duplicate or malformed headers). Soft; sender side.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'notcompliantrfc' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  { pattern: /\bmultiple addresses in from:? header\b/, seen: '550-5.7.1 Messages with multiple addresses in From: header are not accepted.', note: 'Gmail' },
  { pattern: /\bduplicate header\b/, seen: "554 Transaction failed: Duplicate header 'DKIM-Signature'.", note: 'Amazon SES' },
  { pattern: /\bnot (?:rfc ?5322|rfc ?2822|rfc ?822) compliant\b|\bnon[- ]compliant with rfc ?5322\b/, seen: '550 5.7.1 Message is not RFC 5322 compliant' },
  { pattern: /\bmust be rfc ?5322\b/, seen: 'Message must be RFC 5322 section 3.6.2 compliant' },
  { pattern: /\b(?:missing|invalid|malformed|bad) (?:or (?:invalid|malformed|missing) )?(?:from|date|message-id|to):? header\b/, seen: '550 5.7.1 Missing Date header' },
  { pattern: /\bbare (?:lf|linefeed|cr)\b/, seen: '550 5.6.0 bare LF received' },
];

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /header|rfc|bare/;

export const table: ReasonPhrases = { reason: 'notcompliantrfc', rules, keys };
