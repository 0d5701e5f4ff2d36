/**
 * phrases/expired - delivery was retried until the queue lifetime ran out (RFC 3463 X.4.7), or the host never answered. Soft.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'expired' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  { pattern: /\b(?:message|envelope|delivery) (?:has )?expired\b|\bmessage expired\b/, seen: '554 4.4.7 Message expired: unable to deliver in 840 minutes.' },
  { pattern: /\bretry (?:time(?:out)?|period) (?:exceeded|expired)\b|\bretry time not reached\b/, seen: 'retry timeout exceeded' },
  { pattern: /\bhave been failing for a long time\b/, seen: "all hosts for 'example.com' have been failing for a long time (and retry time not reached)", note: 'Exim' },
  { pattern: /\b(?:connection|connect|operation) timed? ?out\b|\btimed out\b/, seen: 'connect to example.org[203.0.113.225]:25: Connection timed out' },
  { pattern: /\bqueue\.expired\b|\bdelivery time expired\b/, seen: '550 4.4.7 QUEUE.Expired; message expired' },
  { pattern: /\b(?:could not|unable to|did not) (?:be delivered|deliver)(?: \S+){0,3} (?:within|in|after|for) \d+ (?:days?|hours?|minutes?)\b/, seen: 'unable to deliver this message after 1 day' },
  { pattern: /\bremote host is not responding\b|\bhost not reachable\b|\bnot accept our requests to connect\b|\bunable to connect successfully\b/, seen: 'The recipient server did not accept our requests to connect.' },
  { pattern: /\bafter (?:multiple|several|repeated|\d+) (?:retries|attempts)\b|\bgiving up\b/, seen: 'Unable to deliver message after multiple retries, giving up.' },
  { pattern: /\bconnection refused\b/, seen: '550 5.4.316 Message expired, connection refused' },
  { pattern: /\bsocket error\b/, seen: '[example.com. [192.0.2.1]:25: socket error]', note: 'Gmail retry notices' },
  { pattern: /\bhas been delayed\b|\bdeferred: connection\b/, seen: 'Deferred: Connection timed out during user open with example.com' },
];

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /expired|retry|failing|time|deliver|not responding|not reachable|connect|retries|attempts|giving up|socket error|delayed|deferred/;

export const table: ReasonPhrases = { reason: 'expired', rules, keys };
