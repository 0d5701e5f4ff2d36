/**
 * phrases/suppressed - the sending service suppressed the message because the address is on its suppression list. Soft (no new evidence).
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'suppressed' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  { pattern: /\b(?:on|in) (?:the |its |our |an? )?(?:account-level |global )?suppression list\b/, seen: 'Amazon SES did not send the message to this address because it is on the suppression list for your account.' },
  { pattern: /\bhas suppressed sending to this address\b|\brecipient that has been marked as inactive\b/, seen: 'Amazon SES has suppressed sending to this address because it has a recent history of bouncing as an invalid address.', note: 'Amazon SES global suppression; Postmark inactive recipients' },
  { pattern: /\bnot delivering to previously bounced address\b/, seen: 'Not delivering to previously bounced address', note: 'Mailgun' },
];

export const table: ReasonPhrases = { reason: 'suppressed', rules };
