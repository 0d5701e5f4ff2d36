/**
 * providers/mimecast - Mimecast gateways: "Envelope blocked", "Rejected by header based ..." texts
 * and the community.mimecast.com code URLs.
 * In: Context. Out: a reason or null. Config keys: none.
 */
import type { Provider } from '../rules.js';

const SRC = 'Mimecast SMTP error codes (community.mimecast.com DOC-1369)';

export const provider: Provider = {
  name: 'mimecast',
  hosts: /\bmimecast(?:-offshore)?\.(?:com|co\.za|net)\b/,
  marks: /community\.mimecast\.com|\bmimecast\b/,
  rules: [
    { pattern: /\benvelope blocked\b|\bip (?:address )?(?:is )?blocked\b|\bblocked senders\b|\brejected by (?:a )?policy\b/, reason: 'blocked', seen: '550 Envelope blocked - User Entry - https://community.mimecast.com/docs/DOC-1369#550', variant: "550 Rejected by header based Blocked Senders - https://community.mimecast.com/docs/DOC-1369#550", source: SRC },
    { pattern: /\binvalid recipient\b|\brecipient address rejected: access denied\b|\buser unknown\b/, reason: 'userunknown', seen: '550 Invalid Recipient - https://community.mimecast.com/docs/DOC-1369#550', variant: "550 Invalid recipient <x@example.com> - https://community.mimecast.com/docs/DOC-1369#550", source: SRC },
    { pattern: /\bunable to relay\b|\brelay(?:ing)? (?:denied|not permitted)\b/, reason: 'norelaying', seen: '550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain', variant: "550 Relaying denied - https://community.mimecast.com/docs/DOC-1369#550", source: SRC },
    { pattern: /\bspam\b|\bcontent (?:rejected|blocked)\b/, reason: 'spamdetected', seen: '554 Message rejected: spam signature detected', variant: "554 Email rejected due to spam content - https://community.mimecast.com/docs/DOC-1369#554", source: SRC },
  ],
};
