/**
 * notes - decode the bounces of the old Lotus Notes SMTP MTA ("Undeliverable message"): a
 * "Failure Reasons" section with the reason and then the address, in English or Japanese.
 * In: DecodeInput. Out: one Finding per address in the section. No status codes. No config keys.
 *
 * The format:
 *   ------- Failure Reasons  --------
 *
 *   User  not listed in public Name & Address Book
 *   alice@example.com
 *
 *   ------- Returned Message --------
 */
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import { receivedText } from '../text.js';
import type { Finding } from '../../types.js';
import { fillCodes, findAddress, newFinding, splitLines, squeeze, bounded } from './text-bounce.js';

const NAME = 'notes';

export const notes: Decoder = {
  name: NAME,

  detect(input: DecodeInput): boolean {
    // "Subject: Undeliverable message"; "Received: ... (Lotus SMTP MTA v4.6.1 ...)"
    if (/^Undeliverable message\s*$/i.test(input.subject.trim())) return true;
    return receivedText(input).includes('Lotus SMTP MTA');
  },

  structure(input: DecodeInput): boolean {
    // Lotus Notes' "------- Failure Reasons --------" section.
    const t = input.text;
    if (!t.includes('Failure Reasons')) return false;
    return /^[^\S\r\n]*-{3,}\s*Failure Reasons\s*-{3,}/im.test(t);
  },

  decode(input: DecodeInput): DecodeResult | null {
    input = bounded(input);
    const lines = splitLines(input.text);
    const start = lines.findIndex((l) => /^-{3,}\s*Failure Reasons\s*-{3,}/i.test(l.trim()));
    if (start < 0) return null;
    const findings: Finding[] = [];
    let reason: string[] = [];
    for (const raw of lines.slice(start + 1)) {
      const line = raw.trim();
      if (/^-{3,}/.test(line)) break;
      if (!line) continue;
      const a = /^\S+@\S+$/.test(line) ? findAddress(line) : '';
      if (a) {
        // The reason lines precede the address they belong to.
        const f = newFinding(NAME, a);
        f.diagnostic = squeeze(reason.join(' '));
        f.diagnosticType = 'x-notes';
        findings.push(fillCodes(f));
        reason = [];
      } else {
        reason.push(line);
      }
    }
    return findings.length > 0 ? { findings } : null;
  },
};
