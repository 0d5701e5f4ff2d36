/**
 * apachejames - decode the bounces of Apache James (Java mail server): an error title, the remote
 * reply under "Error message below:", and the envelope under "Message details:".
 * In: DecodeInput (Message-ID "...JavaMail..." or Received "JAMES SMTP Server").
 * Out: one Finding per "RCPT TO:" address. No config keys.
 *
 * The format:
 *   Error: Invalid user address
 *
 *   Error message below:
 *   550 - Requested action not taken: no such user here
 *
 *   Message details:
 *     Subject: Test message
 *     MAIL FROM: sender@example.com
 *     RCPT TO: alice@example.com
 */
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import { receivedText } from '../text.js';
import type { Finding } from '../../types.js';
import { fillCodes, findAddress, newFinding, splitLines, squeeze, bounded } from './text-bounce.js';

const NAME = 'apachejames';

export const apachejames: Decoder = {
  name: NAME,

  detect(input: DecodeInput): boolean {
    const h = input.msg.headers;
    if ((h.get('message-id') ?? '').includes('JavaMail')) return true;
    return receivedText(input).includes('JAMES SMTP Server');
  },

  structure(input: DecodeInput): boolean {
    // James's "Error message below:" and "Message details:" with the envelope's "RCPT TO:".
    const t = input.text;
    if (!t.includes('Message details:')) return false;
    return /^[^\S\r\n]*Error message below:/im.test(t) && /^[^\S\r\n]*Message details:/im.test(t) && /^[^\S\r\n]*RCPT TO:/im.test(t);
  },

  decode(input: DecodeInput): DecodeResult | null {
    input = bounded(input);
    const lines = splitLines(input.text);
    const at = lines.findIndex((l) => /^\s*Error message below:/i.test(l));
    const details = lines.findIndex((l) => /^\s*Message details:/i.test(l));
    if (at < 0 && details < 0) return null;
    const words: string[] = [];
    for (let i = at + 1; at >= 0 && i < lines.length; i++) {
      const l = lines[i]!.trim();
      if (/^Message details:/i.test(l)) break;
      if (l) words.push(l);
    }
    // "550 - Requested action not taken: no such user here" -> code without the dash.
    const diagnostic = squeeze(words.join(' ')).replace(/^([245]\d\d)\s+-\s+/, '$1 ');
    const title = lines.find((l) => /^\s*Error:\s*/.test(l))?.trim().replace(/^Error:\s*/, '') ?? '';
    const findings: Finding[] = [];
    for (const l of details >= 0 ? lines.slice(details + 1) : []) {
      // "  RCPT TO: 000000000000@vtext.example.com"
      const m = /^\s*RCPT TO:\s*(.+)$/i.exec(l);
      if (!m || m[1] === undefined) continue;
      for (const part of m[1].split(/[,\s]+/)) {
        const a = findAddress(part);
        if (!a) continue;
        const f = newFinding(NAME, a);
        f.diagnostic = diagnostic || title;
        f.diagnosticType = diagnostic ? 'smtp' : 'x-james';
        findings.push(fillCodes(f));
      }
    }
    return findings.length > 0 ? { findings } : null;
  },
};
