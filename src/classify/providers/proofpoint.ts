/**
 * providers/proofpoint - Proofpoint gateways (pphosted.com, ppe-hosted.com) and the Proofpoint
 * Dynamic Reputation lists that many receivers query: their refusals point to ipcheck.proofpoint.com
 * or the dnsbl-lookup page and are about our IP.
 */
import type { Provider } from '../rules.js';

const PP = 'Proofpoint: Dynamic Reputation and IP check (ipcheck.proofpoint.com, support.proofpoint.com/dnsbl-lookup.cgi)';

export const provider: Provider = {
  name: 'proofpoint',
  hosts: /\b(?:pphosted\.com|ppe-hosted\.com|proofpoint\.com)\b/,
  marks: /\bipcheck\.proofpoint\.com\b|\bproofpoint\.com\/dnsbl/,
  rules: [
    { pattern: /\bipcheck\.proofpoint\.com\b|\bproofpoint\.com\/dnsbl|\bblocked - see\b/, reason: 'blocked', seen: '550 5.7.0 Blocked - see https://support.proofpoint.com/dnsbl-lookup.cgi?ip=192.0.2.1', variant: '554 5.7.1 Blocked - see https://ipcheck.proofpoint.com/?ip=192.0.2.1', source: PP },
    { pattern: /\bspam\b|\bbulk\b/, reason: 'spamdetected', seen: '554 5.7.1 Message blocked due to spam content', variant: "554 5.7.1 Rejected for bulk mail content", source: 'Proofpoint Essentials / Proofpoint Protection Server rejection for spam-classified messages' },
  ],
};
