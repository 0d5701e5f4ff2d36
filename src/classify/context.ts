/**
 * context - what the rules see about one finding: the normalised diagnostic, the remote server's own
 * reply without the reporting MTA's wrapping, the SMTP stage, the code class, the hosts.
 * In: a Finding. Out: a Context. Pure. RFCs: 3463 (status), 3464 (Action, Remote-MTA), 5321 (reply
 * codes, stages). Config keys: none.
 */
import type { Finding } from '../types.js';
import type { Context, Stage } from './rules.js';
import { classOf, normalise, replyInText, specificStatus } from './status-codes.js';

/** A reply longer than this is not a reply; reading only its head keeps the time per finding bounded. */
const MAX_DIAGNOSTIC = 8192;
/** Host names are at most 253 characters; a remote-MTA field is a name and an address or two. */
const MAX_HOST = 1024;

const STAGES: ReadonlySet<string> = new Set(['CONN', 'HELO', 'EHLO', 'MAIL', 'RCPT', 'DATA']);

/**
 * The stage as the reporting MTA wrote it around the reply, when the decoder left lastCommand empty:
 * Postfix "(in reply to RCPT TO command)", "(in reply to end of DATA command)" (smtp_trouble.c);
 * Exim "SMTP error from remote mail server after RCPT TO:<...>", "after end of data",
 * "after initial connection" (transports/smtp.c).
 */
const STAGE_IN_TEXT =
  /\b(?:in reply to|after) (rcpt to|mail from|end of data|data|helo|ehlo|initial connection|connect(?:ion)?|pipelined (?:rcpt to|mail from|data)|starttls)\b/;

/**
 * Postfix smtpd's prefix for a refusal by its recipient restrictions, "<addr>: Recipient address
 * rejected: ..." (src/smtpd/smtpd_check.c, reply_name "Recipient address"): those are evaluated when
 * the recipient is named, so the reply answered RCPT TO even when the reporter did not say so
 * (OpenSMTPD's bounce.c writes "<rcpt>: <reply>" for every stage).
 */
const RCPT_REFUSAL = /\brecipient address rejected:/;

/**
 * The address a reply opens with, as Sendmail ("<addr>... Access denied", usrerr in srvrsmtp.c) and
 * Postfix ("<addr>: Sender address rejected") write it: the address of the command answered.
 */
const NAMED_ADDRESS = /^(?:[245]\d\d[ -](?:[245]\.\d{1,3}\.\d{1,3} )?)?<([^<>\s@]{1,64}@[^<>\s@]{1,255})>(?:\.\.\.|:)/;

/** Codes that do not name the destination mailbox: none, X.0.0, sender address (X.1.7, X.1.8), policy (X.7.x). */
const NOT_DESTINATION_STATUS = /^(?:|[45]\.0\.0|[45]\.1\.[78]|[45]\.7\.\d{1,3})$/;

/**
 * The stage when neither the decoder nor the reporter's wrapping names it, read from the reply:
 * Postfix's recipient-restriction prefix means RCPT TO; a reply that opens with an address in
 * another domain than the recipient's answered the only other command that carries an address,
 * MAIL FROM (RFC 5321 §3.3). (Same domain, other local part: an alias or a rewritten recipient.)
 */
function stageInReply(reply: string, recipientDomain: string, status: string): Stage {
  if (RCPT_REFUSAL.test(reply)) return 'RCPT';
  // A code about the destination mailbox (X.1.1-X.1.6, X.2.x...) says whose address it is already.
  if (!NOT_DESTINATION_STATUS.test(status)) return '';
  const named = NAMED_ADDRESS.exec(reply);
  if (named && recipientDomain !== '' && !named[1]!.endsWith(`@${recipientDomain}`)) return 'MAIL';
  return '';
}

function stageOf(f: Finding, text: string, reply: string, recipientDomain: string, status: string): Stage {
  const c = (f.lastCommand ?? '').toUpperCase();
  if (STAGES.has(c)) return c as Stage;
  const m = STAGE_IN_TEXT.exec(text);
  if (!m) return stageInReply(reply, recipientDomain, status);
  const w = m[1]!;
  if (w.endsWith('rcpt to')) return 'RCPT';
  if (w.endsWith('mail from')) return 'MAIL';
  if (w.endsWith('data')) return 'DATA';
  if (w === 'helo') return 'HELO';
  if (w === 'ehlo' || w === 'starttls') return 'EHLO';
  return 'CONN';
}

/**
 * What the reporting MTA wrapped around the remote reply, removed to get the remote server's own
 * words: Postfix's "host mx.example.org[192.0.2.1] said:" and "connect to mx.example.org[192.0.2.1]:25:"
 * (smtp_proto.c, smtp_connect.c), Exim's "host mx.example.org [192.0.2.1]:" (transports/smtp.c),
 * Sendmail's "... while talking to mx.example.org.:", and the "(in reply to ... command)" tail.
 * The host named there is the remote server, not us: an IP in it must not read as "our IP is
 * blocked". Bounded quantifiers only: this runs on untrusted text.
 */
const HOST_NAME = '[a-z0-9-]{1,63}(?:\\.[a-z0-9-]{1,63}){1,10}\\.?';
const HOST_IP = '\\[(?:ipv6:)?[0-9a-f.:]{2,45}\\]';
export const WRAPPING = new RegExp(
  `\\b(?:host|connect to|while talking to) (?:${HOST_NAME}(?: ?${HOST_IP})?|${HOST_IP})(?::\\d{1,5})?(?: said)?:|\\((?:in reply to|after) [a-z ]{2,40}\\)`,
  'g',
);

export function remoteReply(text: string): string {
  if (text.indexOf('host') < 0 && text.indexOf('connect to') < 0 && text.indexOf('(in reply to') < 0 && text.indexOf('(after') < 0) return text;
  return text.replace(WRAPPING, ' ').replace(/ {2,}/g, ' ').trim();
}

/** An IP literal as Remote-MTA ("dns; [192.0.2.1]", "192.0.2.1", "[ipv6:2001:db8::1]"): it names no host. */
const IP_LITERAL = /^\[?(?:ipv6:)?(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7})\]?\.?$/;

export function buildContext(f: Finding): Context {
  const diagnostic = (f.diagnostic ?? '').slice(0, MAX_DIAGNOSTIC);
  const status = specificStatus(f.status ?? '', diagnostic);
  const replyCode = /^[245]\d\d$/.test(f.replyCode ?? '') ? f.replyCode : replyInText(diagnostic);
  const hosts = (f.remoteMta ?? '').slice(0, MAX_HOST).trim().toLowerCase();
  const text = normalise(diagnostic);
  const reply = remoteReply(text);
  const recipient = (f.recipient ?? '').slice(-MAX_HOST).toLowerCase();
  const recipientDomain = recipient.slice(recipient.lastIndexOf('@') + 1);
  return {
    text,
    reply,
    human: f.human ? normalise(f.human.slice(0, MAX_DIAGNOSTIC)) : '',
    status,
    replyCode,
    klass: classOf(status, replyCode),
    command: stageOf(f, text, reply, recipientDomain, status),
    action: f.action ?? '',
    diagnosticType: (f.diagnosticType ?? '').toLowerCase(),
    hosts,
    hostsAnonymous: hosts === '' || IP_LITERAL.test(hosts),
    reportingHost: (f.reportingMta ?? '').slice(0, MAX_HOST).toLowerCase(),
    recipientDomain,
    decodedBy: f.decodedBy ?? '',
  };
}
