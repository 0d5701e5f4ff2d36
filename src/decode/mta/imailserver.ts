/**
 * imailserver - decode the bounces of Ipswitch IMail Server ("Undeliverable Mail",
 * X-Mailer: <SMTP32 v8.22>): one "Reason: address" line per recipient, or "undeliverable to
 * address" followed by the remote server's reply.
 * In: DecodeInput. Out: one Finding per address, in report order. No config keys.
 *
 * The formats:
 *   Unknown user: alice@example.com
 *   User mailbox exceeds allowed size: alice@example.co.jp
 *   Invalid final delivery userid: alice@example.co.jp
 * and
 *   undeliverable to alice@example.jp
 *   Body of message generated response:
 *   550-REJECTED - Blacklisted URL in message. (example.com) in [black].
 *   550 DEALS UPDATE - 04/29/08
 *
 *   Original message follows.
 */
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import type { Finding } from '../../types.js';
import { cutAt, fillCodes, findAddress, joinReply, newFinding, splitLines, bounded } from './text-bounce.js';

const NAME = 'imailserver';

export const imailserver: Decoder = {
  name: NAME,

  detect(input: DecodeInput): boolean {
    // "X-Mailer: <SMTP32 v8.22>"
    if (/<SMTP32 v/i.test(input.msg.headers.get('x-mailer') ?? '')) return true;
    return /^Undeliverable Mail\s*$/i.test(input.subject.trim());
  },

  structure(input: DecodeInput): boolean {
    // IMail's "Original message follows." with its "undeliverable to addr" or "Reason: addr" lines.
    const t = input.text;
    if (!t.includes('riginal message follows') || !/undeliverable to|Unknown user|User mailbox exceeds|Invalid final delivery userid|Delivery failed \d|Host not found/i.test(t)) return false;
    return /^[ \t]*Original message follows\.?/im.test(t) && (/^[^\S\r\n]*undeliverable to\s+\S+@\S+/im.test(t) || /^[^\S\r\n]*(?:Unknown user|User mailbox exceeds allowed size|Invalid final delivery userid|Delivery failed \d+ attempts?|Host not found)[^:\n]*:\s*\S+@\S+/im.test(t));
  },

  decode(input: DecodeInput): DecodeResult | null {
    input = bounded(input);
    const report = cutAt(input.text, [/^[ \t]*Original message follows\.?/im]);
    const lines = splitLines(report).map((l) => l.trim());
    const findings: Finding[] = [];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      // "undeliverable to alice@example.jp" + "Body of message generated response:" + reply lines
      const und = /^undeliverable to\s+(\S+@\S+)/i.exec(line);
      if (und && und[1] !== undefined) {
        const f = newFinding(NAME, findAddress(und[1]));
        const reply: string[] = [];
        for (let j = i + 1; j < lines.length; j++) {
          const l = lines[j]!;
          if (/^undeliverable to/i.test(l)) break;
          if (/^[245]\d\d[\s-]/.test(l)) reply.push(l);
          else if (reply.length > 0 && l === '') break;
        }
        f.diagnostic = joinReply(reply);
        f.diagnosticType = 'smtp';
        findings.push(fillCodes(f));
        continue;
      }
      // "Unknown user: alice@example.com"
      const key = /^([A-Za-z][A-Za-z ]+?):\s*(\S+@\S+)\s*$/.exec(line);
      if (key && key[1] !== undefined && key[2] !== undefined && !/^(?:To|CC|Bcc|From|Reply-To|Sender|Return-Path|Delivered-To|Received|Subject|Date|Message-ID|X-[\w-]+)$/i.test(key[1])) {
        const f = newFinding(NAME, findAddress(key[2]));
        f.diagnostic = key[1];
        f.diagnosticType = 'x-imail';
        findings.push(fillCodes(f));
      }
    }
    return findings.length > 0 ? { findings } : null;
  },
};
