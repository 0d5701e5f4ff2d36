/**
 * phrases/virusdetected - the receiver's virus scanner rejected the message. Category 1 (content), likely false positive.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'virusdetected' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  { pattern: /\bvirus(?:es)? (?:detected|found|infected)\b/, seen: '550 Virus Detected; Content Rejected' },
  { pattern: /\b(?:contains?|infected (?:with|by)) (?:a )?(?:virus|malware|worm|trojan)\b/, seen: '554 5.7.0 message contains a virus' },
  { pattern: /\binfected (?:attachment|file|message|content)\b/, seen: '550 Message contains infected attachment' },
  { pattern: /\bmalware (?:detected|found)\b/, seen: '554 malware detected' },
];

export const table: ReasonPhrases = { reason: 'virusdetected', rules };
