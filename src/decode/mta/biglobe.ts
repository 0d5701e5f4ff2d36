/**
 * biglobe - decode the bounces of BIGLOBE (Japanese ISP): an address list and a
 * "Non-delivered information" section in English (the Japanese part says the same).
 * In: DecodeInput (From postmaster@biglobe.ne.jp). Out: one Finding per listed address.
 * No status codes. No config keys.
 *
 * The format:
 *      ----- The following addresses had delivery problems -----
 *   alice@example.ne.jp
 *
 *      ----- Non-delivered information -----
 *   The number of messages in recipient's mailbox exceeded the local limit.
 */
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import type { Finding } from '../../types.js';
import { fillCodes, findAddress, newFinding, splitLines, squeeze, bounded } from './text-bounce.js';

const NAME = 'biglobe';

/**
 * "----- The following addresses had delivery problems -----": the words between three or more
 * dashes on each side (a trimmed line), or undefined. By index: as /^-{3,}\s*(.*?)\s*-{3,}$/ it
 * tried every split of a long run of dashes (cubic).
 */
export function sectionHead(line: string): string | undefined {
  let lead = 0;
  while (line.charCodeAt(lead) === 45) lead++;
  if (lead < 3) return undefined;
  if (lead === line.length) return lead >= 6 ? '' : undefined;
  let trail = 0;
  while (line.charCodeAt(line.length - 1 - trail) === 45) trail++;
  return trail >= 3 ? line.slice(lead, line.length - trail).trim() : undefined;
}

export const biglobe: Decoder = {
  name: NAME,

  detect(input: DecodeInput): boolean {
    return /@(?:[a-z0-9-]+\.)*biglobe\.ne\.jp\b/i.test(input.from);
  },

  structure(input: DecodeInput): boolean {
    // BIGLOBE's "----- The following addresses had ... -----" and "----- Non-delivered information -----".
    const t = input.text;
    if (!t.includes('Non-delivered information')) return false;
    return /^[^\S\r\n]*-{3,}\s*The following addresses had[^\n]*-{3,}\s*$/im.test(t) && /^[^\S\r\n]*-{3,}\s*Non-delivered information\s*-{3,}\s*$/im.test(t);
  },

  decode(input: DecodeInput): DecodeResult | null {
    input = bounded(input);
    const findings: Finding[] = [];
    const info: string[] = [];
    let section = '';
    for (const raw of splitLines(input.text)) {
      const line = raw.trim();
      const head = sectionHead(line);
      if (head !== undefined) {
        section = /addresses had/i.test(head) ? 'list' : /non-delivered information/i.test(head) ? 'info' : '';
        continue;
      }
      if (!line) continue;
      if (section === 'list') {
        const a = findAddress(line);
        if (a) findings.push(newFinding(NAME, a));
      } else if (section === 'info') {
        info.push(line);
      }
    }
    if (findings.length === 0) return null;
    const diagnostic = squeeze(info.join(' '));
    for (const f of findings) {
      f.diagnostic = diagnostic;
      f.diagnosticType = 'x-biglobe';
      fillCodes(f);
    }
    return { findings };
  },
};
