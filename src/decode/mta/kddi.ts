/**
 * kddi - decode the error notices of KDDI's au one net mail (dion.ne.jp, auone-net.jp): an English
 * block under the Japanese preamble (ISO-2022-JP), one "Could not be delivered to:" per recipient.
 * In: DecodeInput. Out: one Finding per recipient. No status codes. No config keys.
 *
 * The format:
 *   Your mail sent on: Thu, 29 Apr 2013 23:45:22 +0900
 *        Could not be delivered to: <alice@example.dion.ne.jp>
 *        As their mailbox is full.
 */
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import type { Finding } from '../../types.js';
import { fillCodes, findAddress, newFinding, splitLines, squeeze, bounded } from './text-bounce.js';

const NAME = 'kddi';

export const kddi: Decoder = {
  name: NAME,

  detect(input: DecodeInput): boolean {
    // "From: no-reply@x0000000000000.dion.ne.jp"; Message-ID "<...@nm00lds000.auone-net.jp>"
    if (/dion\.ne\.jp/i.test(input.from) && /(?:no-reply|postmaster|mailer-daemon)@(?:[a-z0-9-]+\.)*dion\.ne\.jp\b/i.test(input.from)) return true;
    return (input.msg.headers.get('message-id') ?? '').includes('.auone-net.jp');
  },

  structure(input: DecodeInput): boolean {
    // au (KDDI) notices: "Could not be delivered to: <addr>" then the reason, a blank line.
    const t = input.text;
    if (!t.includes('Could not be delivered to:')) return false;
    return /^[^\S\r\n]*Could not be delivered to:\s*<?[^\s<>]+@[^\s<>]+>?\s*$/im.test(t);
  },

  decode(input: DecodeInput): DecodeResult | null {
    input = bounded(input);
    const lines = splitLines(input.text).map((l) => l.trim());
    const findings: Finding[] = [];
    for (let i = 0; i < lines.length; i++) {
      const m = /^Could not be delivered to:\s*(.+)$/i.exec(lines[i]!);
      if (!m || m[1] === undefined) continue;
      const f = newFinding(NAME, findAddress(m[1]));
      const why: string[] = [];
      for (let j = i + 1; j < lines.length && lines[j] !== '' && !/^Could not be delivered to:/i.test(lines[j]!); j++) why.push(lines[j]!);
      f.diagnostic = squeeze(why.join(' '));
      f.diagnosticType = 'x-kddi';
      findings.push(fillCodes(f));
    }
    return findings.length > 0 ? { findings } : null;
  },
};
