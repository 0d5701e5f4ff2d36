/**
 * x1 - decode an unidentified Japanese bulk-mail MTA's bounces ("Mail Delivery Failure",
 * "Warning--Could not send mail for past N hours"): one "address [reason]" line per recipient.
 * In: DecodeInput. Out: one Finding per line, in report order; 'delayed' for the Warning subject.
 * No RFC 3464 part, no status codes. No config keys.
 *
 * The format:
 *   The original message was received at 06 Jan 2025 22:22:29 +0900
 *   from sender@example.co.jp
 *
 *   ---The following addresses had delivery errors---
 *
 *   alice@example.org [User unknown]
 */
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import type { Finding } from '../../types.js';
import { fillCodes, findAddress, newFinding, splitLines, bounded } from './text-bounce.js';

const NAME = 'x1';

export const x1: Decoder = {
  name: NAME,

  detect(input: DecodeInput): boolean {
    // "Subject: Mail Delivery Failure" / "Subject: Warning--Could not send mail for past 8.5 hours"
    return /^(?:Mail Delivery Failure|Warning--Could not send mail)/i.test(input.subject.trim());
  },

  structure(input: DecodeInput): boolean {
    // "---The following addresses had delivery errors---", then "address [reason]" lines.
    const t = input.text;
    if (!t.includes('had delivery errors')) return false;
    return /^[^\S\r\n]*-{3,}\s*The following addresses had delivery errors\s*-{3,}/im.test(t) && /^[^\S\r\n]*[^\s@]+@\S+\s+\[[^\]\n]+\]\s*$/m.test(t);
  },

  decode(input: DecodeInput): DecodeResult | null {
    input = bounded(input);
    const lines = splitLines(input.text);
    // "---The following addresses had delivery errors---"
    const start = lines.findIndex((l) => /^-{3,}\s*The following addresses had delivery errors\s*-{3,}/i.test(l.trim()));
    if (start < 0) return null;
    const delayed = /^Warning--/i.test(input.subject.trim());
    const findings: Finding[] = [];
    for (const line of lines.slice(start + 1)) {
      if (/^-{3,}/.test(line.trim())) break;
      // "alice@example.org [User unknown]"
      const m = /^\s*([^\s@]+@\S+)\s+\[(.*)\]\s*$/.exec(line);
      if (!m || m[1] === undefined) continue;
      const f = newFinding(NAME, findAddress(m[1]) || m[1], delayed ? 'delayed' : 'failed');
      f.diagnostic = (m[2] ?? '').trim();
      f.diagnosticType = 'x-unknown';
      findings.push(fillCodes(f));
    }
    if (findings.length === 0) return null;
    return { findings, ...(delayed ? { type: 'delayed' as const } : {}) };
  },
};
