/**
 * activehunter - decode the bounces of the ActiveHunter (TransWARE) mail gateway: a Sendmail-like
 * layout with ">>> address <address>" list lines and a transcript of the remote reply.
 * In: DecodeInput (X-AHMAILID header, Subject "FAILURE NOTICE :"). Out: one Finding per listed
 * address, in report order. No config keys.
 *
 * The format:
 *     ----- The following addresses had permanent fatal errors -----
 *   >>> alice@example.ed.jp <alice@example.ed.jp>
 *
 *     ----- Transcript of session follows -----
 *   550 <alice@example.ed.jp>: Recipient address rejected: User unknown in local recipient table
 */
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import type { Finding } from '../../types.js';
import { fillCodes, findAddress, joinReply, newFinding, splitLines, bounded } from './text-bounce.js';

const NAME = 'activehunter';

export const activehunter: Decoder = {
  name: NAME,

  detect(input: DecodeInput): boolean {
    return input.msg.headers.get('x-ahmailid') !== undefined || /^FAILURE NOTICE :/.test(input.subject);
  },

  structure(input: DecodeInput): boolean {
    // Sendmail's section rules with ActiveHunter's ">>> addr <addr>" list lines.
    const t = input.text;
    if (!t.includes('>>> ') || !t.includes('The following addresses had')) return false;
    return /^[^\S\r\n]*-{3,}\s*The following addresses had/im.test(t) && /^[^\S\r\n]*>>> \S+@\S+ <[^<>]+>\s*$/m.test(t);
  },

  decode(input: DecodeInput): DecodeResult | null {
    input = bounded(input);
    const lines = splitLines(input.text);
    const findings: Finding[] = [];
    let section: 'list' | 'transcript' | '' = '';
    const reply: string[] = [];
    for (const raw of lines) {
      const line = raw.trim();
      if (/^-{3,}\s*The following addresses had/i.test(line)) {
        section = 'list';
        continue;
      }
      if (/^-{3,}\s*Transcript of session follows/i.test(line)) {
        section = 'transcript';
        continue;
      }
      if (/^-{3,}/.test(line)) {
        section = '';
        continue;
      }
      // ">>> alice@example.ed.jp <alice@example.ed.jp>"
      if (section === 'list' && line.startsWith('>>>')) {
        const a = findAddress(line.slice(3));
        if (a) findings.push(newFinding(NAME, a));
      } else if (section === 'transcript' && /^[245]\d\d[\s-]/.test(line)) {
        reply.push(line);
      }
    }
    if (findings.length === 0) return null;
    const diagnostic = joinReply(reply);
    for (const f of findings) {
      f.diagnostic = diagnostic;
      f.diagnosticType = diagnostic ? 'smtp' : '';
      fillCodes(f);
    }
    return { findings };
  },
};
