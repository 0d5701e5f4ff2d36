/**
 * Group-A decoders on hostile text: huge lines, runs of separators and half-addresses. None may
 * throw, and each must finish quickly (a backtracking regex on ~300 KB shows up here as minutes;
 * the limit is loose because the suite runs two workers on two cores).
 */
import { describe, expect, it } from 'vitest';
import { mtaDecoders } from '../../../src/decode/index.js';
import { parseMessage } from '../../../src/parse/message.js';
import { buildDecodeInput } from '../../../src/decode/text.js';

const NAMES = 'qmail exim dragonfly sendmail v5sendmail postfix opensmtpd courier x1 x2 x3 x4 x6 fml activehunter apachejames biglobe domino notes imailserver trendmicro kddi ezweb mailfoundry mfilter mxlogic'.split(' ');

const BODIES: Array<[string, string]> = [
  ['one long word', 'a'.repeat(300_000)],
  ['a run of dashes', '-'.repeat(300_000)],
  ['half addresses', 'a@'.repeat(150_000)],
  ['angle brackets', '<a@b'.repeat(80_000)],
  ['many blocks', 'Remote host said: 550\n<a@b.example>:\n  x\n'.repeat(3_000)],
];

describe('group-A decoders on hostile input', () => {
  it.each(BODIES)('%s: no decoder throws or takes more than 5 s', async (_name, body) => {
    const raw = `From: MAILER-DAEMON@x.example\nSubject: failure notice\n\nHi. This is the qmail-send program at x.\nThis message was created automatically by mail delivery software.\nThe following address(es) failed:\n   ----- Transcript of session follows -----\n\n${body}\n`;
    const input = buildDecodeInput(await parseMessage(raw));
    for (const name of NAMES) {
      const d = mtaDecoders.find((x) => x.name === name);
      expect(d, `decoder ${name} is registered`).toBeDefined();
      const t0 = performance.now();
      expect(() => {
        d!.detect(input);
        d!.decode(input);
        d!.enrich?.({ type: 'bounce', findings: [], decodedBy: '', problems: [] }, input);
      }).not.toThrow();
      expect(performance.now() - t0, `${name} took too long`).toBeLessThan(5000);
    }
  }, 120_000);
});
