/**
 * phrases/notaccept - the recipient domain or host accepts no mail at all (null MX RFC 7505, RFC 7504 521/556). Hard (5xx).
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'notaccept' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  { pattern: /\bnull mx\b/, seen: "The domain example.org doesn't receive email according to the administrator: returned Null MX" },
  { pattern: /\b(?:does not|doesn't|do not) (?:accept|receive) (?:any )?(?:e-?mail|mail|messages)\b/, seen: "The domain example.org doesn't receive email according to the administrator" },
  { pattern: /\b(?:couldn't|could not|cannot|can't|unable to) find a mail exchanger\b/, seen: "Sorry, I couldn't find a mail exchanger or IP address. (#5.4.4)", note: 'qmail' },
  { pattern: /\bno mx (?:record )?(?:found|for)\b|\bno mx records?\b/, seen: 'No mx record found for domain=example.org' },
  { pattern: /\bmalformed or unexpected name server reply\b/, seen: 'Name service error for name=x type=MX: Malformed or unexpected name server reply' },
  { pattern: /\bsystem not accepting network messages\b/, seen: '521 5.3.2 System not accepting network messages' },
  { pattern: /\bnot accepting (?:any )?(?:mail|messages)\b/, seen: '554 host does not accept mail / not accepting mail' },
];

export const table: ReasonPhrases = { reason: 'notaccept', rules };
