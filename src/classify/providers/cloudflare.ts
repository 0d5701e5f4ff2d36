/**
 * providers/cloudflare - Cloudflare Email Routing (route*.mx.cloudflare.net).
 * In: Context. Out: a reason or null. Config keys: none.
 */
import type { Provider } from '../rules.js';

const SRC = 'Cloudflare Email Routing postmaster (developers.cloudflare.com/email-routing/postmaster)';

export const provider: Provider = {
  name: 'cloudflare',
  hosts: /\bmx\.cloudflare\.net\b/,
  marks: /developers\.cloudflare\.com\/email-routing/,
  rules: [
    { pattern: /\bupstream error\b/, reason: 'systemerror', seen: '421 4.3.0 Upstream error, please check https://developers.cloudflare.com/email-routing/postmaster', variant: "451 4.3.0 upstream error, please check https://developers.cloudflare.com/email-routing/postmaster/", source: SRC },
    { pattern: /\bdmarc\b|\bspf\b|\bdkim\b/, reason: 'authfailure', seen: '550 5.7.26 DMARC policy violation', variant: "550 5.7.26 This message does not pass authentication checks (SPF and DKIM both do not pass). SPF check fails. DKIM check fails.", source: SRC },
    { pattern: /\baddress does not exist\b|\bunknown address\b/, reason: 'userunknown', seen: '550 5.1.1 Address does not exist', variant: "550 5.1.1 unknown address: x@example.com", source: SRC },
  ],
};
