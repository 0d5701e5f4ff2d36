/**
 * phrases/systemerror - the receiving system failed internally (RFC 3463 X.3.0, X.3.5, X.4.3). Soft.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'systemerror' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  { pattern: /\b(?:internal|system|server|local) (?:server )?(?:error|failure|problem)\b/, seen: '554 5.3.0 Internal system error' },
  { pattern: /\bservice (?:currently |temporarily )?(?:unavailable|not available)\b/, seen: '554 Service currently unavailable' },
  { pattern: /\b(?:system|server) config(?:uration)? error\b|\bmisconfigur/, seen: '553 5.3.5 system config error' },
  { pattern: /\bqueue file write error\b|\bi\/o error\b|\bwrite error\b/, seen: '451 4.3.0 Error: queue file write error' },
  { pattern: /\binsufficient permission\b|\bpermission denied\b/, seen: 'X-Unix; 550 5.0.0 Insufficient permission', note: 'the local delivery agent exited with EX_NOPERM' },
  { pattern: /\btransaction failed\b/, seen: '554 Transaction failed' },
  { pattern: /\bupstream error\b/, seen: '421 4.3.0 Upstream error, please check https://developers.cloudflare.com/email-routing/postmaster', note: 'Cloudflare Email Routing' },
  { pattern: /\blocal error in processing\b|\berror in processing\b/, seen: '451 Requested action aborted: local error in processing' },
];

export const table: ReasonPhrases = { reason: 'systemerror', rules };
