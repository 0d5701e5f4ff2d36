/**
 * phrases/networkerror - the route to the receiver failed: DNS trouble, lost connections, routing loops. Soft.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'networkerror' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  { pattern: /\b(?:hop count|too many hops|max(?:imum)? ?hop count) (?:exceeded|reached)?\b|\btoo many hops\b/, seen: '554 5.4.6 Too many hops' },
  { pattern: /\b(?:routing|mail) loop\b|\bloops back to myself\b/, seen: 'Maximum hop count exceeded. Message probably in a routing loop.' },
  { pattern: /\blost connection with\b/, seen: 'lost connection with mx2.example.com[192.0.2.86] while performing the HELO handshake' },
  { pattern: /\bnetwork (?:error|is unreachable|unreachable)\b/, seen: 'Network error on destination MXs' },
  { pattern: /\bdns (?:error|query failed|lookup failed|failure|timeout|server failure)\b|\bservfail\b/, seen: '550 5.4.312 Message expired, DNS query failed' },
  { pattern: /\bwasn't able to establish an smtp connection\b|\bunable to establish (?:an )?smtp connection\b/, seen: "Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)", note: 'qmail' },
  { pattern: /\bconnection (?:reset|dropped|closed) by (?:peer|remote host)\b/, seen: 'Connection reset by peer during result wait' },
  { pattern: /\bno route to host\b|\bhost unreachable\b/, seen: 'connect to x[192.0.2.1]:25: No route to host' },
  { pattern: /\bresponded with code nxdomain\b|\bhad no relevant answers\b/, seen: "DNS type 'mx' lookup of example.jp responded with code NXDOMAIN", note: 'Gmail: the lookup failed while retrying, reported as a DNS error' },
];

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /hop|loop|connection|network|dns|servfail|route|unreachable|nxdomain|relevant answers/;

export const table: ReasonPhrases = { reason: 'networkerror', rules, keys };
