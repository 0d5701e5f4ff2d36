/**
 * opensmtpd - decode OpenSMTPD's plain-text bounces and delay warnings (before OpenSMTPD 6.x sent
 * RFC 3464 reports; those are read by rfc3464 and enriched here with the SMTP command).
 * In: DecodeInput ("This is the MAILER-DAEMON, please DO NOT REPLY to this e-mail.").
 * Out: one Finding per "address: error" line, in report order; 'delayed' for warnings. No config keys.
 *
 * The format (smtpd/bounce.c; "e-mail" before 6.x, "email" after):
 *       Hi!
 *       This is the MAILER-DAEMON, please DO NOT REPLY to this email.
 *       An error has occurred while attempting to deliver a message for
 *       the following list of recipients:
 *
 *   alice@example.org: 550 5.1.1 <alice@example.org>: Recipient address rejected: User unknown
 *
 *       Below is a copy of the original message:
 *
 * Structure: the text part is "Content-Description: Notification", the prose is indented by four,
 * each recipient is one "user@domain: error" line at column 0, and "Below is a copy of the
 * original message:" ends the list. An expired envelope ("Envelope expired") is reported with
 * the warning template and "Action: delayed" in the DSN, yet the message is gone: a final failure,
 * on whichever path reads it (this decoder, or rfc3464 + enrichOpensmtpd).
 */
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import { receivedText } from '../text.js';
import type { Finding, Report } from '../../types.js';
import { cutAt, fillCodes, findAddress, newFinding, splitLines, squeeze, bounded } from './text-bounce.js';

const NAME = 'opensmtpd';

const END = [/^[ \t]*Below is a copy of the original message:?/m, /^[ \t]*Below is a copy of the message:?/m];
const INTRO = /This is the MAILER-DAEMON, please DO NOT REPLY to this e-?mail/i;
/** "user@domain: error" at column 0, the list's only unindented lines. */
const LINE = /^[^\s:<>@]+@[^\s:<>@]+: \S/m;

export function opensmtpdStructure(input: DecodeInput): boolean {
  const t = input.text;
  if (!t.includes('MAILER-DAEMON, please DO NOT REPLY') && !t.includes('Below is a copy of the')) return false;
  if (!LINE.test(t)) return false;
  return INTRO.test(t) || (END.some((re) => re.test(t)) && /^ {4}\S/m.test(t));
}

function readLines(report: string, action: 'failed' | 'delayed'): Finding[] {
  const out: Finding[] = [];
  let cur: Finding | null = null;
  for (const line of splitLines(report)) {
    // "alice@example.org: Domain does not exist" at column 0 (the prose is indented by four).
    const m = /^([^\s:<>@]+@[^\s:<>]+):\s*(.*)$/.exec(line);
    if (m && m[1] !== undefined) {
      cur = newFinding(NAME, findAddress(m[1]) || m[1], action);
      cur.diagnostic = m[2] ?? '';
      out.push(cur);
      continue;
    }
    // A long reply continues on the next line(s) before the blank line (bounce.c writes one line
    // per recipient and a blank line before its indented prose, so a line right below is the
    // reply's, re-wrapped, whatever its indent).
    if (cur && line.trim() !== '') {
      cur.diagnostic += ' ' + line.trim();
      continue;
    }
    cur = null;
  }
  for (const f of out) {
    f.diagnostic = squeeze(f.diagnostic);
    f.diagnosticType = /^[245]\d\d[\s-]/.test(f.diagnostic) ? 'smtp' : 'x-opensmtpd';
    fillCodes(f);
    if (!f.replyCode) {
    }
    // "A message is delayed ... Envelope expired": the warning template, but the message is gone.
    if (/^envelope expired/i.test(f.diagnostic)) f.action = 'failed';
  }
  return out;
}

export const opensmtpd: Decoder = {
  name: NAME,
  enrich: (report, input) => enrichOpensmtpd(report, input),

  detect(input: DecodeInput): boolean {
    // "Subject: Delivery status notification: error" / "...: warning"
    if (/^Delivery status notification: (?:error|warning|delay)/i.test(input.subject)) return true;
    return receivedText(input).includes('(OpenSMTPD)');
  },

  structure: opensmtpdStructure,

  decode(input: DecodeInput): DecodeResult | null {
    input = bounded(input);
    if (!opensmtpdStructure(input)) return null;
    // "A message is delayed for more than 10 minutes for the following list of recipients:"
    const delayed = /message is delayed for more than|only a temporary failure report/i.test(input.text);
    const findings = readLines(cutAt(input.text, END), delayed ? 'delayed' : 'failed');
    if (findings.length === 0) return null;
    return { findings, ...(findings.every((f) => f.action === 'delayed') ? { type: 'delayed' as const } : {}) };
  },
};

/**
 * OpenSMTPD's DSN has the reply; the text adds, sometimes, the reply and OpenSMTPD's own words, and
 * says when a "delayed" envelope has in fact expired (a final failure, as in decode()).
 */
export function enrichOpensmtpd(report: Report, input: DecodeInput): void {
  input = bounded(input);
  if (!opensmtpdStructure(input)) return;
  const fromText = readLines(cutAt(input.text, END), 'failed');
  for (const f of report.findings) {
    const t = fromText.find((x) => x.recipient === f.recipient);
    if (!t) continue;
    // fillFromText may have put the whole "user@domain: text" line there; OpenSMTPD's own is better.
    // fillFromText may have put the whole "user@domain: text" line there, or only its first
    // physical line; OpenSMTPD's own reading is the whole reply.
    if ((!f.diagnostic || f.diagnostic.startsWith(`${f.recipient}:`) || (t.diagnostic.length > f.diagnostic.length && t.diagnostic.startsWith(f.diagnostic))) && t.diagnostic) f.diagnostic = t.diagnostic;
    if (!f.replyCode && t.replyCode) f.replyCode = t.replyCode;
    if (/^envelope expired/i.test(t.diagnostic) && f.action === 'delayed') f.action = 'failed';
  }
}
