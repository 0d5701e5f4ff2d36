/**
 * postfix - decode Postfix's bounce text when no RFC 3464 part is present (old Postfix, DSN
 * stripped by a relay, "notify_classes" transcripts sent to postmaster), and enrich Postfix DSNs
 * with what only the text says (the SMTP command the reply answered).
 * In: DecodeInput ("This is the mail system at host ..." / "This is the Postfix program at host ...").
 * Out: one Finding per "<address>: ..." entry, in report order. No config keys.
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
import { commandOf, fillCodes, findAddress, hintFrom, newFinding, splitLines, squeeze, type HintRule, bounded } from './text-bounce.js';

const NAME = 'postfix';

/** Postfix's own words (no remote server answered) that state the reason. */
const HINTS: readonly HintRule[] = [
  { phrase: 'host or domain name not found', reason: 'hostunknown', seen: '<a@example.invalid>: Host or domain name not found. Name service error for name=example.invalid type=A: Host not found' },
  { phrase: /^unknown user: /, reason: 'userunknown', seen: '<bob@example.org>: unknown user: "bob"' },
  { phrase: /^connect to \S+: connection refused/, reason: 'networkerror', seen: '<a@example.org>: connect to mx.example.org[192.0.2.1]:25: Connection refused' },
  { phrase: /^conversation with \S+ timed out/, reason: 'networkerror', seen: '<a@example.org>: conversation with mx.example.org[192.0.2.1] timed out while receiving the initial server greeting' },
  { phrase: 'mailbox is full', reason: 'mailboxfull', seen: '<a@example.org>: cannot update mailbox /var/mail/a for user a. error writing message: Disk quota exceeded / mailbox is full' },
  { phrase: 'disk quota exceeded', reason: 'mailboxfull', seen: '<a@example.org>: cannot update mailbox /var/mail/a for user a. error writing message: Disk quota exceeded' },
];

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
    const head = c0 === 60 /* < */ || (c0 === 32 && line.charCodeAt(1) === 60) ? /^ ?<([^<>\s]+)>(?:\s*\(expanded from <[^<>]*>\))?:\s*(.*)$/.exec(line) : null;
    if (head && head[1] !== undefined) {
      cur = { recipient: findAddress(`<${head[1]}>`) || head[1], text: head[2] ?? '' };
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
    const hint = hintFrom(HINTS, e.text);
    if (hint) f.reasonHint = hint;
  }
  return fillCodes(f);
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
    // "Subject: Undelivered Mail Returned to Sender", "Delayed Mail (still being retried)",
    // "Postfix SMTP server: errors from localhost[127.0.0.1]"
    if (/Undelivered Mail Returned to Sender|Delayed Mail \(still being retried\)|^Postfix SMTP server: errors from/i.test(input.subject)) return true;
    return /\(Mail Delivery System\)|Mail Delivery System/i.test(input.from);
  },

  decode(input: DecodeInput): DecodeResult | null {
    input = bounded(input);
    if (/^Postfix SMTP server: errors from/i.test(input.subject)) {
      const findings = readTranscript(input.text);
      return findings.length > 0 ? { findings } : null;
    }
    // "This is the mail system at host mx.example.net." / "This is the Postfix program at host ..."
    if (!/This is the (?:mail system|Postfix program) at host/i.test(input.text)) return null;
    const findings = readEntries(input.text).map(toFinding);
    if (findings.length === 0) return null;
    // "Delayed Mail (still being retried)": the same layout, a warning only.
    // "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #"
    if (/Delayed Mail/i.test(input.subject) || /THIS IS A WARNING ONLY|This is a delivery status notification, NOT an error/i.test(input.text)) {
      for (const f of findings) f.action = 'delayed';
      return { findings, type: 'delayed' };
    }
    return { findings };
  },
};

/** Add what only Postfix's text has (SMTP command, remote host) to the DSN findings. */
export function enrichPostfix(report: Report, input: DecodeInput): void {
  // Nothing to fill: skip reading the text (the usual case for a complete Postfix DSN).
  if (report.findings.every((f) => f.lastCommand && f.remoteMta && f.diagnostic && f.replyCode)) return;
  input = bounded(input);
  if (!/This is the (?:mail system|Postfix program) at host/i.test(input.text)) return;
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
