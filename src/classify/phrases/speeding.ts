/**
 * phrases/speeding - the recipient or our sending rate is throttled by the receiver. Soft.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'speeding' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  { pattern: /\breceiving mail at a rate that prevents\b/, seen: '550-5.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered.', note: 'Gmail' },
  { pattern: /\b(?:rate|frequency) limit(?:ed|ing)?\b(?! due to (?:ip |domain )?reputation)/, seen: '450 4.2.1 The user you are trying to contact is receiving mail too quickly; rate limited' },
  { pattern: /\btoo (?:many|much) (?:mail|messages|emails) (?:too quickly|in a short|per)\b|\bsending (?:too fast|too quickly)\b/, seen: '421 4.7.0 Too many messages in a short period' },
  { pattern: /\b(?:exceeded|exceeds) (?:the )?(?:message |sending |hourly |daily )?rate\b/, seen: '452 exceeded message rate' },
  { pattern: /\bgrey ?list(?:ed|ing)?\b|\bgray ?list(?:ed|ing)?\b/, seen: '450 4.7.1 <x@example.com>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.com.html', note: 'greylisting: come back later; Marketo category 3 (throttling)' },
  { pattern: /\bunusual rate of mail\b/, seen: '421-4.7.28 Gmail has detected an unusual rate of mail originating from your IP address.', note: 'Gmail 4.7.28' },
];

export const table: ReasonPhrases = { reason: 'speeding', rules };
