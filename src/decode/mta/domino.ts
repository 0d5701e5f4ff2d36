/**
 * domino - decode the delivery failure reports of HCL/IBM Lotus Domino ("DELIVERY FAILURE: ..."),
 * in their plain-text form; Domino's RFC 3464 reports are read by rfc3464.
 * In: DecodeInput. Out: one Finding per address under "was not delivered to:". No config keys.
 *
 * The format:
 *   Your message
 *     Subject: Test Bounce
 *   was not delivered to:
 *     alice@example.jp
 *   because:
 *     User alice (alice@example.jp) not listed in Domino Directory
 */
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import type { Finding } from '../../types.js';
import { fillCodes, findAddress, newFinding, splitLines, squeeze, bounded } from './text-bounce.js';

const NAME = 'domino';

export const domino: Decoder = {
  name: NAME,

  detect(input: DecodeInput): boolean {
    // "Subject: DELIVERY FAILURE: User Alice (alice@example.jp) not listed in Domino Directory"
    return /^DELIVERY (?:FAILURE|REPORT):/i.test(input.subject.trim());
  },

  structure(input: DecodeInput): boolean {
    // Domino's "was not delivered to:" / "because:" lines around the addresses.
    const t = input.text;
    if (!t.includes('was not delivered to:')) return false;
    return /^[^\S\r\n]*was not delivered to:\s*$/im.test(t) && /^[^\S\r\n]*because:\s*$/im.test(t);
  },

  decode(input: DecodeInput): DecodeResult | null {
    input = bounded(input);
    const lines = splitLines(input.text);
    const to = lines.findIndex((l) => /^\s*was not delivered to:\s*$/i.test(l));
    if (to < 0) return null;
    const because = lines.findIndex((l, i) => i > to && /^\s*because:\s*$/i.test(l));
    const findings: Finding[] = [];
    for (const l of lines.slice(to + 1, because > 0 ? because : undefined)) {
      const a = findAddress(l);
      if (a) findings.push(newFinding(NAME, a));
    }
    if (findings.length === 0) return null;
    const why: string[] = [];
    for (const l of because > 0 ? lines.slice(because + 1) : []) {
      if (!l.trim()) {
        if (why.length > 0) break;
        continue;
      }
      why.push(l.trim());
    }
    const diagnostic = squeeze(why.join(' ')) || input.subject.replace(/^DELIVERY FAILURE:\s*/i, '');
    for (const f of findings) {
      f.diagnostic = diagnostic;
      f.diagnosticType = 'x-notes';
      fillCodes(f);
    }
    return { findings };
  },
};
