/**
 * phrases/toomanyconn - too many connections, sessions, recipients or messages per connection from
 * us. Soft: a volume limit, not an address verdict.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'toomanyconn' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

const SISIMAI = 'Sisimai reason definition "toomanyconn" (too many concurrent connections to the remote host)';

export const rules: PhraseRule[] = [
  {
    pattern: /\btoo many (?:[^ :]{1,20} ){0,2}?(?:connections|sessions|smtp sessions|recipients|rcpt|messages (?:in|per) (?:this )?(?:session|connection)|errors from your ip)\b/,
    seen: '552 Too many recipients',
    variant: '421 4.7.0 mx.example.org Error: too many connections from 192.0.2.1',
    source: 'RFC 5321 §4.5.3.1.10 (452 "Too many recipients"); Postfix smtpd "Error: too many connections from %s", "Error: too many recipients" (src/smtpd/smtpd.c); Sendmail "Too many SMTP sessions for this host"',
  },
  {
    pattern: /\bconnection (?:rate |count )?limit(?: [^ :]{1,20}){0,2}? (?:exceeded|reached)\b|\bexceeds per-domain connection limit\b|\bmaximum connection limit\b|\bmax (?:message|messages|mails) per connection\b/,
    seen: '452 4.3.2 Connection rate limit exceeded.',
    variant: '421 Max message per connection reached, closing transmission channel',
    source: `Yahoo Sender Hub SMTP error codes ("421 Max message per connection reached"); ${SISIMAI} ("connection rate limit exceeded", "all available ips are at maximum connection limit")`,
  },
  {
    pattern: /\b(?:ip|connection) frequency limited\b|\btrop de connexions\b/,
    seen: '550 Ip frequency limited [...]. http://service.mail.qq.com/',
    variant: '421 Trop de connexions, veuillez reessayer plus tard',
    source: `Tencent QQ Mail help ("Ip frequency limited"); free.fr postmaster ("Trop de connexions"); ${SISIMAI}`,
  },
];

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /too many|limit|per connection|frequency|connexions/;

export const table: ReasonPhrases = { reason: 'toomanyconn', rules, keys };
