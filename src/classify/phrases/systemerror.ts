/**
 * phrases/systemerror - the receiving system failed internally or is misconfigured (RFC 3463 X.3.0,
 * X.3.5, X.4.3; RFC 5321 421/451/554). Soft.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'systemerror' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

const SISIMAI = 'Sisimai reason definition "systemerror" (system error on the remote host)';

export const rules: PhraseRule[] = [
  {
    pattern: /\b(?:internal|system|server|local|temporary (?:local|system)|mail system) (?:server |system )?(?:error|failure|problem)\b|\binternal error reading data\b/,
    seen: '554 5.3.0 Internal system error',
    variant: '451 Temporary local problem - please try later',
    source: `qmail "Temporary local problem" (qmail-smtpd.c); Google 421 4.3.0 "Temporary System Problem"; ${SISIMAI} ("temporary local problem", "internal error reading data")`,
  },
  {
    pattern: /\bservice (?:is )?(?:currently |temporarily )?(?:unavailable|not available)\b|\bresources? temporarily unavailable\b|\bserver busy\b/,
    seen: '554 Service currently unavailable',
    variant: '421 4.3.2 mx.example.org Service not available, closing transmission channel',
    source: 'RFC 5321 §4.2.2 421 "<domain> Service not available, closing transmission channel"; Sisimai reason definition "systemerror" ("service currently unavailable")',
  },
  {
    pattern: /\b(?:system|server|mail system|local) config(?:uration)? error\b|\bmisconfigur|\bcould not load drd for domain\b|\bthere is no mdb\b/,
    seen: '553 5.3.5 system config error',
    variant: '451 4.3.5 Server configuration error, please retry',
    source: 'RFC 3463 §3.4 X.3.5 "system incorrectly configured"; Sendmail "local configuration error"; Sisimai reason definition "systemerror" ("mail system configuration error", "remote server is misconfigured")',
  },
  {
    pattern: /\bqueue file write error\b|\bi\/o error\b|\bwrite error\b|\bcan't create user output file\b|\binterrupted system call\b|\btimeout waiting for input\b/,
    seen: '451 4.3.0 Error: queue file write error',
    variant: "550 5.3.0 can't create user output file",
    source: 'Postfix smtpd "Error: queue file write error" (src/smtpd/smtpd.c); Sendmail "Can\'t create user output file" (sendmail/deliver.c)',
  },
  {
    pattern: /\binsufficient permission\b|\bpermission denied\b/,
    seen: 'X-Unix; 550 5.0.0 Insufficient permission',
    variant: 'cannot open /var/mail/x: Permission denied',
    source: 'sysexits.h EX_NOPERM "Insufficient permission" as Sendmail reports a local mailer exit; errno EACCES',
  },
  {
    pattern: /\btransaction failed\b|\blocal error in processing\b|\berror in processing\b|\bencountered an error while being processed\b/,
    seen: '451 Requested action aborted: local error in processing',
    variant: '554 5.3.0 Transaction failed; please try again',
    source: 'RFC 5321 §4.2.2 (451 "Requested action aborted: local error in processing", 554 "Transaction failed")',
  },
  {
    pattern: /\bloops back to myself\b|\bwould create a mail loop\b|\b(?:aliasing|forwarding) loop broken\b|\bloop was found in the mail exchanger\b/,
    seen: 'mail for example.org loops back to myself',
    variant: '554 5.4.6 <x@example.org>: mail for example.org loops back to myself',
    source: `Postfix smtp client "mail for %s loops back to myself" (src/smtp/smtp_connect.c): the remote MX is misconfigured to point at the sender; ${SISIMAI}`,
  },
  {
    pattern: /\bupstream error\b|\bmail server (?:has )?temporarily rejected (?:this )?message\b/,
    seen: '421 4.3.0 Upstream error, please check https://developers.cloudflare.com/email-routing/postmaster',
    variant: '451 4.3.0 Mail server temporarily rejected message.',
    source: 'Cloudflare Email Routing postmaster (developers.cloudflare.com/email-routing/postmaster: "Upstream error"); Google 451 4.3.0 "Mail server temporarily rejected message"',
  },
  {
    pattern: /\bduplicated message-id\b|\bloop alert\b/,
    seen: 'Duplicated Message-ID in <x@example.co.jp>.',
    variant: 'Subject: Loop Alert: Duplicated Message-ID (x ML)',
    source: 'fml mailing list manager loop-check notices (Sisimai lhost/fml MessagesOf "systemerror")',
  },
];

export const table: ReasonPhrases = { reason: 'systemerror', rules };
