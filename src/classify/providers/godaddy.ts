/**
 * providers/godaddy - GoDaddy / secureserver.net: IBnnn codes.
 * In: Context. Out: a reason or null. Config keys: none.
 */
import type { Provider } from '../rules.js';

const SRC = 'GoDaddy email bounce codes (IB1xx block, IB212 spam, IB3xx sender, IB5xx authentication)';

export const provider: Provider = {
  name: 'godaddy',
  hosts: /\bsecureserver\.net\b/,
  marks: /\bib\d{3}\b/,
  rules: [
    { pattern: /\bib212\b|\bjudged to be spam\b/, reason: 'spamdetected', seen: '552 This message has been rejected due to content judged to be spam by the internet community IB212', variant: "552 5.7.1 content judged to be spam by the Internet community IB212", source: SRC },
    { pattern: /\bspf\b/, reason: 'authfailure', seen: "550 5.1.0 192.0.2.222 is not allowed to send from <example.net> per it's SPF Record. IB508", variant: "550 5.7.1 SPF validation failed for the sending domain IB508", source: SRC },
    { pattern: /\bib10[0-9]\b|\bblocked\b|\bblacklist/, reason: 'blocked', seen: '554 IP 192.0.2.1 blocked IB103', variant: "554 Your IP 192.0.2.1 is blacklisted IB104", source: SRC },
    { pattern: /\bib3\d\d\b|\bfrom:? domain is invalid\b/, reason: 'rejected', seen: '550 5.2.0 From: Domain is invalid. Please provide a valid From:', variant: "550 5.2.0 Sender address rejected IB301", source: SRC },
  ],
};
