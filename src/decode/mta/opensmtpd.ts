/**
 * opensmtpd - decode OpenSMTPD's plain-text bounces and delay warnings (before OpenSMTPD 6.x sent
 * RFC 3464 reports; those are read by rfc3464 and enriched here with the SMTP command).
 * In: DecodeInput ("This is the MAILER-DAEMON, please DO NOT REPLY to this e-mail.").
 * Out: one Finding per "address: error" line, in report order; 'delayed' for warnings. No config keys.
 *
 * The format (smtpd/bounce.c):
 *       Hi!
 *       This is the MAILER-DAEMON, please DO NOT REPLY to this e-mail.
 *       An error has occurred while attempting to deliver a message for
 *       the following list of recipients:
 *
 *   alice@example.org: 550 5.1.1 <alice@example.org>: Recipient address rejected: User unknown
 *
 *       Below is a copy of the original message:
 */
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import { receivedText } from '../text.js';
import type { Finding, Report } from '../../types.js';
import { cutAt, fillCodes, findAddress, hintFrom, newFinding, splitLines, squeeze, type HintRule, bounded } from './text-bounce.js';

const NAME = 'opensmtpd';

const END = [/^[ \t]*Below is a copy of the original message:?/m, /^[ \t]*Below is a copy of the message:?/m];

/** OpenSMTPD's own error texts (mta.c, mta_session.c) that state the reason. */
const HINTS: readonly HintRule[] = [
  { phrase: /^domain does not exist/, reason: 'hostunknown', seen: 'alice@nonexistent.example: Domain does not exist' },
  { phrase: /^invalid domain name/, reason: 'hostunknown', seen: 'alice@exa_mple.org: Invalid domain name' },
  { phrase: /^network error on destination mxs/, reason: 'networkerror', seen: 'alice@example.org: Network error on destination MXs' },
  { phrase: /^no mx found for domain/, reason: 'hostunknown', seen: 'alice@example.org: No MX found for domain' },
  { phrase: /^loop detected/, reason: 'networkerror', seen: 'alice@example.org: Loop detected' },
  { phrase: /^envelope expired/, reason: 'expired', seen: 'alice@example.org: Envelope expired' },
];

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
    // A long reply continues on the next line(s) before the blank line.
    if (cur && line.trim() !== '' && !/^\s{4}/.test(line)) {
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
      const hint = hintFrom(HINTS, f.diagnostic);
      if (hint) f.reasonHint = hint;
    }
    // "A message is delayed ... Envelope expired": the warning template, but the message is gone.
    if (f.reasonHint === 'expired') f.action = 'failed';
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

  decode(input: DecodeInput): DecodeResult | null {
    input = bounded(input);
    if (!/This is the MAILER-DAEMON, please DO NOT REPLY/i.test(input.text)) return null;
    // "A message is delayed for more than 10 minutes for the following list of recipients:"
    const delayed = /message is delayed for more than|only a temporary failure report/i.test(input.text);
    const findings = readLines(cutAt(input.text, END), delayed ? 'delayed' : 'failed');
    if (findings.length === 0) return null;
    return { findings, ...(findings.every((f) => f.action === 'delayed') ? { type: 'delayed' as const } : {}) };
  },
};

/** OpenSMTPD's DSN has the reply; the text adds nothing we lack except, sometimes, the reply. */
export function enrichOpensmtpd(report: Report, input: DecodeInput): void {
  input = bounded(input);
  if (!/This is the MAILER-DAEMON, please DO NOT REPLY/i.test(input.text)) return;
  const fromText = readLines(cutAt(input.text, END), 'failed');
  for (const f of report.findings) {
    const t = fromText.find((x) => x.recipient === f.recipient);
    if (!t) continue;
    if (!f.diagnostic && t.diagnostic) f.diagnostic = t.diagnostic;
    if (!f.replyCode && t.replyCode) f.replyCode = t.replyCode;
    if (!f.reasonHint && t.reasonHint && !f.diagnostic.match(/^[245]\d\d/)) f.reasonHint = t.reasonHint;
  }
}
