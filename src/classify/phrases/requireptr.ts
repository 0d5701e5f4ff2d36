/**
 * phrases/requireptr - the sending host has no reverse DNS (PTR) or one that does not match, and the
 * receiver requires it (RFC 7372 X.7.25). Soft, and a likely false positive: the cause is our DNS.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'requireptr' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

const SISIMAI = 'Sisimai reason definition "requireptr" (missing or invalid PTR record)';

export const rules: PhraseRule[] = [
  {
    pattern: /\b(?:no|missing|invalid|bad|without|lacks?|generic) (?:an? )?(?:valid |proper )?(?:dns )?(?:ptr|rdns|reverse dns|reverse-dns|reverse lookup|reverse dns name)(?: record| entry| records)?\b/,
    seen: '571 No PTR Record found. Reverse DNS required',
    variant: '550 5.7.25 We do not accept mail from hosts without a valid reverse DNS entry (192.0.2.1)',
    source: `RFC 7372 §3.3 X.7.25 "reverse DNS validation failed"; ${SISIMAI} ("no ptr record found.", "ips with missing ptr records")`,
  },
  {
    pattern: /\b(?:ptr|rdns|reverse dns|reverse-dns)(?: record)?(?: [^ :]{1,30}){0,3}? (?:required|failed|failure|lookup (?:failed|failure|rejected)|check failed|mismatch|does not match|not found|validation)\b|\breverse dns lookup for host \S{1,80} failed\b|\bmust have a reverse dns record\b|\bfix (?:your )?reverse dns\b/,
    seen: '554 5.7.1 Reverse DNS failed.',
    variant: '550 5.7.25 Access denied, the sending IPv6 address [2001:db8::1] must have a reverse DNS record',
    source: 'Microsoft Exchange Online NDR 5.7.25 ("must have a reverse DNS record"); RFC 7372 §3.3',
  },
  {
    pattern: /\b(?:does not|doesn't) have a ptr record\b|\bptr record setup\b|\bforward dns entry (?:does not|doesn't) point to the sending ip\b|\bdoes not match the ip address of the hostname\b/,
    seen: '550-5.7.25 The IP address sending this message does not have a PTR record setup',
    variant: "421-4.7.23 The sending IP address for this message doesn't have a PTR record, or the\n421-4.7.23 PTR record's forward DNS entry doesn't match the sending IP address.",
    source: 'Google support.google.com/a/answer/3726730 (421 4.7.0 / 550 5.7.25 PTR record requirements)',
  },
  {
    pattern: /\bcannot find your (?:reverse )?hostname\b|\bcannot resolve your (?:address|hostname)\b|\bunresolvable relay host name\b/,
    seen: '450 4.7.1 Client host rejected: cannot find your hostname, [192.0.2.1]',
    variant: '550 5.7.25 Client host rejected: cannot find your reverse hostname, [192.0.2.7]',
    source: 'Postfix smtpd reject_unknown_client_hostname / reject_unknown_reverse_client_hostname "Client host rejected: cannot find your (reverse) hostname" (src/smtpd/smtpd_check.c)',
  },
  {
    pattern: /\bhelo command rejected\b|\bbad helo\b|\b(?:invalid|bogus|unknown|illegal) helo\b|\bhost impersonating\b|\bhelo (?:\S{1,20} )?(?:name |hostname )?(?:is )?(?:invalid|not (?:valid|fully qualified))\b/,
    seen: '504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname',
    variant: '550 Bad HELO - Host impersonating [192.0.2.25]',
    source: 'Postfix smtpd "Helo command rejected: %s" (reject_non_fqdn_helo_hostname, reject_invalid_helo_hostname, reject_unknown_helo_hostname, src/smtpd/smtpd_check.c); cPanel/Exim HELO ACL "Bad HELO - Host impersonating"; Microsoft 5.7.506 "Access denied, bad HELO"',
    note: 'our host name as we announce it: the same class of DNS identity check as the PTR',
  },
  {
    pattern: /\bmismatches client ip\b|\bforbidden by invalid rdns\b|\bip name (?:lookup failed|possibly forged)\b|\bsender ip reverse lookup rejected\b/,
    seen: '550 IP name possibly forged',
    variant: '550 5.7.1 Access denied. IP name lookup failed [192.0.2.9]',
    source: `Sendmail "IP name possibly forged" / "IP name lookup failed" (sendmail/daemon.c, cf/m4/proto.m4 check_relay via $&{client_resolve}); ${SISIMAI}`,
  },
];

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /ptr|rdns|reverse|hostname|resolve|host name|helo|impersonating|mismatches client ip|ip name/;

export const table: ReasonPhrases = { reason: 'requireptr', rules, keys };
