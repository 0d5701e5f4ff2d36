/**
 * x2 - decode a qmail-derived MTA used by Japanese ISPs and portals ("Message from example.co.jp.
 * Unable to deliver message to the following address(es)."), and its newer variant
 * ("NOTICE: Delivery Failure." with "Delivery failed: address" lines).
 * In: DecodeInput. Out: one Finding per recipient, in report order. No config keys.
 *
 * The formats:
 *   Message from example.co.jp.
 *   Unable to deliver message to the following address(es).
 *
 *   <alice@example.co.jp>:
 *   This user doesn't have a example.co.jp account (alice@example.co.jp) [-9]
 *
 *   --- Original message follows.
 * and
 *   Delivery failed: alice@example.co.jp
 *   192.0.2.1 failed after I sent the message.
 *   Remote host said[Response Message]: 554 5.4.14 Hop count exceeded - possible mail loop
 *   STEP: DATA SEND
 */
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import type { Finding } from '../../types.js';
import { commandOf, cutAt, fillCodes, findAddress, newFinding, splitLines, squeeze, bounded } from './text-bounce.js';
import { QMAIL_END, readQmailBlocks } from './qmail.js';

const NAME = 'x2';

/** The "Delivery failed: address" variant. */
function readNotice(text: string): Finding[] {
  const out: Finding[] = [];
  let cur: Finding | null = null;
  for (const raw of splitLines(text)) {
    const line = raw.trim();
    const head = /^Delivery failed:\s*(\S+@\S+)/i.exec(line);
    if (head && head[1] !== undefined) {
      cur = newFinding(NAME, findAddress(head[1]));
      out.push(cur);
      continue;
    }
    if (!cur) continue;
    // "Remote host said[Response Message]: 554 5.4.14 Hop count exceeded - possible mail loop"
    const said = /^Remote host said(?:\[[^\]]*\])?:\s*(.*)$/i.exec(line);
    if (said && said[1] !== undefined) {
      cur.diagnostic = squeeze(said[1]);
      cur.diagnosticType = 'smtp';
      continue;
    }
    // "192.0.2.1 failed after I sent the message."
    const host = /^(\S+) (?:failed after I sent the message|does not like recipient|failed on DATA command)/i.exec(line);
    if (host && host[1] !== undefined) {
      cur.remoteMta = host[1];
      cur.lastCommand = /recipient/i.test(line) ? 'RCPT' : 'DATA';
      continue;
    }
    // "STEP: DATA SEND"
    const step = /^STEP:\s*(.*)$/i.exec(line);
    if (step && step[1] !== undefined && !cur.lastCommand) cur.lastCommand = commandOf(step[1]);
  }
  return out.map(fillCodes);
}

export const x2: Decoder = {
  name: NAME,

  detect(input: DecodeInput): boolean {
    // "Subject: Delivery failure" / "failed delivery" / "failure delivery"
    return /^(?:Delivery failure|failed delivery|failure delivery)\s*$/i.test(input.subject.trim());
  },

  structure(input: DecodeInput): boolean {
    // "Unable to deliver message to the following address(es)." over qmail-style "<addr>:" blocks,
    // or the newer notice's "Delivery failed: addr" and "STEP:" lines.
    const t = input.text;
    if (!t.includes('Unable to deliver message to the following address') && !t.includes('Delivery failed:')) return false;
    return (/Unable to deliver message to the following address/i.test(t) && /^<[^<>\s]+>:\s*$/m.test(t)) || (/^Delivery failed:[ \t]*\S+@/im.test(t) && /^STEP:/im.test(t));
  },

  decode(input: DecodeInput): DecodeResult | null {
    input = bounded(input);
    if (/Unable to deliver message to the following address/i.test(input.text)) {
      const findings = readQmailBlocks(cutAt(input.text, QMAIL_END), NAME);
      return findings.length > 0 ? { findings } : null;
    }
    // "Your delivery to the following address has been failed."
    if (/^Delivery failed:[ \t]*\S+@/im.test(input.text)) {
      const findings = readNotice(input.text);
      return findings.length > 0 ? { findings } : null;
    }
    return null;
  },
};
