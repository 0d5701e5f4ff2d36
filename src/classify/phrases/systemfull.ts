/**
 * phrases/systemfull - the receiving system is out of disk or resources (RFC 3463 X.3.1, X.4.5).
 * Soft.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'systemfull' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  {
    pattern: /\binsufficient (?:\S{1,20} )?(?:disk|system) (?:space|storage|resources)\b|\binsufficient system storage\b/,
    seen: '452 4.4.5 Insufficient disk space; try again later',
    variant: '452 4.3.1 Insufficient system storage',
    source: 'RFC 5321 §4.2.2 452 "Requested action not taken: insufficient system storage"; Postfix smtpd "452 4.3.1 Insufficient system storage" (src/smtpd/smtpd.c, queue_minfree)',
  },
  {
    pattern: /\b(?:mail ?system|disk|file ?system|spool|queue|server|storage) (?:is |was )?(?:currently )?full\b/,
    seen: '452 4.3.1 Mail system full',
    variant: '451 4.3.1 the spool is full, try again later',
    source: 'RFC 3463 §3.4 X.3.1 "mail system full"; Sisimai reason definition "systemfull" ("mail system full")',
  },
  {
    pattern: /\bout of (?:disk|storage) space\b|\bno space left on device\b|\bnot sufficient (?:system|disk) (?:space|resources)\b/,
    seen: 'write error: No space left on device',
    variant: '451 4.3.0 queue file write error: No space left on device',
    source: 'errno ENOSPC "No space left on device" as local delivery agents report it; RFC 3463 §3.4 X.3.1',
  },
];

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /insufficient|full|space|sufficient/;

export const table: ReasonPhrases = { reason: 'systemfull', rules, keys };
