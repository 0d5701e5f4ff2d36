/**
 * providers/mailru - Mail.ru group (mail.ru, bk.ru, inbox.ru, list.ru, internet.ru, mxs.mail.ru).
 * Its replies name the cause in plain words and point to help.mail.ru.
 */
import type { Provider } from '../rules.js';

const MAILRU = 'Mail.ru postmaster help (help.mail.ru/mail/postmaster, help.mail.ru/notspam-support)';

export const provider: Provider = {
  name: 'mailru',
  hosts: /\b(?:mail\.ru|bk\.ru|inbox\.ru|list\.ru|internet\.ru|mxs\.mail\.ru)\b/,
  marks: /\bhelp\.mail\.ru\b/,
  rules: [
    { pattern: /\bspam message rejected\b|\bsuspicion of spam\b|\bnotspam-support\b/, reason: 'spamdetected', seen: '550 spam message rejected. Please visit http://help.mail.ru/notspam-support/id?c=abc or report details to abuse@corp.mail.ru.', variant: '550 5.7.1 Message rejected under suspicion of SPAM. https://help.mail.ru/notspam-support', source: `${MAILRU}; Sisimai reason definition "spamdetected" ("spam message rejected." mail.ru)` },
    { pattern: /\bdynamic ips?\b|\bip (?:address )?(?:is )?(?:blocked|blacklisted)\b/, reason: 'blocked', seen: '550 We do not accept mail from dynamic IPs', variant: "550 5.7.1 IP address is blacklisted, see https://help.mail.ru/mail/postmaster", source: `${MAILRU}; Sisimai reason definition "blocked" ("we do not accept mail from dynamic ips" @mail.ru)` },
    { pattern: /\baccount is disabled\b|\bmailbox (?:is )?(?:disabled|blocked)\b/, reason: 'suspend', seen: '550 Message was not accepted -- invalid mailbox. Local mailbox x@mail.ru is unavailable: account is disabled', variant: "550 Message was not accepted -- invalid mailbox. Local mailbox x@bk.ru is unavailable: mailbox is blocked", source: MAILRU },
    { pattern: /\buser not found\b|\binvalid mailbox\b|\bno such user\b/, reason: 'userunknown', seen: '550 Message was not accepted -- invalid mailbox. Local mailbox x@mail.ru is unavailable: user not found', variant: '550 Message was not accepted -- invalid mailbox. Local mailbox x@bk.ru is unavailable: no such user', source: MAILRU },
    { pattern: /\bmailbox (?:is )?full\b|\bquota exceeded\b|\bover quota\b/, reason: 'mailboxfull', seen: '452 4.2.2 Mailbox is full: x@mail.ru', variant: "552 5.2.2 <x@inbox.ru>: quota exceeded", source: MAILRU },
  ],
};
