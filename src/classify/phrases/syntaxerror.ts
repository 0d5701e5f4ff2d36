/**
 * phrases/syntaxerror - the receiver did not understand our SMTP (bad sequence, unknown command). Soft; sender side.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'syntaxerror' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  { pattern: /\b(?:bad|improper) sequence of commands\b/, seen: '503 Improper sequence of commands' },
  { pattern: /\bcommand (?:parameter )?not (?:implemented|recognized|recognised)\b|\bsyntax error\b/, seen: '504 Command parameter not implemented' },
  { pattern: /\bline too long\b|\bunrecognized command\b/, seen: '500 5.5.1 Unrecognized command' },
];

export const table: ReasonPhrases = { reason: 'syntaxerror', rules };
