/**
 * providers/yandex - Yandex Mail (yandex.ru/.com/.by/.kz/.ua, ya.ru, mx.yandex.net). Its spam
 * refusals carry a bracketed category and a ya.cc short link.
 */
import type { Provider } from '../rules.js';

const YANDEX = 'Yandex Mail for senders: SMTP replies (yandex.com/support/mail: "Message rejected under suspicion of SPAM")';

export const provider: Provider = {
  name: 'yandex',
  hosts: /\b(?:yandex\.(?:ru|com|by|kz|ua|net)|ya\.ru|mx\.yandex\.net)\b/,
  marks: /\bya\.cc\/[0-9a-z]{2,12}\b/,
  rules: [
    { pattern: /\bsuspicion of spam\b/, reason: 'spamdetected', seen: '554 5.7.1 [2] Message rejected under suspicion of SPAM; https://ya.cc/1IrBc', variant: "554 5.7.1 [1] Message rejected under suspicion of SPAM; https://ya.cc/1IrBc 1682000000-abcdef", source: YANDEX },
    { pattern: /\bno such user\b|\buser (?:not found|unknown)\b/, reason: 'userunknown', seen: '550 5.7.1 No such user!', variant: '550 5.1.1 <x@yandex.ru>: no such user here', source: YANDEX },
    { pattern: /\bmailbox size limit exceeded\b|\bmailbox (?:is )?full\b|\bover ?quota\b/, reason: 'mailboxfull', seen: '552 5.2.2 Mailbox size limit exceeded', variant: "452 4.2.2 Mailbox is full, try again later", source: YANDEX },
    { pattern: /\bpolicy rejection on the target address\b/, reason: 'policyviolation', seen: '550 5.7.1 Policy rejection on the target address', variant: "550 5.7.1 Policy rejection on the target address x@yandex.ru", source: YANDEX },
  ],
};
