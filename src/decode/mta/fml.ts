/**
 * fml - decode the error notices of the fml mailing-list manager: the list refused our message
 * (we are not a member, a command failed, a loop was detected).
 * In: DecodeInput (X-MLServer: fml ...). Out: one Finding for the list address named in the notice.
 * No status codes. No config keys.
 *
 * The formats:
 *   Subject: You alice@example.org are not member (neko ML)
 *   You are not a member of this mailing list <neko@example.org>.
 * and
 *   Subject: Loop Alert: Duplicated Message-ID (neko ML)
 *   Duplicated Message-ID in <neko@example.co.jp>.
 */
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import { findAddress, newFinding, splitLines, bounded } from './text-bounce.js';

const NAME = 'fml';

/**
 * "Subject: [list:00123] (listname ML)": the subject ends with "(" + non-blank text + " ML)". By
 * index: as /\(\S+ ML\)\s*$/ every "(" rescanned the rest of a long blank-free subject.
 */
export function isListSubject(subject: string): boolean {
  const s = subject.trimEnd();
  if (!s.endsWith(' ML)')) return false;
  // The blank-free run before " ML)" must hold a "(" with at least one character after it.
  const end = s.length - 4;
  let start = end;
  while (start > 0 && !/\s/.test(s[start - 1]!)) start--;
  return s.slice(start, end - 1).includes('(');
}

export const fml: Decoder = {
  name: NAME,

  detect(input: DecodeInput): boolean {
    // "X-MLServer: fml [fml 4.0.3 release (20011202/4.0.3)]"
    if (/\bfml\b/i.test(input.msg.headers.get('x-mlserver') ?? '')) return true;
    return isListSubject(input.subject);
  },

  structure(input: DecodeInput): boolean {
    // fml's own header and a sentence naming the list address.
    return /\bfml\b/i.test(input.msg.headers.get('x-mlserver') ?? '') && /<[^<>\s@]+@[^<>\s]+>/.test(input.text);
  },

  decode(input: DecodeInput): DecodeResult | null {
    input = bounded(input);
    // The first line that names an address in <...> is fml's error sentence.
    const line = splitLines(input.text).find((l) => /<[^<>\s@]+@[^<>\s]+>/.test(l) && !/^\s*(?:From|To|Return-Path|Received|Delivered-To):/i.test(l));
    if (!line) return null;
    const f = newFinding(NAME, findAddress(line));
    f.diagnostic = line.trim();
    f.diagnosticType = 'x-fml';
    // fml's notice is in its Subject as much as in the body ("You x are not member (neko ML)").
    if (input.subject) f.human = input.subject;
    return { findings: [f] };
  },
};
