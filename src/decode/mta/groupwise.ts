/**
 * groupwise - decode the non-delivery notices of the Novell/Micro Focus GroupWise Internet Agent
 * (GWIA): one indented "address (reason)" line per failed recipient under GWIA's sentence.
 * In: DecodeInput. Out: one Finding per listed address, in report order. No config keys.
 *
 * The format (GWIA; the sentences are the agent's own, not the administrator's):
 *   The message that you sent was undeliverable to the following:
 *   	alice@example.org (user not found)
 *   	bob@example.net (host not found)
 *
 *   Information about your message:        (newer versions)
 *   ...
 *   Possibly truncated original message follows:
 *
 * Detection by structure: the sentence and its indented list, or the copy separator with an
 * indented address list; X-Mailer "Novell GroupWise Internet Agent" and a From of the form
 * "DOMAIN.GWIA.GATEWAY" are the preferred signals.
 */
import type { Finding } from '../../types.js';
import type { DecodeInput, DecodeResult, Decoder } from '../types.js';
import { cutAt, fillCodes, findAddress, newFinding, splitLines, squeeze, bounded } from './text-bounce.js';

const NAME = 'groupwise';

const LEAD = /^[^\S\r\n]*The message that you sent was undeliverable to the following:?\s*$/im;
const END = [/^[^\S\r\n]*Information about your message:/im, /^[^\S\r\n]*(?:Possibly )?truncated original message follows:?/im, /^[^\S\r\n]*Original message follows:?/im];
/** "	alice@example.org (user not found)": indented, an address, the reason in parentheses. */
const LIST_LINE = /^[ \t]+<?([^\s<>()]+@[^\s<>()]+?)>?(?:[ \t]+\((.*?)\)?)?[ \t]*$/;

export const groupwise: Decoder = {
  name: NAME,

  detect(input: DecodeInput): boolean {
    // "X-Mailer: Novell GroupWise Internet Agent 8.0.3", From "DOMAIN.GWIA.GATEWAY <...>"
    if (/GroupWise Internet Agent/i.test(input.msg.headers.get('x-mailer') ?? '')) return true;
    return /\.GWIA\.GATEWAY\b/i.test(input.from);
  },

  structure(input: DecodeInput): boolean {
    const t = input.text;
    if (!t.includes('was undeliverable to the following')) return false;
    return LEAD.test(t) && splitLines(t).some((l) => LIST_LINE.test(l));
  },

  decode(input: DecodeInput): DecodeResult | null {
    input = bounded(input);
    const lead = LEAD.exec(input.text);
    if (!lead) return null;
    const list = cutAt(input.text.slice(lead.index + lead[0].length), END);
    const findings: Finding[] = [];
    for (const line of splitLines(list)) {
      if (line.trim() === '') {
        if (findings.length > 0) break;
        continue;
      }
      const m = LIST_LINE.exec(line);
      if (!m || m[1] === undefined) {
        // A reason too long for its line continues indented below it.
        const last = findings[findings.length - 1];
        if (last && /^[ \t]{2,}\S/.test(line)) last.diagnostic = squeeze(`${last.diagnostic} ${line}`.replace(/\)\s*$/, ''));
        continue;
      }
      const f = newFinding(NAME, findAddress(m[1]));
      f.diagnostic = squeeze(m[2] ?? '');
      f.diagnosticType = f.diagnostic ? 'x-gwia' : '';
      findings.push(fillCodes(f));
    }
    return findings.length > 0 ? { findings } : null;
  },
};
