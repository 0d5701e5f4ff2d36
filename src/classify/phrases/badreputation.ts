/**
 * phrases/badreputation - the receiver refuses or throttles because of the sending IP's or domain's
 * reputation. Category 1, likely false positive.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'badreputation' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

const SISIMAI = 'Sisimai reason definition "badreputation" (IP address reputation)';

export const rules: PhraseRule[] = [
  {
    pattern: /\b(?:low|bad|poor|very low|negative|insufficient) (?:[^ :]{1,20} ){0,2}?reputation\b/,
    seen: '550-5.7.1 Our system has detected that this message is likely suspicious due to the very low reputation of the sending IP address.',
    variant: '554 5.7.1 Rejected: the sending MTA has a poor email reputation score',
    source: `Google support.google.com/a/answer/3726730 (421 4.7.0 / 550 5.7.1 "very low reputation of the sending IP address/domain"); ${SISIMAI} ("a poor email reputation score")`,
  },
  {
    pattern: /\b(?:due to|because of|based on) (?:the |your |its )?(?:ip|domain|sender|sending|network)(?: address)? reputation\b|\breputation (?:of|for) (?:the |your )?(?:sending|sender) (?:ip|domain|mta)\b|\bip\/domain reputation\b/,
    seen: '451 4.7.650 The mail server [192.0.2.25] has been temporarily rate limited due to IP reputation.',
    variant: '421 4.7.0 Messages deferred because of the sender reputation of 192.0.2.1',
    source: 'Microsoft Exchange Online 451 4.7.650 ("temporarily rate limited due to IP reputation"); Sisimai reason definition "badreputation" ("ip/domain reputation problems")',
  },
  {
    phrase: 'none/bad reputation',
    seen: '554 IP=192.0.2.1 - A problem occurred. none/bad reputation',
    variant: '554 IP=192.0.2.9 - A problem occurred. (Ask your postmaster for help.) none/bad reputation',
    source: `Deutsche Telekom T-Online postmaster (postmaster.t-online.de: "none/bad reputation"); ${SISIMAI}`,
  },
];

export const table: ReasonPhrases = { reason: 'badreputation', rules };
