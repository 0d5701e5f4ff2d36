/**
 * mailfoundry - decode the bounces of the MailFoundry gateway ("Message delivery has failed").
 * In: DecodeInput. Out: one Finding per "Unable to deliver message to: <address>" block.
 * No config keys.
 *
 * The format:
 *   Unable to deliver message to: <alice@example.org>
 *   Delivery failed for the following reason:
 *   Server mx.example.org[192.0.2.222] failed with: 550 <alice@example.org> No such user here
 *
 *   This has been a permanent failure.  No further delivery attempts will be made.
 */
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import type { Finding } from '../../types.js';
import { fillCodes, findAddress, newFinding, splitLines, squeeze, bounded } from './text-bounce.js';

const NAME = 'mailfoundry';

export const mailfoundry: Decoder = {
  name: NAME,

  detect(input: DecodeInput): boolean {
    return /^Message delivery has failed\s*$/i.test(input.subject.trim());
  },

  structure(input: DecodeInput): boolean {
    // "Unable to deliver message to: <addr>" then "Delivery failed for the following reason:".
    const t = input.text;
    if (!t.includes('Delivery failed for the following reason:')) return false;
    return /^[^\S\r\n]*Unable to deliver message to:\s*<[^<>]+>/im.test(t) && /Delivery failed for the following reason:/i.test(t);
  },

  decode(input: DecodeInput): DecodeResult | null {
    input = bounded(input);
    const findings: Finding[] = [];
    let cur: Finding | null = null;
    let words: string[] = [];
    const flush = (): void => {
      if (!cur) return;
      const text = squeeze(words.join(' '));
      // "Server mx[ip] failed with: 550 ..." / "mail.example.org[192.0.2.222] responded with failure: 552 ..."
      const m = /^(?:Server\s+)?(\S+?)\[[^[\]]*\]\s+(?:failed with|responded with failure):\s*(.*)$/i.exec(text);
      cur.remoteMta = m?.[1] ?? '';
      cur.diagnostic = m?.[2] ?? text;
      cur.diagnosticType = 'smtp';
      fillCodes(cur);
      cur = null;
      words = [];
    };
    let inReason = false;
    for (const raw of splitLines(input.text)) {
      const line = raw.trim();
      const head = /^Unable to deliver message to:\s*(.+)$/i.exec(line);
      if (head && head[1] !== undefined) {
        flush();
        cur = newFinding(NAME, findAddress(head[1]));
        findings.push(cur);
        inReason = false;
        continue;
      }
      if (!cur) continue;
      if (/^Delivery failed for the following reason:/i.test(line)) {
        inReason = true;
        continue;
      }
      if (inReason) {
        if (!line || /^This has been a permanent failure/i.test(line)) {
          inReason = false;
          continue;
        }
        words.push(line);
      }
    }
    flush();
    return findings.length > 0 ? { findings } : null;
  },
};
