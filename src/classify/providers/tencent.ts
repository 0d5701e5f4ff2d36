/**
 * providers/tencent - QQ Mail / Tencent Exmail: texts and help URLs.
 * In: Context. Out: a reason or null. Config keys: none.
 */
import type { Provider } from '../rules.js';

const SRC = 'Tencent QQ Mail / Exmail help pages (service.mail.qq.com, service.exmail.qq.com)';

export const provider: Provider = {
  name: 'tencent',
  hosts: /\b(?:qq\.com|exmail\.qq\.com|tencent\.com|foxmail\.com)\b/,
  marks: /service\.mail\.qq\.com|service\.exmail\.qq\.com/,
  rules: [
    { pattern: /\bfrequency limited\b|\bconnection frequency\b/, reason: 'toomanyconn', seen: '550 Ip frequency limited [...]. http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=20022&&no=1000725', variant: "451 Ip frequency limited, please try later [MXSVR.x]. http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=20022&&no=1000725", source: SRC },
    { pattern: /\bdmarc\b|\bspf\b|\bdkim\b/, reason: 'authfailure', seen: '550 DMARC check failed. http://service.mail.qq.com/cgi-bin/help?subtype=1&&no=1001508&&id=16.', variant: "550 Mail rejected due to SPF check failure. http://service.mail.qq.com/cgi-bin/help?subtype=1&&no=1001508", source: SRC },
    { pattern: /\bmailbox unavailable or access denied\b|\bis a deactivated mailbox\b/, reason: 'suspend', seen: '550 Mailbox unavailable or access denied [MAIL_ACCESS_DENIED]', variant: "550 x@qq.com is a deactivated mailbox. http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=20022&&no=1000742", source: 'Tencent QQ Mail help 1000742 (deactivated mailbox); Sisimai reason definition "suspend" ("mailbox unavailable or access denied")' },
    { pattern: /\bmailbox (?:unavailable|not found)\b|\bdoes not exist\b|\bno such user\b/, reason: 'userunknown', seen: '550 Mailbox not found. http://service.mail.qq.com/', variant: "550 Mailbox unavailable. http://service.mail.qq.com/cgi-bin/help?subtype=1&&no=1000728", source: SRC },
    { pattern: /\bmailbox (?:is )?full\b|\bquota\b/, reason: 'mailboxfull', seen: '552 Quota exceeded or service disabled.', variant: "552 Mailbox is full. http://service.mail.qq.com/", source: SRC },
    { pattern: /\bspam\b|\bcontent (?:rejected|is rejected|denied)\b/, reason: 'spamdetected', seen: '550 Mail content denied. http://service.mail.qq.com/', variant: "550 Mail content is rejected as spam. http://service.mail.qq.com/cgi-bin/help?subtype=1&&no=1000726", source: SRC },
  ],
};
