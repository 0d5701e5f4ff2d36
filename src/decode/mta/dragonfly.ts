/**
 * dragonfly - decode the bounces of the DragonFly Mail Agent (dma), used on DragonFly BSD and
 * Debian as a small sendmail replacement. Plain text, one recipient per bounce.
 * In: DecodeInput ("This is the DragonFly Mail Agent v0.13 at host."). Out: one Finding.
 * The remote reply (RFC 5321, possibly multi-line) gives reply code and RFC 3463 status.
 * No config keys.
 *
 * The format (dma's bounce.c):
 *   This is the DragonFly Mail Agent v0.13 at df.example.jp.
 *
 *   There was an error delivering your mail to <alice@example.org>.
 *
 *   mx.example.org [192.0.2.25] did not like our RCPT TO:
 *   550 5.1.1 <alice@example.org>: Recipient address rejected: User unknown
 *
 *   Message headers follow.
 */
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import { receivedText } from '../text.js';
import { commandOf, cutAt, unfoldIndented, fillCodes, findAddress, joinReply, newFinding, splitLines, bounded } from './text-bounce.js';

const NAME = 'dragonfly';

// "There was an error delivering your mail to <alice@example.org>."
const START = /^There was an error delivering your mail to (.+?)\.?\s*$/m;
const END = [/^Message headers follow\./m, /^Original message follows\./m];

export const dragonfly: Decoder = {
  name: NAME,

  detect(input: DecodeInput): boolean {
    // "Received: ... by df.example.jp (DragonFly Mail Agent v0.13);"
    if (receivedText(input).includes('DragonFly Mail Agent')) return true;
    return /^Mail delivery failed$/i.test(input.subject.trim());
  },

  structure(input: DecodeInput): boolean {
    // dma's hard-coded lines: the error sentence naming the address, then "Message headers follow."
    // or a "host [ip] did not like our COMMAND:" line.
    const t = input.text;
    return t.includes('There was an error delivering your mail to') && START.test(unfoldIndented(t)) && (/did not like our /.test(t) || END.some((re) => re.test(t)));
  },

  decode(input: DecodeInput): DecodeResult | null {
    input = bounded(input);
    if (!input.text.includes('DragonFly Mail Agent') && !START.test(unfoldIndented(input.text))) return null;
    // dma indents nothing: an indented line is one it wrote on the line above, re-wrapped.
    const report = unfoldIndented(cutAt(input.text, END));
    const start = START.exec(report);
    if (!start || start[1] === undefined) return null;
    const f = newFinding(NAME, findAddress(start[1]) || start[1]);

    // Everything after the "There was an error" line: the step line and the remote reply.
    const rest = splitLines(report.slice(start.index + start[0].length)).map((l) => l.trim()).filter((l) => l !== '');
    // "gmail-smtp-in.l.google.com [74.125.203.27] did not like our final DATA:"
    const step = rest.length > 0 ? /^(\S+)\s+\[[^\]]*\]\s+did not like our (.+?):\s*$/.exec(rest[0]!) : null;
    if (step && step[1] !== undefined && step[2] !== undefined) {
      f.remoteMta = step[1];
      f.lastCommand = commandOf(step[2]);
      f.diagnostic = joinReply(rest.slice(1));
      f.diagnosticType = 'smtp';
    } else {
      f.diagnostic = rest.join(' ');
      f.diagnosticType = f.diagnostic ? 'x-dma' : '';
    }
    fillCodes(f);
    return { findings: [f] };
  },
};
