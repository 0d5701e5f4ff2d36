/**
 * phrases/notaccept - the recipient domain or host accepts no mail at all: a null MX (RFC 7505), or
 * RFC 7504's 521/556. Hard only as a permanent answer.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'notaccept' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  {
    pattern: /\bnull ?mx\b|\bmx or srv record indicated no smtp service\b/,
    seen: "The domain example.org doesn't receive email according to the administrator: returned Null MX",
    variant: '556 5.1.10 <x@example.com>: Recipient address rejected: Domain example.com does not accept mail (nullMX)',
    source: 'RFC 7505 §3 (null MX, 556 5.1.10); Postfix "Domain %s does not accept mail (nullMX)" (src/dns/dns_lookup.c); Exim "an MX or SRV record indicated no SMTP service" (src/routers/dnslookup.c)',
  },
  {
    pattern: /\b(?:host|domain|host\/domain|system|server)(?: \S{1,60})? (?:does not|doesn't|do not|will not|won't) (?:accept|receive) (?:any )?(?:e-?mail|mail|messages)\b(?! (?:from|over|with|for|by|via|unless)\b)|\bdoesn't receive email according to the administrator\b/,
    seen: "The domain example.org doesn't receive email according to the administrator",
    variant: '556 5.1.10 domain example.net does not accept mail',
    source: 'RFC 7504 §3 (521 "host does not accept mail", 556 "domain does not accept mail"); Sendmail "Host does not accept mail"; Apple iCloud "host/domain does not accept mail"',
  },
  {
    pattern: /\b(?:couldn't|could not|cannot|can't|unable to) find a mail exchanger\b/,
    seen: "Sorry, I couldn't find a mail exchanger or IP address. (#5.4.4)",
    variant: "Sorry, I could not find a mail exchanger or IP address for example.invalid. (#5.4.4)",
    source: 'qmail-remote "Sorry, I couldn\'t find a mail exchanger or IP address. (#5.4.4)" (qmail-remote.c)',
  },
  {
    pattern: /\bno mx (?:record )?(?:found|for)\b|\bno mx records?\b|\bno mail exchangers? (?:found|for)\b/,
    seen: 'No mx record found for domain=example.org',
    variant: 'example.org: No MX found for domain',
    source: 'Yahoo "No mx record found for domain=" (Sisimai reason definition "notaccept"); OpenSMTPD "No MX found for domain" (usr.sbin/smtpd/mta.c)',
  },
  {
    pattern: /\bsystem not accepting network messages\b|\bmail receiving disabled\b|\bnot accepting (?:any )?(?:network )?(?:messages|mail|e-?mail|connections)\b(?! (?:from|with|for|by)\b)/,
    seen: '521 5.3.2 System not accepting network messages',
    variant: '554 mx.example.com not accepting messages',
    source: 'RFC 3463 §3.4 X.3.2 "system not accepting network messages" (shutdown, load, maintenance); Sendmail FEATURE(greet_pause) "not accepting messages" (cf/feature/greet_pause.m4); Sisimai reason definition "notaccept" ("mail receiving disabled")',
    note: 'a state of the system, not of the domain: hard only with RFC 7504 521/556 (hardness.ts)',
  },
];

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /null ?mx|smtp service|accept|receive|mail exchanger|no mx|receiving disabled/;

export const table: ReasonPhrases = { reason: 'notaccept', rules, keys };
