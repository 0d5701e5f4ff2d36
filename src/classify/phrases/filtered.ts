/**
 * phrases/filtered - a recipient-side filter refused this message for this recipient after the address was accepted. Soft.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'filtered' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  { pattern: /\bmessage filtered\b/, seen: '550 5.2.0 Message Filtered' },
  { pattern: /\brejected by (?:the )?(?:recipient'?s? )?(?:domain|address) filter\b/, seen: 'this message was rejected by the domain filter', note: 'Japanese mobile carriers' },
  { pattern: /\brefused due to (?:the )?recipient(?:'s)? preferences?\b/, seen: '550 5.1.1 RCP-P2 Refused due to recipient preferences', note: 'Facebook' },
  { pattern: /\bheader error\b/, seen: '554 5.7.0 Header error (state 18).' },
  { pattern: /\bblocked by (?:the )?(?:recipient|user)(?:'s)? (?:filter|rules?|settings?)\b/, seen: 'blocked by the recipient filter' },
  { pattern: /\b(?:recipient|user) (?:has )?(?:blocked|rejected|refused) (?:you|your (?:address|message|mail)|(?:the )?sender|mail from)\b/, seen: '550 the recipient has blocked your address' },
];

export const table: ReasonPhrases = { reason: 'filtered', rules };
