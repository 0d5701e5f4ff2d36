/**
 * providers/att - AT&T (att.net, sbcglobal, bellsouth): DNSBL:RBL and _is_blocked texts.
 * In: Context. Out: a reason or null. Config keys: none.
 */
import type { Provider } from '../rules.js';

const SRC = 'AT&T postmaster (rbl.att.net: DNSBL:RBL / DNSBL:ATT, abuse_rbl@abuse-att.net)';

export const provider: Provider = {
  name: 'att',
  hosts: /\b(?:att\.net|sbcglobal\.net|bellsouth\.net|prodigy\.net)\b/,
  marks: /abuse_rbl@abuse-att\.net|\bdnsbl:(?:rbl|att)\b/,
  rules: [
    { pattern: /\baddressee unknown\b/, reason: 'userunknown', seen: '550 5.2.1 <x@att.net>... Addressee unknown, relay=[192.0.2.25]', variant: '550 5.1.1 <x@sbcglobal.net>... Addressee unknown', source: 'AT&T inbound reply for a missing mailbox (smtp.codes/550, AT&T: "Addressee unknown, relay=")' },
    { pattern: /\bdnsbl:\w+\b|_is_blocked\b|\bis blocked\b|abuse_rbl@/, reason: 'blocked', seen: '553 5.3.0 flpd575 DNSBL:RBL 521< 192.0.2.1 >_is_blocked. For assistance forward this error to abuse_rbl@abuse-att.net', variant: "521 5.3.0 192.0.2.1 is blocked. For assistance forward this email to abuse_rbl@abuse-att.net", source: SRC },
  ],
};
