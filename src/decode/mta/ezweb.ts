/**
 * ezweb - decode the bounces of au/EZweb (KDDI mobile mail, ezweb.ne.jp): a Japanese preamble
 * (ISO-2022-JP) and an English part in one of three layouts: a transcript per recipient, a
 * time-out notice, or a bare rejection with the address alone. DSN-format EZweb bounces are read
 * by rfc3464. In: DecodeInput (From Postmaster@ezweb.ne.jp). Out: one Finding per recipient.
 * No config keys.
 *
 * The formats:
 *   Each of the following recipients was rejected by a remote mail server.
 *       Recipient: <alice@ezweb.ne.jp>
 *       >>> RCPT TO:<alice@ezweb.ne.jp>
 *       <<< 550 <alice@ezweb.ne.jp>: User unknown
 * and
 *   Your message was not delivered within 0 days and 1 hours.
 *   Remote host is not responding.
 *   The following recipients did not receive this message:
 *   <alice@ezweb.ne.jp>
 */
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import { receivedText } from '../text.js';
import type { Finding, Report } from '../../types.js';
import { commandOf, fillCodes, findAddress, joinReply, newFinding, splitLines, squeeze, bounded } from './text-bounce.js';
import { readPostfixEntries } from './postfix.js';

const NAME = 'ezweb';

// "Your message was not delivered within 0 days and 1 hours." - the queue lifetime ran out.
const EXPIRED = /not delivered within \d+ days? and \d+ hours?/i;

// "The user(s) account is disabled." - EZweb's own sentence above the reply.
const DISABLED = /The user\(s\) account is disabled/i;
// "Each of the following recipients was rejected by a remote mail server." with no reply: the
// recipient's own reception filter (EZweb's "domain filter") refused the message.
const FILTERED = /recipients was rejected by a remote\s+mail server/i;

export const ezweb: Decoder = {
  name: NAME,
  enrich: (report, input) => enrichEzweb(report, input),

  detect(input: DecodeInput): boolean {
    // "From: Postmaster@ezweb.ne.jp" (not the subscribers' own mail, e.g. their auto-replies)
    if (/(?:postmaster|mailer-daemon)@ezweb\.ne\.jp\b/i.test(input.from)) return true;
    // "Received: ... by lsean.ezweb.ne.jp (EZweb Mail) with ..."
    return receivedText(input).includes('(EZweb Mail)');
  },

  structure(input: DecodeInput): boolean {
    // "Recipient: <addr>" with ">>>"/"<<<" transcript lines, or EZweb's sentences over bare "<addr>" lines.
    const t = input.text;
    if (!t.includes('Recipient: <') && !t.includes('did not receive this message') && !t.includes('was rejected by a remote')) return false;
    if (/^[^\S\r\n]*Recipient:\s*<[^<>\s@]+@[^<>\s]+>/im.test(t) && /^[^\S\r\n]*(?:>>>|<<<) /m.test(t)) return true;
    return /recipients did not receive this message|recipients was rejected by a remote\s+mail server/i.test(t) && /^[^\S\r\n]*<[^<>\s@]+@[^<>\s]+>\s*$/m.test(t);
  },

  decode(input: DecodeInput): DecodeResult | null {
    input = bounded(input);
    const lines = splitLines(input.text);
    const findings: Finding[] = [];
    let cur: { f: Finding; reply: string[] } | null = null;
    const flush = (): void => {
      if (cur && cur.reply.length > 0) {
        cur.f.diagnostic = joinReply(cur.reply);
        cur.f.diagnosticType = 'smtp';
        fillCodes(cur.f);
      }
      cur = null;
    };
    let listed = false; // after "The following recipients did not receive this message:"
    const prose: string[] = [];
    for (const raw of lines) {
      const line = raw.trim();
      // "    Recipient: <alice@ezweb.ne.jp>"
      const r = /^Recipient:\s*(.+)$/i.exec(line);
      if (r && r[1] !== undefined) {
        flush();
        cur = { f: newFinding(NAME, findAddress(r[1])), reply: [] };
        findings.push(cur.f);
        continue;
      }
      if (cur && line.startsWith('>>>')) {
        cur.f.lastCommand = commandOf(line.slice(3).trim());
        continue;
      }
      if (cur && line.startsWith('<<<')) {
        cur.reply.push(line.slice(3).trim());
        continue;
      }
      // An indented line right after a reply line is that line, re-wrapped.
      if (cur && cur.reply.length > 0 && /^[ \t]+\S/.test(raw) && !/^(?:>>>|Recipient:)/i.test(line)) {
        cur.reply[cur.reply.length - 1] += ' ' + line;
        continue;
      }
      if (/recipients did not receive this message|recipients was rejected by a remote/i.test(line)) listed = true;
      // A bare "<alice@ezweb.ne.jp>" line (before or after the sentence) names a recipient.
      const bare = /^<([^<>\s@]+@[^<>\s]+)>$/.exec(line);
      if (!cur && bare && bare[1] !== undefined) {
        findings.push(newFinding(NAME, findAddress(`<${bare[1]}>`)));
        continue;
      }
      if (/^[\x20-\x7e]+$/.test(line) && !listed && line) prose.push(line);
    }
    flush();
    if (findings.length === 0) return null;
    // Bare "<address>" lines count only in one of EZweb's notices.
    if (!listed && !findings.some((f) => f.lastCommand || f.diagnostic)) return null;
    const expired = EXPIRED.test(input.text);
    for (const f of findings) {
      if (!f.diagnostic) {
        // The English sentences that explain the failure ("Remote host is not responding.").
        f.diagnostic = squeeze(prose.filter((p) => !/^Each of the following|^The following recipients/i.test(p)).join(' '));
        f.diagnosticType = f.diagnostic ? 'x-ezweb' : '';
        fillCodes(f);
      }
      // EZweb's own sentence, for the classifier: the queue ran out, or (no reply at all) the
      // recipient's reception filter refused the message.
      if (expired && !f.replyCode) f.human = EXPIRED.exec(input.text)![0];
      else if (!f.replyCode && !f.lastCommand && FILTERED.test(input.text)) {
        f.human = 'Each of the following recipients was rejected by a remote mail server.';
        if (!f.diagnostic) f.diagnostic = f.human;
      }
    }
    return { findings };
  },
};

/** EZweb's DSN often has no Diagnostic-Code; its text part has a Postfix-style line and a sentence. */
export function enrichEzweb(report: Report, input: DecodeInput): void {
  input = bounded(input);
  const entries = readPostfixEntries(input.text, NAME);
  const disabled = DISABLED.test(input.text);
  for (const f of report.findings) {
    const t = entries.find((x) => x.recipient === f.recipient);
    if (t) {
      if (!f.diagnostic && t.diagnostic) f.diagnostic = t.diagnostic;
      if (!f.replyCode && t.replyCode) f.replyCode = t.replyCode;
      if (!f.lastCommand && t.lastCommand) f.lastCommand = t.lastCommand;
    }
    if (disabled && !f.human?.startsWith('The user(s)')) f.human = `The user(s) account is disabled.${f.human ? ` ${f.human}` : ''}`;
  }
}
