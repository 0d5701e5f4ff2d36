/**
 * providers/comcast - Comcast (comcast.net): BLnnnnnn / RLnnnnnn codes from postmaster.comcast.net.
 * In: Context. Out: a reason or null. Config keys: none.
 */
import type { Provider } from '../rules.js';

const SRC = 'Comcast postmaster: SMTP error codes (postmaster.comcast.net/smtp-error-codes)';

export const provider: Provider = {
  name: 'comcast',
  hosts: /\bcomcast\.net\b/,
  marks: /\b(?:bl|rl)0000\d\d\b/,
  rules: [
    { pattern: /\bbl0000\d\d\b/, reason: 'blocked', seen: '554 resimta-ch2-18v.sys.comcast.net comcast 192.0.2.1 Comcast block for spam. Please see http://postmaster.comcast.net/smtp-error-codes.php#BL000000', variant: "554 resimta-po-20v.sys.comcast.net comcast 192.0.2.1 found on one or more DNSBLs, see http://postmaster.comcast.net/smtp-error-codes.php#BL000001", source: SRC },
    { pattern: /\brl0000\d\d\b/, reason: 'speeding', seen: '421 4.7.0 Comcast RL000010 rate limited', variant: "421 resimta-h1p-027.sys.comcast.net comcast 192.0.2.1 Too many sessions. Please see http://postmaster.comcast.net/smtp-error-codes.php#RL000001", source: SRC },
  ],
};
