/**
 * phrases/mailererror - a local delivery program (procmail, a pipe) failed on the receiving host. Soft.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'mailererror' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  { pattern: /\bmailer error\b/, seen: 'Recipient address rejected: Mailer error.' },
  { pattern: /\b(?:command|program|pipe) (?:died|failed|exited|terminated) (?:with|on)\b/, seen: 'Command died with status 1: "/usr/bin/procmail"' },
  { pattern: /\bprocmail\b|\bmaildrop\b/, seen: '554 "|IFS=\' \' && exec /usr/local/bin/procmail -f- || exit 75"... Service unavailable' },
];

export const table: ReasonPhrases = { reason: 'mailererror', rules };
