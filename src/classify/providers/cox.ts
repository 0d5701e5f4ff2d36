/**
 * providers/cox - Cox Communications (cloudfilter.net): AUP# codes name the reason.
 * In: Context. Out: a reason or null. Config keys: none.
 */
import type { Provider } from '../rules.js';

const SRC = 'Cox email error codes (cox.com/residential/support/email-error-codes)';

export const provider: Provider = {
  name: 'cox',
  hosts: /\b(?:cox\.net|cloudfilter\.net)\b/,
  marks: /\bcox\.com\/.*error-codes|aup#(?:cx|ipbl|urlbl|cdrbl)/,
  rules: [
    { pattern: /\b(?:cxbl|cdrbl|ipbl\d*|urlbl\d*|rrbl)\b|aup#(?:cx|cd|ip|url)/, reason: 'blocked', seen: '550 5.1.0 <bounce@example.com> sender rejected. Refer to Error Codes section at https://www.cox.com/... AUP#CDRBL', variant: "554 5.7.1 192.0.2.1 rejected - AUP#IPBL1000 https://www.cox.com/residential/support/email-error-codes.html", source: SRC, note: 'Cox blocklists (CSI/Spamhaus/URL)' },
    { pattern: /aup#cxtoomany|\btoo many connections\b/, reason: 'toomanyconn', seen: '421 AUP#CXTOOMANY too many connections', variant: "421 4.7.0 AUP#CXTOOMANY - too many connections from 192.0.2.1", source: SRC },
    { pattern: /aup#cxdns|\bdns\b/, reason: 'requireptr', seen: '550 AUP#CXDNS reverse DNS lookup failed', variant: "554 5.7.1 AUP#CXDNS - the sending IP has no reverse DNS", source: SRC },
  ],
};
