/**
 * providers/facebook - Facebook / Meta inbound mail: RCP-*, MSG-*, DNS-*, CON-* response codes
 * documented at postmaster.facebook.com/response_codes.
 * In: Context. Out: a reason or null. Config keys: none.
 */
import type { Provider } from '../rules.js';

export const provider: Provider = {
  name: 'facebook',
  hosts: /\b(?:facebook\.com|facebookmail\.com|fb\.com)\b/,
  marks: /postmaster\.facebook\.com/,
  rules: [
    { pattern: /\brcp-p1\b/, reason: 'userunknown', seen: '550 5.1.1 RCP-P1 Recipient address does not exist' },
    { pattern: /\brcp-p[2-4]\b/, reason: 'filtered', seen: '550 5.1.1 RCP-P2 Refused due to recipient preferences', note: 'the recipient exists and chose not to receive' },
    { pattern: /\brcp-t[1-4]\b/, reason: 'systemerror', seen: '451 RCP-T1 Temporary recipient error' },
    { pattern: /\bdns-[pt][1-4]\b/, reason: 'rejected', seen: '550 DNS-P1 Sender domain has no MX or A record' },
    { pattern: /\bcon-t[1-4]\b/, reason: 'toomanyconn', seen: '421 CON-T1 Too many connections' },
    { pattern: /\bmsg-p[1-4]\b/, reason: 'spamdetected', seen: '550 MSG-P1 Message refused' },
    { pattern: /\bpol-p[1-9]\b/, reason: 'blocked', seen: '550 POL-P1 Your mail server has been blocked' },
  ],
};
