/**
 * mxlogic - decode the bounces of MX Logic (McAfee SaaS email protection) relays: Exim's layout
 * with the error on the address line and a copy of the header after "Included is a copy of the
 * message header:". In: DecodeInput (Message-Id "<mxl~...>", X-MX-Bounce, Received "mxl_mta").
 * Out: one Finding per address, in report order. No config keys.
 *
 * The format:
 *   A message that you have sent could not be delivered to one or more
 *   recipients.  This is a permanent error.  The following address failed:
 *
 *     <alice@example.co.jp>: 550 5.1.1 <alice@example.co.jp>: Recipient address rejected: User unknown
 *
 *   Included is a copy of the message header:
 */
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import { receivedText } from '../text.js';
import { readEximReport } from './exim.js';
import { bounded } from './text-bounce.js';

const NAME = 'mxlogic';

export const mxlogic: Decoder = {
  name: NAME,

  detect(input: DecodeInput): boolean {
    const h = input.msg.headers;
    if (h.get('x-mx-bounce') !== undefined || h.get('x-mxl-notehash') !== undefined) return true;
    if ((h.get('message-id') ?? '').startsWith('<mxl~')) return true;
    return receivedText(input).includes('mxl_mta');
  },

  structure(input: DecodeInput): boolean {
    // MX Logic's Exim layout, with the error on the address line, and its header-copy separator.
    const t = input.text;
    if (!t.includes('Included is a copy of the message header:')) return false;
    return /could not be delivered to one or more/i.test(t) && /^Included is a copy of the message header:/m.test(t);
  },

  decode(input: DecodeInput): DecodeResult | null {
    input = bounded(input);
    if (!/could not be delivered to one or more/i.test(input.text)) return null;
    const findings = readEximReport(input.text, NAME);
    return findings.length > 0 ? { findings } : null;
  },
};
