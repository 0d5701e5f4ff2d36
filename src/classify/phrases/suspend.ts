/**
 * phrases/suspend - the mailbox exists but is disabled, locked or suspended (RFC 3463 X.2.1, RFC 5248
 * X.7.13). Soft: an account may come back; the store escalates repeats.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'suspend' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

const SISIMAI = 'Sisimai reason definition "suspend" (recipient account is being suspended)';

export const rules: PhraseRule[] = [
  {
    // "your account" is the sender's own (a submission service), not the recipient's.
    pattern: /(?<!\byour |\bsender |\bsending )\b(?:account|mailbox|mail ?box|user|recipient|e-?mail account|inbox)(?: (?!server\b|host\b|connection\b)[^ :]{1,30}){0,2}? (?:has been |is |was |is currently |currently |has )?(?:temporarily |permanently |administratively )?(?:disabled|deactivated|suspended|inactive|frozen|locked|blocked by (?:its|the) owner|discontinued|archived)\b/,
    seen: 'This account has been disabled or discontinued [#102].',
    variant: '550 5.2.1 <x@example.org>: mailbox for this user is temporarily disabled',
    source: `RFC 3463 §3.3 X.2.1 "mailbox disabled, not accepting messages"; Yahoo Sender Hub SMTP error codes ("This account has been disabled or discontinued", "This mailbox is disabled (554.30)"); ${SISIMAI}`,
  },
  {
    pattern: /\b(?:disabled|deactivated|suspended|frozen|locked|archived|inactive) (?:recipient|mailbox|account|user)\b/,
    seen: '525 5.7.13 Disabled recipient address',
    variant: '550 5.7.13 <x@example.com>: user account disabled - deactivated mailbox',
    source: `RFC 5248 registry X.7.13 "user account disabled"; ${SISIMAI} ("inactive account", "archived recipient")`,
  },
  {
    pattern: /\baccount (?:that )?you tried to reach is (?:disabled|inactive)\b/,
    seen: '550-5.2.1 The email account that you tried to reach is disabled.',
    variant: '550-5.2.1 The email account that you tried to reach is inactive.\n550 5.2.1 For more information, go to https://support.google.com/mail/?p=DisabledUser',
    source: 'Google support.google.com/a/answer/3726730 (550 5.2.1 "account that you tried to reach is disabled / inactive", DisabledUser)',
  },
  {
    pattern: /\btemporar(?:y|ily) locked\b|\buser suspended\b|\brecipient suspend(?:ed)? the service\b|\bis unavailable: user is terminated\b/,
    seen: '550 5.7.1 User x@example.com temporary locked. Please try again later!',
    variant: '550 user suspended (http://mail.163.com/help/help_spam_16.htm)',
    source: `${SISIMAI} (" temporary locked", "user suspended", "recipient suspend the service")`,
  },
  {
    pattern: /\b(?:this )?(?:e-?mail )?address no longer accepts mail\b|\bmailbox (?:has )?expired\b/,
    seen: '550 5.2.1 This address no longer accepts mail.',
    variant: '550 mailbox has expired and no longer accepts mail',
    source: `${SISIMAI} ("this address no longer accepts mail")`,
  },
];

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /disabled|deactivated|suspend|inactive|frozen|locked|blocked by|discontinued|archived|terminated|no longer accepts|expired/;

export const table: ReasonPhrases = { reason: 'suspend', rules, keys };
