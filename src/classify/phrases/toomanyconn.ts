/**
 * phrases/toomanyconn - too many connections, recipients or messages per session. Soft.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'toomanyconn' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  { pattern: /\btoo many (?:connections|concurrent connections|simultaneous connections|sessions|recipients|rcpt|messages in this session)\b/, seen: '552 Too many recipients' },
  { pattern: /\bconnection (?:rate|limit) (?:limit )?exceeded\b/, seen: '452 4.3.2 Connection rate limit exceeded.' },
  { pattern: /\bip frequency limited\b|\bfrequency limited\b/, seen: '550 Ip frequency limited [...]. http://service.mail.qq.com/', note: 'Tencent QQ' },
  { pattern: /\b(?:connection|session) (?:count|limit) (?:exceeded|reached)\b/, seen: '421 connection limit reached' },
];

export const table: ReasonPhrases = { reason: 'toomanyconn', rules };
