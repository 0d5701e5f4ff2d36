/**
 * phrases/systemfull - the receiving system is out of disk or resources (RFC 3463 X.3.1, X.4.5). Soft.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'systemfull' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  { pattern: /\binsufficient (?:disk|system) (?:space|storage|resources)\b/, seen: '452 4.4.5 Insufficient disk space; try again later' },
  { pattern: /\b(?:mail ?system|disk|file ?system|spool|server) (?:is )?full\b/, seen: '452 4.3.1 Mail system full' },
  { pattern: /\bout of (?:disk|storage) space\b|\bno space left on device\b/, seen: 'write error: No space left on device' },
];

export const table: ReasonPhrases = { reason: 'systemfull', rules };
