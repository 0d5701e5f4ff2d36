/**
 * providers/godaddy - GoDaddy / secureserver.net: IBnnn codes.
 * In: Context. Out: a reason or null. Config keys: none.
 */
import type { Provider } from '../rules.js';

export const provider: Provider = {
  name: 'godaddy',
  hosts: /\bsecureserver\.net\b/,
  marks: /\bib\d{3}\b/,
  rules: [
    { pattern: /\bib212\b|\bjudged to be spam\b/, reason: 'spamdetected', seen: '552 This message has been rejected due to content judged to be spam by the internet community IB212' },
    { pattern: /\bspf\b/, reason: 'authfailure', seen: "550 5.1.0 192.0.2.222 is not allowed to send from <example.net> per it's SPF Record. IB508" },
    { pattern: /\bib10[0-9]\b|\bblocked\b|\bblacklist/, reason: 'blocked', seen: '554 IP 192.0.2.1 blocked IB103' },
    { pattern: /\bib3\d\d\b|\bfrom:? domain is invalid\b/, reason: 'rejected', seen: '550 5.2.0 From: Domain is invalid. Please provide a valid From:' },
  ],
};
