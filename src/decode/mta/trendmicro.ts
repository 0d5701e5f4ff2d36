/**
 * trendmicro - decode the notices of Trend Micro InterScan Messaging Security Suite / InterScan
 * VirusWall ("Message from InterScan Messaging Security Suite").
 * In: DecodeInput. Out: one Finding per "Unable to deliver message to <address>" sentence.
 * No status codes. No config keys.
 *
 * The format:
 *   Message from InterScan Messaging Security Suite
 *   Unable to deliver message to <alice@example.jp> (and other recipients in the same domain).
 *   Please check if address is correct.
 */
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import type { Finding } from '../../types.js';
import { fillCodes, findAddress, newFinding, splitLines, squeeze, bounded, unfoldIndented } from './text-bounce.js';

const NAME = 'trendmicro';

export const trendmicro: Decoder = {
  name: NAME,

  detect(input: DecodeInput): boolean {
    // "From: postmaster@example.jp ("InterScan Notification")"
    return /InterScan/i.test(input.from) || /InterScan/i.test(input.msg.headers.get('content-type') ?? '');
  },

  structure(input: DecodeInput): boolean {
    // InterScan's notice sentence naming the address.
    const t = input.text;
    if (!t.includes('InterScan')) return false;
    return /^[^\S\r\n]*Unable to deliver message to\s+(?:<[^<>]+>|\S+@\S+)/im.test(t) && /InterScan/i.test(t);
  },

  decode(input: DecodeInput): DecodeResult | null {
    input = bounded(input);
    if (!/InterScan|Unable to deliver message to/i.test(input.text)) return null;
    const findings: Finding[] = [];
    // IMSS writes each notice on one line; a re-wrapped one comes back whole.
    for (const raw of splitLines(unfoldIndented(input.text))) {
      const line = raw.trim();
      // "Unable to deliver message to <alice@example.jp> (and other recipients ...)."
      const m = /^Unable to deliver message to\s+(<[^<>]+>|\S+@\S+)\s*(.*)$/i.exec(line);
      if (!m || m[1] === undefined) continue;
      const f = newFinding(NAME, findAddress(m[1]));
      f.diagnostic = squeeze(line);
      f.diagnosticType = 'x-interscan';
      findings.push(fillCodes(f));
    }
    return findings.length > 0 ? { findings } : null;
  },
};
