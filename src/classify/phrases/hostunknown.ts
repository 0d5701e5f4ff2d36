/**
 * phrases/hostunknown - the recipient's domain does not exist or has no mail host (RFC 3463 X.1.2,
 * X.4.4). Hard only as a permanent answer: the same words with a temporary qualifier ("Host not
 * found, try again") are a DNS failure that may pass (networkerror, see refine).
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'hostunknown', or 'networkerror' /
 * 'blocked' / 'rejected' (refine). Config keys: none.
 */
import type { Context, PhraseRule, ReasonPhrases } from '../rules.js';
import type { Reason } from '../../types.js';
import { TEMPORARY } from '../hardness.js';

const SISIMAI = 'Sisimai reason definition "hostunknown" (domain part of the recipient address does not exist)';

export const rules: PhraseRule[] = [
  {
    pattern: /\bhost or domain name not found\b/,
    seen: 'Host or domain name not found. Name service error for name=example.jp type=A: Host not found',
    variant: '<a@nowhere.example>: Host or domain name not found. Name service error for\n name=nowhere.example type=MX: Host not found',
    source: 'Postfix smtp client "Host or domain name not found. Name service error for name=%s type=%s: %s" (src/smtp/smtp_addr.c, src/dns/dns_lookup.c)',
  },
  {
    pattern: /\bhost (?:\S{1,20} )?(?:not found|unknown)\b|\bunknown (?:host|domain)\b|\bname or service not known\b/,
    seen: '550 Host unknown (Authoritative answer from name server)',
    variant: '550 5.1.2 <x@nowhere.example>... Host unknown (Name server: nowhere.example: host not found)',
    source: 'Sendmail "Host unknown (Name server: %s: host not found)" (sendmail/deliver.c, sendmail/domain.c); getaddrinfo EAI_NONAME "Name or service not known"',
  },
  {
    pattern: /\b(?:recipient |destination |mail )?domain (?:name )?(?:\S{1,60} )?(?:does not|doesn't|must) exists?\b|\bdns domain \S{1,255} does not exist\b|\bno such domain\b|\bnon-?existent domain\b|\bnxdomain\b/,
    seen: 'x@example.jp: Domain does not exist',
    variant: '554 5.4.4 SMTPSEND.DNS.NonExistentDomain; nonexistent domain',
    source: 'OpenSMTPD "Domain does not exist" (usr.sbin/smtpd/mta.c); Courier "No such domain."; Microsoft Exchange "SMTPSEND.DNS.NonExistentDomain", Exchange Online 5.4.310 "DNS domain %s does not exist"',
  },
  {
    pattern: /\bthe account or domain may not exist\b|\bmail domain mentioned in email address is unknown\b|\bunknown domain name\b/,
    seen: 'The mail server could not deliver mail to x@example.net. The account or domain may not exist, they may be blacklisted, or missing the proper dns entries.',
    variant: '550 5.1.2 Recipient address rejected: unknown domain name (example.net)',
    source: `cPanel/Exim callout failure text ("The account or domain may not exist"); ${SISIMAI}`,
    note: "'may be blacklisted' is boilerplate, not evidence",
  },
  {
    pattern: /\bunrou?teable (?:mail )?(?:address|domain)\b|\bmx records? points? to non-?existent hosts?\b|\ball host address lookups failed permanently\b/,
    seen: 'all relevant MX records point to non-existent hosts',
    variant: 'Unrouteable address: all host address lookups failed permanently',
    source: 'Exim dnslookup router and smtp transport: "Unrouteable address", "all relevant MX records point to non-existent hosts", "all host address lookups failed permanently" (src/routers/dnslookup.c, src/transports/smtp.c)',
  },
  {
    pattern: /\b(?:couldn't|could not|cannot|can't|unable to) find any host (?:named|by that name)\b/,
    seen: "Sorry, I couldn't find any host named cx.example.com. (#5.1.2)",
    variant: "Sorry, I could not find any host named example.invalid. (#5.1.2)",
    source: 'qmail-remote "Sorry, I couldn\'t find any host named %s. (#5.1.2)" (qmail-remote.c)',
  },
  {
    pattern: /\b(?:recipient )?domain (?:name )?(?:is )?(?:not found|invalid|not reachable|unreachable)\b|\binvalid domain(?: name)?\b|\bdomain \S{1,255} couldn't be found\b|\bdomain name not found\b|\billegal host\/domain name\b/,
    seen: '554 The mail could not be delivered to the recipient because the domain is not reachable.',
    variant: "Your message wasn't delivered to x@example.jp because the domain example.jp couldn't be found.",
    source: 'Outlook.com "the domain is not reachable"; Google Workspace bounce "because the domain %s couldn\'t be found" and "DNS Error: Domain name not found"; OpenSMTPD "Invalid domain name"',
  },
  {
    pattern: /\bmalformed (?:or unexpected )?name server reply\b/,
    seen: 'Name service error for name=example.org type=MX: Malformed or unexpected name server reply',
    variant: '<x@example.org>: Name service error for name=example.org type=MX:\n Malformed or unexpected name server reply',
    source: 'Postfix dns_lookup() "Malformed or unexpected name server reply" for an invalid DNS answer (src/dns/dns_lookup.c), reported with 5.4.4 "unable to route" (src/smtp/smtp_addr.c); temporary forms go to networkerror (refine)',
  },
  {
    pattern: /\bweren't able to find the recipient domain\b/,
    seen: "553 5.1.2 We weren't able to find the recipient domain.",
    variant: "553-5.1.2 We weren't able to find the recipient domain. Please check for any\n553 5.1.2 spelling errors",
    source: 'Google support.google.com/a/answer/3726730 (553 5.1.2 "We weren\'t able to find the recipient domain")',
  },
  {
    pattern: /\bno mx found for domain\b/,
    seen: 'x@example.org: No MX found for domain',
    variant: 'No MX found for domain example.org',
    source: 'OpenSMTPD mta "No MX found for domain" (usr.sbin/smtpd/mta.c): its own lookup found no mail host for the domain',
    mta: ['opensmtpd'],
  },
];

/**
 * "No such domain" is about whichever domain the command named: answered to HELO it is our host
 * name (blocked), to MAIL FROM our sender domain (rejected). A 4xx answer, or a temporary qualifier
 * ("Host not found, try again", Postfix's TRY_AGAIN), is a DNS failure that may pass (networkerror):
 * only a permanent answer proves the recipient domain does not exist.
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
      return ctx.klass === '4' || TEMPORARY.test(ctx.reply) ? 'networkerror' : 'hostunknown';
  }
}

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /host|domain|name or service|nxdomain|unrou?teable|mx record|name server reply/;

export const table: ReasonPhrases = { reason: 'hostunknown', rules, refine, keys };
