/**
 * x6 - decode the "There was an error sending your mail" notices of an unidentified gateway:
 * one sentence per rejected recipient naming the server, the address, the command and the reply.
 * In: DecodeInput. Out: one Finding per sentence, in report order. No config keys.
 *
 * The format:
 *   We had trouble delivering your message. Full details follow:
 *   1 error(s):
 *   SMTP Server <mx.example.org> rejected recipient <alice@example.org> (Error following RCPT
 *   command). It responded as follows: [550 5.1.1 User unknown]
 */
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import type { Finding } from '../../types.js';
import { commandOf, fillCodes, findAddress, newFinding, squeeze, bounded } from './text-bounce.js';

const NAME = 'x6';

// "SMTP Server <host> rejected recipient <addr> (Error following RCPT command). It responded as follows: [reply]"
const LINE = /SMTP Server <([^<>]*)> rejected recipient <([^<>]+)>\s*\(Error following (\S+) command\)\.?\s*It responded as follows:\s*\[([^\]]*)\]/gi;

export const x6: Decoder = {
  name: NAME,

  detect(input: DecodeInput): boolean {
    return /^There was an error sending your mail/i.test(input.subject.trim());
  },

  structure(input: DecodeInput): boolean {
    // One "SMTP Server <host> rejected recipient <addr> (Error following CMD command)" sentence.
    const t = input.text;
    if (!t.includes('SMTP Server <')) return false;
    return /SMTP Server <[^<>]+> rejected recipient <[^<>]+>/i.test(t);
  },

  decode(input: DecodeInput): DecodeResult | null {
    input = bounded(input);
    const text = squeeze(input.text);
    const findings: Finding[] = [];
    for (const m of text.matchAll(LINE)) {
      const f = newFinding(NAME, findAddress(`<${m[2]}>`));
      f.remoteMta = m[1] ?? '';
      f.lastCommand = commandOf(m[3] ?? '') || (m[3] ?? '').toUpperCase();
      f.diagnostic = (m[4] ?? '').trim();
      f.diagnosticType = 'smtp';
      findings.push(fillCodes(f));
    }
    return findings.length > 0 ? { findings } : null;
  },
};
