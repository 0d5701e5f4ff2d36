/**
 * phrases/hostunknown - the recipient's domain does not exist or has no mail host (RFC 3463 X.1.2, X.4.4). Hard (5xx).
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'hostunknown' when a rule matches.
 * Config keys: none.
 */
import type { Context, PhraseRule, ReasonPhrases } from '../rules.js';
import type { Reason } from '../../types.js';

export const rules: PhraseRule[] = [
  { pattern: /\bhost (?:or domain name )?(?:not found|unknown)\b/, seen: 'Host or domain name not found. Name service error for name=example.jp type=A: Host not found' },
  { pattern: /\b(?:domain|host) (?:name )?(?:does not|doesn't) exist\b/, seen: 'x@example.jp: Domain does not exist' },
  { pattern: /\bdns domain \S+ does not exist\b/, seen: '550 5.4.310 DNS domain nowhere.example does not exist', note: 'Exchange Online' },
  { pattern: /\bthe account or domain may not exist\b/, seen: 'The mail server could not deliver mail to x@example.net. The account or domain may not exist, they may be blacklisted, or missing the proper dns entries.', note: "cPanel/Exim callout failure: the remote could not verify the address at all; 'may be blacklisted' is boilerplate, not evidence. Account or domain: both are hard." },
  { pattern: /\bunrouteable address\b|\bmx records? points? to non-?existent hosts?\b/, seen: 'all relevant MX records point to non-existent hosts', note: 'Exim: the dnslookup router found no usable host for the domain' },
  { pattern: /\bnon-?existent domain\b/, seen: '554 5.4.4 SMTPSEND.DNS.NonExistentDomain; nonexistent domain', note: 'Exchange' },
  { pattern: /\bno such domain\b/, seen: 'No such domain.' },
  { pattern: /\bunknown (?:host|domain)\b/, seen: 'x@example.com ... unknown host' },
  { pattern: /\b(?:couldn't|could not|cannot|can't|unable to) find any host named\b/, seen: "Sorry, I couldn't find any host named cx.example.com. (#5.1.2)", note: 'qmail' },
  { pattern: /\billegal host\/domain name\b/, seen: 'Illegal host/domain name found' },
  { pattern: /\bdomain (?:is )?not reachable\b/, seen: '554 The mail could not be delivered to the recipient because the domain is not reachable.', note: 'Outlook.com' },
  { pattern: /\b(?:recipient )?domain (?:name )?(?:not found|is invalid|invalid)\b|\binvalid domain\b/, seen: '550 5.4.4 Invalid domain' },
  { pattern: /\bweren't able to find the recipient domain\b/, seen: "553 5.1.2 We weren't able to find the recipient domain.", note: 'Gmail' },
  { pattern: /\bname service error\b(?:(?!\bname service error\b).)*\bhost not found\b/, seen: 'Name service error for name=x type=AAAA: Host not found' },
];

/**
 * "No such domain" is about whichever domain the command named: answered to HELO it is our host
 * name (blocked), to MAIL FROM our sender domain (rejected). A 4xx answer is a DNS failure that may
 * pass (networkerror): only a permanent answer proves the recipient domain does not exist.
 */
export function refine(ctx: Context): Reason {
  if (/^[45]\.1\.[78]$/.test(ctx.status)) return 'rejected';
  switch (ctx.command) {
    case 'CONN':
    case 'HELO':
    case 'EHLO':
      return 'blocked';
    case 'MAIL':
      return 'rejected';
    default:
      return ctx.klass === '4' ? 'networkerror' : 'hostunknown';
  }
}

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /host|domain|unrouteable/;

export const table: ReasonPhrases = { reason: 'hostunknown', rules, refine, keys };
