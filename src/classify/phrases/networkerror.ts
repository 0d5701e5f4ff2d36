/**
 * phrases/networkerror - the route to the receiver failed: temporary DNS trouble, lost or refused
 * connections, routing loops. Soft: it says nothing about the address.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'networkerror' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

const SISIMAI = 'Sisimai reason definition "networkerror" (DNS look up failure or other network problems)';

export const rules: PhraseRule[] = [
  {
    pattern: /\bhost name lookup failure\b|\bname server timeout\b|\btemporary failure in (?:name resolution|mx lookup|dns lookup)\b|\bhost lookup did not complete\b|\blookups? failed temporarily\b|\bhost not found, try again\b/,
    seen: 'Deferred: Name server: example.org.: host name lookup failure',
    variant: 'example.org: Temporary failure in MX lookup',
    source: 'Sendmail "host name lookup failure", "Name server timeout" (sendmail/domain.c); OpenSMTPD "Temporary failure in MX lookup" (usr.sbin/smtpd/mta.c); Exim "all host address lookups failed temporarily", "host lookup did not complete"; Postfix dns_strerror() TRY_AGAIN "Host not found, try again"',
  },
  {
    pattern: /\bdns (?:\S{1,20} )?(?:error|query failed|lookup (?:failed|failure|error)|failure|timeout|timed out|server failure|servfail)\b|\bservfail\b|\bdns records for the destination computer could not be found\b/,
    seen: '550 5.4.312 Message expired, DNS query failed',
    variant: '451 4.4.3 DNS lookup failure: example.org: try again later',
    source: `Microsoft Exchange Online 5.4.312 "DNS query failed"; ${SISIMAI}`,
  },
  {
    pattern: /\bresponded with code (?:servfail|refused)\b|\bhad no relevant answers\b|\bdns server returned answer with no data\b/,
    seen: "DNS Error: DNS type 'mx' lookup of example.jp responded with code SERVFAIL",
    variant: "DNS Error: DNS type 'a' lookup of mx.example.org had no relevant answers.",
    source: 'Gmail retry notices "DNS Error: DNS type \'mx\' lookup of %s responded with code %s" (support.google.com/mail/answer/7720)',
    note: 'written while Gmail keeps retrying: a DNS failure that may pass',
  },
  {
    pattern: /\b(?:hop count|too many hops|max(?:imum)? ?hop count|maximum forwarding loop count)(?: [^ :]{1,20}){0,2}? (?:exceeded|reached)\b|\btoo many hops\b|\b(?:routing|mail|forwarding) loop\b|\bmessage looping\b|\bloop detected\b|\bmessage exceeded \d{1,4} hops\b/,
    seen: '554 5.4.6 Too many hops',
    variant: '554 5.4.6 Hop count exceeded - possible mail loop',
    source: 'RFC 3463 §3.5 X.4.6 "routing loop detected"; OpenSMTPD "Loop detected"; RFC 5321 §6.3 (loop detection by Received count); Sendmail "Too many hops %d (%d max)"; Postfix local(8) "mail forwarding loop for %s"; Google 554 5.4.6 "Message exceeded 50 hops"',
  },
  {
    pattern: /\blost connection with\b|\bconnection (?:reset|dropped|closed|broken)(?: [^ :]{1,20}){0,2}? by (?:peer|remote host|foreign host)\b|\bremote host closed connection\b|\bconnection was dropped by remote host\b|\bbroken pipe\b/,
    seen: 'lost connection with mx2.example.com[192.0.2.86] while performing the HELO handshake',
    variant: 'SMTP error from remote mail server after RCPT TO:<x@example.org>: Remote host closed connection in response to RCPT TO',
    source: 'Postfix smtp client "lost connection with %s while %s" (src/smtp/smtp_trouble.c); Exim "Remote host closed connection in response to %s" (src/transports/smtp.c); errno ECONNRESET "Connection reset by peer"',
  },
  {
    pattern: /\bnetwork (?:error|is unreachable|unreachable)\b|\bno route to host\b|\bhost (?:is )?unreachable\b|\bunable to resolve route\b|\bcould not connect and send the mail to\b/,
    seen: 'Network error on destination MXs',
    variant: 'connect to mx.example.org[192.0.2.1]:25: No route to host',
    source: `OpenSMTPD "Network error on destination MXs" (usr.sbin/smtpd/mta.c); errno EHOSTUNREACH/ENETUNREACH "No route to host", "Network is unreachable"; ${SISIMAI}`,
  },
  {
    pattern: /\b(?:wasn't|was not) able to establish an smtp connection\b|\bunable to establish (?:an )?smtp connection\b|\bconnect to \S{1,300}: connection refused\b/,
    seen: "Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)",
    variant: 'connect to mx.example.org[192.0.2.1]:25: Connection refused',
    source: 'qmail-remote "Sorry, I wasn\'t able to establish an SMTP connection. (#4.4.1)" (qmail-remote.c); Postfix smtp_connect.c "connect to %s[%s]:%d: Connection refused"',
  },
];

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /lookup|name server|try again|dns|servfail|nxdomain|relevant answers|hop|loop|connection|pipe|network|route|unreachable|connect/;

export const table: ReasonPhrases = { reason: 'networkerror', rules, keys };
