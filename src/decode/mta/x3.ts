/**
 * x3 - decode the "Delivery status notification" format of an unidentified MTA: recipients as
 * "   * address" under "Delivery to the following recipients failed permanently:", and one
 * "SMTP:CMD host H: reply" line per failure under "Technical details:".
 * In: DecodeInput. Out: one Finding per recipient, in report order. When the same message also
 * carries a message/delivery-status part, rfc3464 reads it first. No config keys.
 *
 * The format:
 *         This is an automatically generated Delivery Status Notification.
 *   Delivery to the following recipients failed permanently:
 *      * alice@example.com
 *                               Technical details:
 *   SMTP:RCPT host 192.0.2.8: 553 5.3.0 <alice@example.com>... No such user here
 */
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import type { Finding } from '../../types.js';
import { commandOf, fillCodes, findAddress, newFinding, splitLines, squeeze, bounded } from './text-bounce.js';

const NAME = 'x3';

export const x3: Decoder = {
  name: NAME,

  detect(input: DecodeInput): boolean {
    // "Subject: Delivery status notification"
    return /^Delivery status notification\s*$/i.test(input.subject.trim());
  },

  structure(input: DecodeInput): boolean {
    // "   * address" under its sentence, and "SMTP:CMD host H: reply" lines.
    const t = input.text;
    if (!t.includes('very to the following recipient')) return false;
    return /Del[ei]very to the following recipients? (?:failed|has been delayed|was delayed)/i.test(t) && /^[^\S\r\n]*\*\s+\S+@\S+\s*$/m.test(t);
  },

  decode(input: DecodeInput): DecodeResult | null {
    input = bounded(input);
    // "Delivery to the following recipients failed permanently:" (also misspelt "Delevery")
    if (!/Del[ei]very to the following recipients? (?:failed|has been delayed|was delayed)/i.test(input.text)) return null;
    const lines = splitLines(input.text);
    const findings: Finding[] = [];
    const details: Array<{ command: string; host: string; reply: string }> = [];
    let delayed = false;
    for (const raw of lines) {
      const line = raw.trim();
      if (/^Del[ei]very to the following recipients? (?:has been|was) delayed/i.test(line)) delayed = true;
      const r = /^\*\s+(\S+@\S+)\s*$/.exec(line);
      if (r && r[1] !== undefined) {
        findings.push(newFinding(NAME, findAddress(r[1]), delayed ? 'delayed' : 'failed'));
        continue;
      }
      // "SMTP:RCPT host 192.0.2.8: 553 5.3.0 <alice@example.com>... No such user here"
      const d = /^SMTP:(\S+)\s+host\s+([^\s:]+):\s*(.*)$/i.exec(line);
      if (d && d[1] !== undefined) details.push({ command: commandOf(d[1]) || d[1].toUpperCase(), host: d[2] ?? '', reply: squeeze(d[3] ?? '') });
    }
    if (findings.length === 0) return null;
    findings.forEach((f, i) => {
      const d = details.find((x) => x.reply.toLowerCase().includes(f.recipient.toLowerCase())) ?? details[i] ?? details[0];
      if (!d) return;
      f.lastCommand = d.command;
      f.remoteMta = d.host;
      f.diagnostic = d.reply;
      f.diagnosticType = 'smtp';
      fillCodes(f);
    });
    return { findings, ...(delayed ? { type: 'delayed' as const } : {}) };
  },
};
