/**
 * providers/tencent - QQ Mail / Tencent Exmail: texts and help URLs.
 * In: Context. Out: a reason or null. Config keys: none.
 */
import type { Provider } from '../rules.js';

export const provider: Provider = {
  name: 'tencent',
  hosts: /\b(?:qq\.com|exmail\.qq\.com|tencent\.com|foxmail\.com)\b/,
  marks: /service\.mail\.qq\.com|service\.exmail\.qq\.com/,
  rules: [
    { pattern: /\bfrequency limited\b|\bconnection frequency\b/, reason: 'toomanyconn', seen: '550 Ip frequency limited [...]. http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=20022&&no=1000725' },
    { pattern: /\bdmarc\b|\bspf\b|\bdkim\b/, reason: 'authfailure', seen: '550 DMARC check failed. http://service.mail.qq.com/cgi-bin/help?subtype=1&&no=1001508&&id=16.' },
    { pattern: /\bmailbox (?:unavailable|not found)\b|\bdoes not exist\b|\bno such user\b/, reason: 'userunknown', seen: '550 Mailbox not found. http://service.mail.qq.com/' },
    { pattern: /\bmailbox (?:is )?full\b|\bquota\b/, reason: 'mailboxfull', seen: '552 Quota exceeded or service disabled.' },
    { pattern: /\bspam\b|\bcontent (?:rejected|is rejected|denied)\b/, reason: 'spamdetected', seen: '550 Mail content denied. http://service.mail.qq.com/' },
  ],
};
