/**
 * phrases/expired - delivery was retried until the queue lifetime ran out (RFC 3463 X.4.7), or the
 * host never answered (X.4.1). Soft: the last temporary refusal was never a verdict.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'expired' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

const SISIMAI = 'Sisimai reason definition "expired" (delivery time expired due to a connection failure)';

export const rules: PhraseRule[] = [
  {
    pattern: /\b(?:message|envelope|delivery|queue|mail)(?: [^ :]{1,20}){0,1}? (?:has |was )?(?:time )?expired\b|\bqueue\.expired\b/,
    seen: '554 4.4.7 Message expired: unable to deliver in 840 minutes.',
    variant: 'x@example.org: Envelope expired',
    source: 'RFC 3463 §3.5 X.4.7 "delivery time expired"; OpenSMTPD "Envelope expired" (usr.sbin/smtpd/queue.c); Microsoft Exchange 4.4.7 "QUEUE.Expired; message expired"',
  },
  {
    pattern: /\bretry (?:time ?(?:out)?|period) (?:[^ :]{1,20} ){0,2}?(?:exceeded|expired)\b|\bretry time not reached for any host\b|\bhave been failing for a long time\b/,
    seen: 'retry timeout exceeded',
    variant: "all hosts for 'example.com' have been failing for a long time (and retry time not reached)",
    source: 'Exim "retry timeout exceeded", "all hosts for \'%s\' have been failing for a long time (and retry time not reached)", "retry time not reached for any host after a long failure period" (src/retry.c, src/deliver.c)',
  },
  {
    pattern: /\b(?:could not|couldn't|cannot|can't|unable to|did not|not) (?:be )?(?:deliver(?:ed)?|send)(?: [^ :]{1,30}){0,4}? (?:within|in|after|for(?: the last)?|for more than) \d{1,6} (?:days?|hours?|minutes?|seconds?|attempts|retries|tries)\b|\bcould not send message for (?:the )?past\b/,
    seen: 'Could not deliver for the last 432000 seconds. Giving up.',
    variant: 'Cannot send message for 5 days',
    source: 'Sendmail "Cannot send message for %s" / "Message could not be delivered for %s" (sendmail/queue.c, savemail.c); DragonFly dma "Could not deliver for the last %d seconds. Giving up."',
  },
  {
    pattern: /\bafter (?:multiple|several|repeated|many|numerous|\d{1,4}) (?:delivery )?(?:retries|attempts|tries|days|hours)\b|\bgiving up\b|\bgave up\b|\bnumerous attempts to deliver\b|\bin the queue too long\b|\bnot reachable within the allowed queue period\b|\bdelivery attempts (?:will )?(?:continue|have failed)\b/,
    seen: 'Unable to deliver message after multiple retries, giving up.',
    variant: "I'm not going to try again; this message has been in the queue too long.",
    source: `qmail-send "I'm not going to try again; this message has been in the queue too long." (qmail-send.c); ${SISIMAI} ("unable to deliver message after multiple retries", "was not reachable within the allowed queue period")`,
  },
  {
    pattern: /\b(?:connection|connect|operation|conversation|session|smtp)(?: [^ :]{1,40}){0,2}? timed? ?out\b|\btimed out while\b|\btimeout (?:- )?closing connection\b/,
    seen: 'connect to example.org[203.0.113.225]:25: Connection timed out',
    variant: 'conversation with mx.example.org[192.0.2.1] timed out while receiving the initial server greeting',
    source: 'errno ETIMEDOUT "Connection timed out"; Postfix smtp client "conversation with %s timed out while %s" (src/smtp/smtp_trouble.c); Google 451 4.4.2 "Timeout - closing connection"',
  },
  {
    pattern: /\bremote host is not responding\b|\bserver did not respond\b|\bhost not reachable\b|\b(?:did not|didn't) accept our requests to connect\b|\bunable to connect successfully\b|\bunable to connect to (?:the )?remote server\b|\bno answer from host\b|\bnot responding\b/,
    seen: 'The recipient server did not accept our requests to connect.',
    variant: 'Unable to deliver message to the following recipients, due to being unable to connect successfully to the destination mail server.',
    source: 'RFC 3463 §3.5 X.4.1 "no answer from host"; Gmail retry notice "The recipient server did not accept our requests to connect"; Outlook.com NDR "unable to connect successfully to the destination mail server"',
  },
  {
    pattern: /\baddress verification in progress\b|\bverification in progress\b/,
    seen: '450 4.1.1 <x@example.com>: Recipient address rejected: unverified address: Address verification in progress',
    variant: '450 4.1.1 <x@example.net>: Recipient address rejected: unverified address:\n Address verification in progress',
    source: 'Postfix smtpd reject_unverified_recipient: "unverified address: Address verification in progress" (src/smtpd/smtpd_check.c, ADDRESS_VERIFICATION_README)',
    note: 'a probe still running: no verdict on the address; failed only because the queue gave up',
  },
  {
    pattern: /\bhas been delayed\b|\bdeferred: connection\b|\bsocket error\b|\bmessage delayed\b/,
    seen: 'Deferred: Connection timed out during user open with example.com',
    variant: '[mx.example.com. [192.0.2.1]:25: socket error]',
    source: 'Sendmail "Deferred: Connection timed out during user open with %s" (sendmail/deliver.c); Gmail retry notices "socket error"',
  },
];

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /expired|retry|failing|deliver|send|after|giving up|gave up|attempts|queue|time|respon|reachable|connect|verification|delayed|deferred|socket/;

export const table: ReasonPhrases = { reason: 'expired', rules, keys };
