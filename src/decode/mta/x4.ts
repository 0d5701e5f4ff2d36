/**
 * x4 - decode the qmail-ldap / vpopmail style bounces some hosting providers send ("Your mail
 * message to the following address(es) could not be delivered."), whose error lines come from
 * local delivery agents ("child status 100...").
 * In: DecodeInput. Out: one Finding per "<address>:" block, in report order. No config keys.
 *
 * The format:
 *   Your mail message to the following address(es) could not be delivered. This
 *   is a permanent error. Please verify the addresses and try again. ...
 *
 *   <alice@example.com>:
 *   child status 100...The e-mail message could not be delivered because the user's mailfolder is full.
 *
 *   --- Below this line is a copy of the message.
 */
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import { cutAt, bounded } from './text-bounce.js';
import { QMAIL_END, readQmailBlocks } from './qmail.js';

const NAME = 'x4';

export const x4: Decoder = {
  name: NAME,

  detect(input: DecodeInput): boolean {
    return /^(?:failure notice|undeliver)/i.test(input.subject.trim()) || /mailer-daemon/i.test(input.from);
  },

  structure(input: DecodeInput): boolean {
    // Its sentence over qmail-style "<addr>:" blocks.
    const t = input.text;
    if (!t.includes('Your mail message to the following address')) return false;
    return /Your mail message to the following address(?:\(es\))? could not be delivered/i.test(t) && /^<[^<>\s]+>:\s*$/m.test(t);
  },

  decode(input: DecodeInput): DecodeResult | null {
    input = bounded(input);
    // "Your mail message to the following address(es) could not be delivered."
    if (!/Your mail message to the following address(?:\(es\))? could not be delivered/i.test(input.text)) return null;
    const findings = readQmailBlocks(cutAt(input.text, QMAIL_END), NAME);
    for (const f of findings) f.diagnostic = f.diagnostic.replace(/^child status \d+\.\.\.\s*/i, '');
    return findings.length > 0 ? { findings } : null;
  },
};
