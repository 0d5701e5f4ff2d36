/**
 * providers/facebook - Facebook / Meta inbound mail: RCP-*, MSG-*, DNS-*, CON-* response codes
 * documented at postmaster.facebook.com/response_codes.
 * In: Context. Out: a reason or null. Config keys: none.
 */
import type { Provider } from '../rules.js';

const SRC = 'Facebook/Meta postmaster response codes (postmaster.facebook.com/response_codes)';

export const provider: Provider = {
  name: 'facebook',
  hosts: /\b(?:facebook\.com|facebookmail\.com|fb\.com)\b/,
  marks: /postmaster\.facebook\.com/,
  rules: [
    { pattern: /\brcp-p1\b/, reason: 'userunknown', seen: '550 5.1.1 RCP-P1 Recipient address does not exist', variant: "550 5.1.1 RCP-P1 http://postmaster.facebook.com/response_codes?ip=192.0.2.1#rcp Recipient address does not exist", source: SRC },
    { pattern: /\brcp-p[2-4]\b/, reason: 'filtered', seen: '550 5.1.1 RCP-P2 Refused due to recipient preferences', variant: "550 5.1.1 RCP-P3 http://postmaster.facebook.com/response_codes#rcp Recipient refuses messages", source: SRC, note: 'the recipient exists and chose not to receive' },
    { pattern: /\brcp-t[1-4]\b/, reason: 'systemerror', seen: '451 RCP-T1 Temporary recipient error', variant: "451 4.2.0 RCP-T4 http://postmaster.facebook.com/response_codes#rcp Temporary error, try again", source: SRC },
    { pattern: /\bdns-[pt][1-4]\b/, reason: 'rejected', seen: '550 DNS-P1 Sender domain has no MX or A record', variant: "550 5.1.8 DNS-P2 Sender domain has a bad MX record", source: SRC },
    { pattern: /\bcon-t[1-4]\b/, reason: 'toomanyconn', seen: '421 CON-T1 Too many connections', variant: "421 4.7.0 CON-T3 http://postmaster.facebook.com/response_codes#con Connection limit exceeded", source: SRC },
    { pattern: /\bmsg-p[1-4]\b/, reason: 'spamdetected', seen: '550 MSG-P1 Message refused', variant: "550 5.7.1 MSG-P2 http://postmaster.facebook.com/response_codes#msg Message content refused", source: SRC },
    { pattern: /\bpol-p[1-9]\b/, reason: 'blocked', seen: '550 POL-P1 Your mail server has been blocked', variant: "550 5.7.1 POL-P2 http://postmaster.facebook.com/response_codes#pol Your domain has been blocked", source: SRC },
  ],
};
