/**
 * phrases/exceedlimit - the message exceeds a limit the recipient (not the system) set (RFC 3463 X.2.3). Soft.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'exceedlimit' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  { pattern: /\bmessage length exceeds (?:administrative )?limit\b/, seen: '552 5.2.3 Message length exceeds limit set by recipient' },
  { pattern: /\bexceeds? (?:the )?(?:size )?limit set by (?:the )?recipient\b/, seen: '552 5.2.3 Message length exceeds limit set by recipient' },
  { pattern: /\bmessage too large for this recipient\b/, seen: '550 5.2.3 RESOLVER.RST.RecipSizeLimit; message too large for this recipient', note: 'Exchange' },
  { phrase: 'recipsizelimit', seen: 'RESOLVER.RST.RecipSizeLimit', note: 'Exchange' },
];

export const table: ReasonPhrases = { reason: 'exceedlimit', rules };
