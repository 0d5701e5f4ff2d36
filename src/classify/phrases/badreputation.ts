/**
 * phrases/badreputation - the receiver rejects because of the sending IP's or domain's reputation. Category 1, likely false positive.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'badreputation' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  { pattern: /\b(?:low|bad|poor|very low|negative) reputation\b/, seen: '550-5.7.1 Our system has detected that this message is likely suspicious due to the very low reputation of the sending IP address.', note: 'Gmail' },
  { pattern: /\bdue to (?:the )?(?:ip|domain|sender|sending) reputation\b/, seen: '451 4.7.650 The mail server [192.0.2.25] has been temporarily rate limited due to IP reputation.', note: 'Microsoft 4.7.650' },
  { phrase: 'none/bad reputation', seen: '554 IP=192.0.2.1 - A problem occurred. none/bad reputation', note: 'T-Online' },
  { pattern: /\breputation (?:of|for) (?:the )?(?:sending|your) (?:ip|domain)\b/, seen: 'reputation of the sending IP address' },
];

export const table: ReasonPhrases = { reason: 'badreputation', rules };
