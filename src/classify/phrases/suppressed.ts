/**
 * phrases/suppressed - the sending service refused the message itself because the address is on its
 * suppression list. Soft: no new evidence about the address, only a record of an older bounce.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'suppressed' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  {
    pattern: /\b(?:on|in) (?:the |its |our |your |an? )?(?:account-level |global )?suppression list\b/,
    seen: 'Amazon SES did not send the message to this address because it is on the suppression list for your account.',
    variant: 'Amazon SES did not send the message because the address is on the account-level suppression list.',
    source: 'Amazon SES developer guide: account-level suppression list (docs.aws.amazon.com/ses/latest/dg/sending-email-suppression-list.html)',
  },
  {
    pattern: /\bhas suppressed sending to this address\b|\brecipients?(?:\(s\))? that (?:has|have) been marked as inactive\b|\binactive recipient\b/,
    seen: 'Amazon SES has suppressed sending to this address because it has a recent history of bouncing as an invalid address.',
    variant: 'You tried to send to recipient(s) that have been marked as inactive.',
    source: 'Amazon SES global suppression (bounce notification "Suppressed"); Postmark API error 406 "inactive recipient" (postmarkapp.com/developer/api/overview)',
  },
  {
    pattern: /\bnot delivering to (?:a )?previously bounced address\b|\bpreviously (?:bounced|unsubscribed|complained)(?: [^ :]{1,20}){0,2}? address\b/,
    seen: 'Not delivering to previously bounced address',
    variant: 'Not delivering to a previously bounced address (suppressed)',
    source: 'Mailgun event "failed" with reason "suppress-bounce": "Not delivering to previously bounced address" (documentation.mailgun.com)',
  },
];

export const table: ReasonPhrases = { reason: 'suppressed', rules };
