/**
 * verizon - Verizon Wireless SMS/MMS gateway bounces (post_master@vtext.com, vzwpix.com).
 * In: DecodeInput. Out: one Finding for the recipient named in "Message details". RFCs: 5321.
 * Config keys: none.
 *
 *   Error: Invalid user address
 *
 *   Error message below:
 *   550 - Requested action not taken: no such user here
 *
 *   Message details:
 *     Subject: Test message
 *     MAIL FROM: sender@example.org
 *     RCPT TO: 5555550100@vtext.com
 */
import type { Finding } from '../../types.js';
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import { newFinding } from './text-bounce.js';
import { bestStatusIn } from '../../parse/dsn.js';

const NAME = 'verizon';

// "Error: Invalid user address" (Verizon's summary) and "Error message below:" (the SMTP answer follows)
const ERROR_RE = /^Error:\s*(.+)$/im;
const BELOW_RE = /^Error message below:\s*$/im;
// "  RCPT TO: 5555550100@vtext.com" (vtext) / "  To: <5555550100@vzwpix.com>" (vzwpix)
const RCPT_RE = /^[ \t]*(?:RCPT TO|To):\s*<?([^\s<>@]+@[^\s<>@]+?)>?\s*$/im;

export const verizon: Decoder = {
  name: NAME,
  detect(input: DecodeInput): boolean {
    // From: post_master@vtext.com ; postmaster@vzwpix.com
    return /v(?:text|zwpix|zw)\.com/i.test(input.from) && /@(?:[\w-]+\.)*(?:vtext\.com|vzwpix\.com|vzw\.com)\b/i.test(input.from);
  },
  decode(input: DecodeInput): DecodeResult | null {
    const text = input.text;
    const error = ERROR_RE.exec(text);
    const rcpt = RCPT_RE.exec(text.slice(error?.index ?? 0));
    if (!error || !rcpt) return null;

    // The remote answer on the line(s) after "Error message below:"; else Verizon's summary.
    let diagnostic = (error[1] ?? '').trim();
    const below = BELOW_RE.exec(text);
    if (below) {
      const para = text.slice(below.index + below[0].length).replace(/^\s*\n/, '').split(/\n\s*\n/)[0] ?? '';
      if (para.trim()) diagnostic = para.replace(/\s+/g, ' ').trim();
    }
    // "550 - Requested action not taken" -> "550 Requested action not taken"
    diagnostic = diagnostic.replace(/^([245]\d\d)\s*-\s+/, '$1 ');
    const reply = /^([245]\d\d)\b/.exec(diagnostic);
    const summary = error[1] ?? '';

    const finding: Finding = {
      ...newFinding(NAME, rcpt[1] ?? '', 'failed'),
      status: bestStatusIn(diagnostic),
      replyCode: reply?.[1] ?? '',
      diagnostic,
      diagnosticType: reply ? 'smtp' : '',
      ...(summary && summary !== diagnostic ? { human: summary } : {}),
    };
    return { findings: [finding], type: 'bounce' };
  },
};
