/**
 * sendmail - decode Sendmail's plain-text bounces ("Returned mail: see transcript for details")
 * when no RFC 3464 part is present (old versions, forwarded bounces, stripped attachments), and
 * enrich Sendmail DSNs from their transcript. Also exports the transcript reader that v5sendmail
 * and the Sendmail-derived appliances use.
 * In: DecodeInput. Out: one Finding per failed address in report order; reply code and RFC 3463
 * status from the remote reply ("<<< 550 5.1.1 ...") or Sendmail's own line. No config keys.
 *
 * The format (sendmail/savemail.c):
 *      ----- The following addresses had permanent fatal errors -----
 *   <alice@example.com>
 *       (reason: 550 5.1.1 <alice@example.com>... User unknown)
 *
 *      ----- Transcript of session follows -----
 *   ... while talking to mx.example.com.:
 *   >>> RCPT To:<alice@example.com>
 *   <<< 550 5.1.1 <alice@example.com>... User unknown
 *   550 5.1.1 <alice@example.com>... User unknown
 *
 *      ----- Original message follows -----
 */
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import type { Finding, Report } from '../../types.js';
import {
  commandOf,
  cutAt,
  fillCodes,
  findAddress,
  findStatus,
  headersFromText,
  joinReply,
  leadingReplyCode,
  newFinding,
  splitLines,
  squeeze,
  bounded,
} from './text-bounce.js';

const NAME = 'sendmail';

export const SENDMAIL_END = [
  /^[ \t]*-{3,} ?(?:Original message|Unsent message|Message|Returned message)(?: follows| below)?[^\n]*-{3,}/im,
  /^[ \t]*-{3,} ?(?:The )?(?:original )?message header(?:s)? follows/im,
  /^[ \t]*-{3,} Below this line is a copy of the message/im,
];

/** One recipient's facts read from a Sendmail transcript. */
export interface TranscriptEntry {
  recipient: string;
  /** Sendmail's own line: "550 5.1.1 <alice@example.com>... User unknown". */
  own: string;
  /** The remote reply that caused it ("<<< ..." lines joined), '' if none. */
  reply: string;
  command: string;
  host: string;
}

/**
 * Read a Sendmail transcript: "While talking to host:" / "... while talking to host.:" opens a
 * conversation, ">>> CMD" is what we sent, "<<< NNN text" what the server said, and
 * "NNN <addr>... text" is Sendmail's verdict for one address. A reply is given to the first
 * address line after it.
 */
export function readTranscript(lines: readonly string[]): TranscriptEntry[] {
  const out: TranscriptEntry[] = [];
  let host = '';
  let command = '';
  let reply: string[] = [];
  // Sendmail indents no transcript line: an indented one is the line above it, re-wrapped.
  const joined: string[] = [];
  for (const raw of lines) {
    if (joined.length > 0 && /^[ \t]+\S/.test(raw) && joined[joined.length - 1]!.trim() !== '' && !/^\s*-{3,}/.test(raw)) joined[joined.length - 1] += ' ' + raw.trim();
    else joined.push(raw);
  }
  for (const raw of joined) {
    const line = raw.trim();
    // "While talking to mail.example.co.jp:"  /  "... while talking to mx.example.com.:"
    const talk = /^(?:\.\.\.\s*)?while talking to\s+(\S.*?)\.?:\s*$/i.exec(line);
    if (talk && talk[1] !== undefined) {
      host = talk[1].replace(/\.$/, '');
      command = '';
      reply = [];
      continue;
    }
    // "550 example.org (smtp)... 550 Host unknown": a verdict about another host ends the
    // conversation whose reply we were holding.
    const other = /^[245]\d\d\s+(\S+)\s+\((?:e?smtp|local)\)\.\.\./i.exec(line);
    if (other && other[1] !== undefined) {
      if (other[1].toLowerCase() === host.toLowerCase()) continue;
      host = '';
      command = '';
      reply = [];
      continue;
    }
    if (line.startsWith('>>>')) {
      command = commandOf(line.slice(3).trim()) || line.slice(3).trim().split(/\s/)[0]!.toUpperCase();
      reply = [];
      continue;
    }
    if (line.startsWith('<<<')) {
      reply.push(line.slice(3).trim());
      continue;
    }
    // "550 5.1.1 <alice@example.com>... User unknown", "554 <bob@example.org>... 550 Host unknown"
    // "<carol@example.org>... Deferred: Connection timed out with mx.example.org." (no code)
    const own = /^(?:([245]\d\d)[\s-]+(?:[245]\.\d{1,3}\.\d{1,3}\s+)?)?<?([^<>\s@]+@[^<>\s]+?)>?\.\.\.\s*(.*)$/.exec(line);
    if (own && own[2] !== undefined) {
      const recipient = findAddress(own[2]);
      const existing = out.find((e) => e.recipient === recipient);
      if (existing) {
        // Sendmail repeats the verdict ("550 5.1.1 <a>... User unknown" after the <<< line).
        if (!existing.reply && reply.length > 0) existing.reply = joinReply(reply);
        reply = [];
        continue;
      }
      out.push({ recipient, own: line, reply: joinReply(reply), command, host });
      reply = [];
    }
  }
  return out;
}

/** Strip one level of "> " quoting from a forwarded bounce ("Begin forwarded message:"). */
export function unquote(text: string): string {
  // Most bounces have no quoted lines at all: count them without splitting the text.
  let quotedLines = text.charCodeAt(0) === 62 /* > */ ? 1 : 0;
  for (let i = text.indexOf('\n>'); i >= 0 && quotedLines < 5; i = text.indexOf('\n>', i + 2)) quotedLines++;
  if (quotedLines < 5) return text;
  const lines = splitLines(text);
  const quoted = lines.filter((l) => l.startsWith('>')).length;
  if (quoted < 5 || quoted < lines.filter((l) => l.trim() !== '').length / 2) return text;
  return lines.map((l) => (l.startsWith('>') ? l.replace(/^> ?/, '') : l)).join('\n');
}

/** The address list sections: "----- The following addresses had permanent fatal errors -----". */
function readAddressList(lines: readonly string[]): Array<{ recipient: string; reason: string; delayed: boolean }> {
  const out: Array<{ recipient: string; reason: string; delayed: boolean }> = [];
  let delayed: boolean | null = null;
  for (const raw of lines) {
    const line = raw.trim();
    const head = /^-{3,}\s*The following addresses? (?:had|has) (permanent fatal errors|transient non-fatal errors|delivery problems|permanent delivery errors|delivery errors)/i.exec(line);
    if (head && head[1] !== undefined) {
      delayed = /transient/i.test(head[1]);
      continue;
    }
    if (delayed === null) continue;
    // The next "----- ... -----" section ends the list; blank lines do not.
    if (/^-{3,}/.test(line)) {
      delayed = null;
      continue;
    }
    if (line === '') continue;
    // "    (reason: 550 5.1.1 <alice@example.com>... User unknown)"
    const reason = /^\((?:reason|expanded from):\s*(.*?)\)?$/i.exec(line);
    if (reason && reason[1] !== undefined) {
      const last = out[out.length - 1];
      if (last && /^\(reason/i.test(line)) last.reason = reason[1];
      continue;
    }
    const addr = findAddress(line);
    if (addr) out.push({ recipient: addr, reason: '', delayed });
  }
  return out;
}

/** Read the whole Sendmail text report into findings (empty when it is not one). */
export function readSendmailText(text: string, name: string): Finding[] {
  const report = cutAt(unquote(text), SENDMAIL_END);
  const lines = splitLines(report);
  const list = readAddressList(lines);
  const tIdx = lines.findIndex((l) => /^\s*-{3,}\s*Transcript of session follows/i.test(l));
  const transcript = tIdx >= 0 ? readTranscript(lines.slice(tIdx + 1)) : [];

  const findings: Finding[] = [];
  const seen = new Set<string>();
  const add = (recipient: string, reason: string, delayed: boolean): void => {
    if (seen.has(recipient)) return;
    seen.add(recipient);
    const f = newFinding(name, recipient, delayed ? 'delayed' : 'failed');
    const t = transcript.find((e) => e.recipient === recipient);
    if (t) {
      f.remoteMta = t.host;
      f.lastCommand = t.command;
      f.diagnostic = t.reply || stripOwn(t.own);
      f.diagnosticType = 'smtp';
      f.status = findStatus(t.reply) || findStatus(t.own);
      f.replyCode = leadingReplyCode(t.reply) || innerCode(t.own) || leadingReplyCode(t.own);
    }
    if (!f.diagnostic && reason) {
      f.diagnostic = squeeze(reason);
      f.diagnosticType = 'smtp';
    }
    fillCodes(f);
    findings.push(f);
  };
  for (const e of list) add(e.recipient, e.reason, e.delayed);
  for (const t of transcript) add(t.recipient, '', false);
  return findings;
}

/**
 * A bounce without MIME headers carries its delivery-status fields as plain text:
 *   Final-Recipient: RFC822; alice@example.com
 *   Action: failed
 *   Status: 5.0.0
 * Use that Status where the transcript gave none.
 */
function statusFromInlineDsn(findings: Finding[], text: string): void {
  const re = /^Final-Recipient:(?:[^;\n]*;)?\s*(\S+)\s*$([\s\S]*?)(?=^Final-Recipient:|^[^\S\r\n]*$|(?![\s\S]))/gim;
  for (const m of text.matchAll(re)) {
    const f = findings.find((x) => x.recipient === findAddress(m[1] ?? ''));
    const st = /^Status:\s*([245]\.\d{1,3}\.\d{1,3})/im.exec(m[2] ?? '');
    if (f && !f.status && st && st[1] !== undefined) f.status = st[1];
  }
}

/** "550 5.1.1 <a@b>... User unknown" -> "User unknown" is Sendmail's verdict text; keep the code. */
function stripOwn(own: string): string {
  const m = /^((?:[245]\d\d[\s-]+(?:[245]\.\d{1,3}\.\d{1,3}\s+)?)?)<?[^<>\s@]+@[^<>\s]+?>?\.\.\.\s*(.*)$/.exec(own);
  if (!m || m[1] === undefined || m[2] === undefined) return own;
  // "554 <a@b>... 550 Host unknown": the quoted code is the more precise one; keep only it.
  return /^[245]\d\d\s/.test(m[2]) ? squeeze(m[2]) : squeeze(m[1] + m[2]);
}

/** "554 <a@b>... 550 Host unknown": the code Sendmail quotes from the other side. */
function innerCode(own: string): string {
  const m = /\.\.\.\s*([245]\d\d)\s/.exec(own);
  return m && m[1] !== undefined ? m[1] : '';
}

export const sendmail: Decoder = {
  name: NAME,
  enrich: (report, input) => enrichSendmail(report, input),

  detect(input: DecodeInput): boolean {
    // "Subject: Returned mail: see transcript for details", "Warning: could not send message for past 4 hours"
    if (/Returned mail:|Warning: could not send message|see transcript for details/i.test(input.subject)) return true;
    return /Mail Delivery Subsystem/i.test(input.from);
  },

  structure(input: DecodeInput): boolean {
    // savemail.c's section rules, which no option changes (quoted when a person forwarded it).
    const t = input.text;
    if (!t.includes('Transcript of session follows') && !/-[ \t]*The following addresses? ha[ds] /.test(t)) return false;
    return /^[ \t>]*-{3,}[ \t]*(?:Transcript of session follows|The following addresses? (?:had|has) )/im.test(t);
  },

  decode(input: DecodeInput): DecodeResult | null {
    input = bounded(input);
    // A forwarded bounce is quoted ("> ----- Transcript of session follows -----").
    if (!/^[ \t]*-{3,}[ \t]*(?:Transcript of session follows|The following addresses? (?:had|has))/im.test(unquote(input.text))) return null;
    const findings = readSendmailText(input.text, NAME);
    if (findings.length === 0) return null;
    statusFromInlineDsn(findings, input.text);
    const h = headersFromText(input.text.slice(cutAt(input.text, SENDMAIL_END).length));
    return {
      findings,
      ...(findings.every((f) => f.action === 'delayed') ? { type: 'delayed' as const } : {}),
      ...(h.to || h.from ? { original: { messageId: '', to: h.to, from: h.from, subject: h.subject, returnPath: '' } } : {}),
    };
  },
};

/**
 * Improve a DSN that rfc3464 read from a Sendmail bounce: fill what the DSN lacks (remote reply,
 * SMTP command, host) from the transcript.
 */
export function enrichSendmail(report: Report, input: DecodeInput): void {
  // Nothing to fill: skip reading the transcript.
  if (report.findings.every((f) => f.diagnostic && !/^\d+$/.test(f.diagnostic.trim()) && f.lastCommand && f.remoteMta && f.replyCode)) return;
  input = bounded(input);
  if (!/Transcript of session follows/i.test(input.text)) return;
  const fromText = readSendmailText(input.text, NAME);
  for (const f of report.findings) {
    const t = fromText.find((x) => x.recipient === f.recipient);
    if (!t) continue;
    // "Diagnostic-Code: X-Unix; 77" is only a local mailer's exit status; the transcript has words.
    if ((!f.diagnostic || /^\d+$/.test(f.diagnostic.trim())) && t.diagnostic) f.diagnostic = t.diagnostic;
    if (!f.lastCommand && t.lastCommand) f.lastCommand = t.lastCommand;
    if (!f.remoteMta && t.remoteMta) f.remoteMta = t.remoteMta;
    if (!f.replyCode && t.replyCode) f.replyCode = t.replyCode;
  }
}
