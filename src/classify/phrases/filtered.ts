/**
 * phrases/filtered - a recipient-side filter refused this message for this recipient after the
 * address was accepted (the recipient's own rules, a carrier's per-user domain filter). Soft.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'filtered' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

const SISIMAI = 'Sisimai reason definition "filtered" (rejected by a filter after the DATA command)';

export const rules: PhraseRule[] = [
  {
    pattern: /\bmessage filtered\b(?!\. (?:please see|refer to))/,
    seen: '550 5.2.0 Message Filtered',
    variant: '550 5.2.0 <x@example.org>: message filtered by recipient rules',
    source: SISIMAI,
  },
  {
    pattern: /\brejected by (?:the )?(?:recipient'?s? )?(?:domain|address|sender|mail) filter\b|\bdomain filter\b/,
    seen: 'this message was rejected by the domain filter',
    variant: "550 the recipient's address filter rejected this message (domain filter)",
    source: 'NTT docomo / au (KDDI) / SoftBank per-recipient "domain filter" (reception settings of Japanese mobile carriers)',
  },
  {
    pattern: /\brefused due to (?:the )?recipient(?:'s)? preferences?\b|\bonly accepting mail from specific\b|\bnot accepting mail (?:with|from) (?:[^ :]{1,20} ){0,3}?(?:attachments|senders|embedded)\b/,
    seen: '550 5.1.1 RCP-P2 Refused due to recipient preferences',
    variant: '550 5.7.1 Recipient is only accepting mail from specific email addresses',
    source: `Facebook postmaster response codes (RCP-P2 "Refused due to recipient preferences"); AOL "recipient is only accepting mail from specific email addresses"; ${SISIMAI}`,
  },
  {
    pattern: /\bblocked by (?:the )?(?:recipient|user)(?:'s)? (?:filter|rules?|settings?|preferences?)\b|\b(?:recipient|user) (?:has )?(?:blocked|rejected|refused) (?:you|your (?:address|message|mail)|(?:the )?sender|mail from|this (?:sender|mail))\b|\byou have been blocked by the recipient\b/,
    seen: '550 the recipient has blocked your address',
    variant: '550 5.7.1 You have been blocked by the recipient; message rejected by user settings',
    source: `${SISIMAI} ("you have been blocked by the recipient", "user refuses to receive this mail")`,
  },
  {
    pattern: /\buser refuses? to receive\b|\bid refuses? to receive mail\b|\buser reject\b|\bmessage rejected due to user rules\b|\bhas restricted sms e-?mail\b|\baccount is protected by\b/,
    seen: '550 5.7.1 user refuses to receive this mail',
    variant: '550 Recipient ID refuse to receive mail from this sender',
    source: `${SISIMAI} ("user refuses to receive this mail", "recipient id refuse to receive mail" (Willcom), "has restricted sms e-mail" (AT&T))`,
  },
  {
    pattern: /\brecipients was rejected by a remote mail server\b/,
    seen: 'Each of the following recipients was rejected by a remote mail server.',
    variant: 'Each of the following recipients was rejected by a remote mail server. <x@ezweb.ne.jp>',
    source: 'KDDI EZweb notice (au postmaster): with no SMTP reply it is the recipient\'s own reception ("domain") filter (Sisimai lhost/ezweb)',
    note: 'the decoder writes this sentence only when no reply came back',
    mta: ['ezweb'],
  },
];

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /filter|preference|only accepting|not accepting|blocked|rejected|refused|refuse|reject|restricted|protected/;

export const table: ReasonPhrases = { reason: 'filtered', rules, keys };
