/**
 * decode/dsn-text - RFC 3464 fields written as plain text (a multipart/report whose parts could
 * not be split, or an MTA that pastes the fields into the body): not an RFC 3464 report, but read
 * by the same field reader (rfc3464.ts decodeParts). Tried after the MTA decoders.
 */
import { decodeParts, looksLikeDsn } from './rfc3464.js';
import type { DecodeInput, DecodeResult, Decoder } from './types.js';

/** The first line of the DSN fields in a text (Reporting-MTA or the first recipient field). */
function dsnStart(text: string): number {
  const m = /^(?:Reporting-MTA|Original-Recipient|Final-Recipient)[ \t]*:/im.exec(text);
  return m ? m.index : -1;
}

/**
 * DSN fields in plain text: a multipart/report whose parts could not be split, or an MTA that
 * pastes the fields into the body. Tried after the MTA decoders.
 */
export const rfc3464Text: Decoder = {
  name: 'rfc3464',
  detect(input: DecodeInput): boolean {
    return looksLikeDsn(input.text);
  },
  decode(input: DecodeInput): DecodeResult | null {
    const src = input.text;
    const start = dsnStart(src);
    if (start < 0) return null;
    // Stop at the returned message: its headers would be read as fields.
    let rest = src.slice(start);
    const stop = /^(?:Return-Path|Received|DKIM-Signature)[ \t]*:|^Content-Type:[ \t]*message\/rfc822/im.exec(rest);
    if (stop) rest = rest.slice(0, stop.index);
    const r = decodeParts(input, [rest]);
    if (r) r.problems = [...(r.problems ?? []), 'delivery-status fields read from plain text'];
    return r;
  },
};
