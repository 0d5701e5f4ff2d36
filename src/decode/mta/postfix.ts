/**
 * postfix - decode Postfix's bounce text when no RFC 3464 part is present (old Postfix, DSN
 * stripped by a relay, "notify_classes" transcripts sent to postmaster), and enrich Postfix DSNs
 * with what only the text says (the SMTP command the reply answered).
 * In: DecodeInput. Out: one Finding per "<address>: ..." entry, in report order; the address we
 * sent to ("(expanded from <alias>)") rather than the one it expanded to. No config keys.
 *
 * Detection by structure: the whole text of the notice is the administrator's (bounce_template_file:
 * subject, From's full name, every paragraph, the signature), so the banner only helps. What Postfix
 * itself writes is the entries: "<addr>: " at column 0, continuation lines indented, "host
 * name[ip] said:" / "refused to talk to me:" and "(in reply to RCPT TO command)"; the text part's
 * "Content-Description: Notification"; the DSN part's X-Postfix-Queue-ID / X-Postfix-Sender fields.
 *
 * The format (Postfix bounce_notify_util.c, bounce templates):
 *   This is the mail system at host mx.example.net.
 *   ...
 *                      The mail system
 *
 *   <alice@example.org>: host mx.example.org[192.0.2.22] said: 550 5.1.1
 *       <alice@example.org>: Recipient address rejected: User unknown (in reply to
 *       RCPT TO command)
 *
 * Transcript (smtpd notify, Subject "Postfix SMTP server: errors from host[ip]"):
 *    In:  RCPT TO:<alice@example.org>
 *    Out: 451 4.3.0 Error: queue file write error
 */
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import type { Finding, Report } from '../../types.js';
import { parseDeliveryStatus } from '../../parse/dsn.js';
import { findDeliveryStatusParts } from '../rfc3464.js';
import { commandOf, fillCodes, findAddress, newFinding, splitLines, squeeze, bounded } from './text-bounce.js';

const NAME = 'postfix';

/** "<alice@example.org>: " / "<alice@example.org> (expanded from <team@example.org>): " at column 0. */
const ENTRY_RE = /^<[^<>\s@]+@[^<>\s]+>(?: \(expanded from <[^<>\s]*>\))?:[ \t]+\S/m;
/** What only Postfix's own entry text says. */
const ENTRY_WORDS_RE =
  /\(in reply to (?:[A-Z]+ )+command\)|\bhost \S+\[[0-9A-Fa-f.:]+\] (?:said|refused to talk to me):|\b(?:conversation|lost connection) with \S+\[[0-9A-Fa-f.:]+\]|\bconnect to \S+\[[0-9A-Fa-f.:]+\](?::\d+)?:|\bdelivery temporarily suspended:|\bName service error for name=/;
/** The default template's banner (Postfix's mail_name may replace "Postfix"; any name is accepted). */
const BANNER_RE = /This is the (?:mail system|\S+ program) at host/i;
/** The smtpd "errors from" transcript sent to postmaster ("Postfix SMTP server: errors from ..."; mail_name may differ). */
const TRANSCRIPT_SUBJECT_RE = /^\S+ SMTP server: errors from /i;

/** Postfix's own report structure in the text. */
export function postfixStructure(input: DecodeInput): boolean {
  const t = input.text;
  if ((t.indexOf('>: ') < 0 && t.indexOf('>):') < 0) || (t.indexOf('\n<') < 0 && t[0] !== '<')) return false;
  if (!ENTRY_RE.test(t)) return false;
  return ENTRY_WORDS_RE.test(t) || BANNER_RE.test(t);
}

/** One "<addr>: text" entry of the bounce text. */
interface Entry {
  recipient: string;
  text: string;
}

/** Entries start at column 0 with "<addr>" and continue on indented lines. */
function readEntries(text: string): Entry[] {
  const out: Entry[] = [];
  let cur: Entry | null = null;
  for (const line of splitLines(text)) {
    // "<alice@example.org>: host ..." / "<alice@example.org> (expanded from <list@example.org>): ..."
    const c0 = line.charCodeAt(0);
    const head = c0 === 60 /* < */ || (c0 === 32 && line.charCodeAt(1) === 60) ? /^ ?<([^<>\s]+)>(?:\s*\(expanded from <([^<>]*)>\))?:\s*(.*)$/.exec(line) : null;
    if (head && head[1] !== undefined) {
      // The address we sent to is the alias, not what it expanded to.
      const sent = head[2] !== undefined && head[2] !== '' ? head[2] : head[1];
      cur = { recipient: findAddress(`<${sent}>`) || sent, text: head[3] ?? '' };
      out.push(cur);
      continue;
    }
    if (cur && /^\s+\S/.test(line)) {
      cur.text += ' ' + line.trim();
      continue;
    }
    cur = null;
  }
  return out.map((e) => ({ ...e, text: squeeze(e.text) }));
}

/** Postfix-style "<addr>: host x said: ..." entries of a text, as findings (also used by ezweb). */
export function readPostfixEntries(text: string, name: string = NAME): Finding[] {
  return readEntries(text).map((e) => {
    const f = toFinding(e);
    f.decodedBy = name;
    return f;
  });
}

const IN_REPLY = '(in reply to ';
const COMMAND_END = ' command)';

/**
 * "550 5.1.1 unknown (in reply to RCPT TO command)" -> the reply and "RCPT TO"; a text without
 * that tail comes back whole. By index: as /^(.*?)(?:\s*\(in reply to (.+?) command\))?$/ the
 * tail was tried again from every position of a long reply. The same rule: the first "(in reply
 * to " of the last line, when the text ends in " command)" with something in between.
 */
export function splitInReplyTo(text: string): { text: string; command: string } {
  if (text.endsWith(COMMAND_END)) {
    const lineStart = Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r'), text.lastIndexOf('\u2028'), text.lastIndexOf('\u2029')) + 1;
    const open = text.indexOf(IN_REPLY, lineStart);
    if (open >= 0 && open + IN_REPLY.length < text.length - COMMAND_END.length) {
      return { text: text.slice(0, open).trimEnd(), command: text.slice(open + IN_REPLY.length, text.length - COMMAND_END.length) };
    }
  }
  return { text, command: '' };
}

/** Fields of one entry: remote host, reply, command. */
function toFinding(e: Entry): Finding {
  const f = newFinding(NAME, e.recipient);
  // "host mx.example.org[192.0.2.22] said: 550 5.1.1 ... (in reply to RCPT TO command)"
  const said = /^host (\S+?)\[[^[\]]*\] said:\s*/i.exec(e.text);
  // "host mx.example.org[192.0.2.22] refused to talk to me: 554 ..."
  const refused = /^host (\S+?)\[[^[\]]*\] refused to talk to me:\s*(.*)$/i.exec(e.text);
  if (said && said[1] !== undefined) {
    const reply = splitInReplyTo(e.text.slice(said[0].length));
    f.remoteMta = said[1];
    f.diagnostic = reply.text;
    f.diagnosticType = 'smtp';
    f.lastCommand = reply.command ? commandOf(reply.command) : '';
  } else if (refused && refused[1] !== undefined) {
    f.remoteMta = refused[1];
    f.diagnostic = refused[2] ?? '';
    f.diagnosticType = 'smtp';
    f.lastCommand = 'CONN';
  } else if (/^[245]\d\d[\s-]/.test(e.text)) {
    // "<alice@ezweb.ne.jp>: 550 user unknown (in reply to RCPT TO command)"
    const reply = splitInReplyTo(e.text);
    f.diagnostic = reply.text;
    f.diagnosticType = 'smtp';
    f.lastCommand = reply.command ? commandOf(reply.command) : '';
  } else {
    f.diagnostic = e.text;
    f.diagnosticType = 'x-postfix';
  }
  return fillCodes(f);
}

/** smtpd's transcript: "Transcript of session follows." then " In:"/" Out:" lines. */
function transcriptStructure(text: string): boolean {
  return /^Transcript of session follows\.?\s*$/m.test(text) && /^[^\S\r\n]*In:\s+RCPT\s+TO:/im.test(text) && /^[^\S\r\n]*Out:\s+[45]\d\d\s/m.test(text);
}

/** "Postfix SMTP server: errors from host[ip]": the recipients are the RCPT TO lines. */
function readTranscript(text: string): Finding[] {
  // Join the " In:"/" Out:" lines with their indented continuations first.
  const turns: Array<{ dir: 'In' | 'Out'; text: string }> = [];
  for (const line of splitLines(text)) {
    const m = /^\s*(In|Out):\s+(.*)$/.exec(line);
    if (m && m[1] !== undefined) turns.push({ dir: m[1] as 'In' | 'Out', text: m[2] ?? '' });
    else if (turns.length > 0 && /^\s{3,}\S/.test(line)) turns[turns.length - 1]!.text += ' ' + line.trim();
  }
  const rcpts: string[] = [];
  let lastIn = '';
  let failure: { reply: string; command: string } | null = null;
  for (const t of turns) {
    if (t.dir === 'In') {
      lastIn = t.text;
      const r = /^RCPT\s+TO:\s*<([^<>]+)>/i.exec(t.text);
      if (r && r[1] !== undefined) rcpts.push(r[1]);
    } else if (/^[45]\d\d\s/.test(t.text)) {
      // "Out: 451 4.3.0 Error: queue file write error" - the last failing reply is the one reported.
      failure = { reply: t.text, command: commandOf(lastIn) || lastIn.split(/\s/)[0]!.toUpperCase() };
    }
  }
  if (!failure) return [];
  return rcpts.map((r) => {
    const f = newFinding(NAME, r);
    f.diagnostic = squeeze(failure!.reply);
    f.diagnosticType = 'smtp';
    f.lastCommand = failure!.command;
    return fillCodes(f);
  });
}

export const postfix: Decoder = {
  name: NAME,
  enrich: (report, input) => enrichPostfix(report, input),

  detect(input: DecodeInput): boolean {
    // The default template: "Subject: Undelivered Mail Returned to Sender", "Delayed Mail (still
    // being retried)", From "MAILER-DAEMON (Mail Delivery System)"; smtpd's transcript to postmaster.
    if (/^(?:Undelivered Mail Returned to Sender|Delayed Mail \(still being retried\))/i.test(input.subject)) return true;
    if (TRANSCRIPT_SUBJECT_RE.test(input.subject)) return true;
    if (/\(Mail Delivery System\)|Mail Delivery System/i.test(input.from)) return true;
    return input.msg.headers.get('x-postfix-queue-id') !== undefined;
  },

  structure(input: DecodeInput): boolean {
    if (TRANSCRIPT_SUBJECT_RE.test(input.subject)) return transcriptStructure(input.text);
    return postfixStructure(input);
  },

  decode(input: DecodeInput): DecodeResult | null {
    input = bounded(input);
    if (TRANSCRIPT_SUBJECT_RE.test(input.subject) || transcriptStructure(input.text)) {
      const findings = readTranscript(input.text);
      if (findings.length > 0) return { findings };
    }
    if (!postfixStructure(input)) return null;
    const findings = readEntries(input.text).map(toFinding);
    if (findings.length === 0) return null;
    // "Delayed Mail (still being retried)": the same layout, a warning only.
    // "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #" (the default template),
    // or, under any template, the DSN part's "Action: delayed" for every recipient.
    if (/^Delayed Mail/i.test(input.subject) || /THIS IS A WARNING ONLY|This is a delivery status notification, NOT an error/i.test(input.text) || dsnSaysDelayed(input)) {
      for (const f of findings) f.action = 'delayed';
      return { findings, type: 'delayed' };
    }
    return { findings };
  },
};

/** The message's delivery-status part says every recipient is only delayed. */
function dsnSaysDelayed(input: DecodeInput): boolean {
  const actions = findDeliveryStatusParts(input.msg.root).flatMap((p) => parseDeliveryStatus(p.body).recipients.map((r) => (r['action'] ?? '').trim().toLowerCase()));
  return actions.length > 0 && actions.every((a) => a.startsWith('delayed'));
}

/** Add what only Postfix's text has (SMTP command, remote host) to the DSN findings. */
export function enrichPostfix(report: Report, input: DecodeInput): void {
  // Nothing to fill: skip reading the text (the usual case for a complete Postfix DSN).
  if (report.findings.every((f) => f.lastCommand && f.remoteMta && f.diagnostic && f.replyCode)) return;
  input = bounded(input);
  if (!postfixStructure(input)) return;
  const fromText = readEntries(input.text).map(toFinding);
  for (const f of report.findings) {
    const t = fromText.find((x) => x.recipient === f.recipient);
    if (!t) continue;
    if (!f.lastCommand && t.lastCommand) f.lastCommand = t.lastCommand;
    if (!f.remoteMta && t.remoteMta) f.remoteMta = t.remoteMta;
    if (!f.diagnostic && t.diagnostic) f.diagnostic = t.diagnostic;
    if (!f.replyCode && t.replyCode) f.replyCode = t.replyCode;
  }
}
