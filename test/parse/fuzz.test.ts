import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeMessage } from '../../src/analyze.js';
import { decodeMessage } from '../../src/decode/index.js';
import { parseMessage } from '../../src/parse/mime.js';

// A DSN written for these tests; the fuzzers cut, splice and corrupt it.
const SEED = `From: MAILER-DAEMON@mx.example.net
To: bounces@example.com
Subject: =?utf-8?Q?Undelivered_Mail?=
Content-Type: multipart/report; report-type=delivery-status; boundary="S"

--S
Content-Type: text/plain; charset=iso-2022-jp
Content-Transfer-Encoding: quoted-printable

<a@example.org>: host mx.example.org[192.0.2.1] said: 550 5.1.1 unknown =
(in reply to RCPT TO command)

--S
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; a@example.org
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 unknown

--S
Content-Type: message/rfc822
Content-Transfer-Encoding: base64

${Buffer.from('From: x@example.com\nTo: a@example.org\nContent-Type: multipart/mixed; boundary=I\n\n--I\n\nhi\n--I--\n').toString('base64')}
--S--
`;

/** Run the whole pipeline on one input and check it returns quickly with a sane shape. */
function check(raw: Buffer | string): void {
  const t0 = performance.now();
  const m = parseMessage(raw);
  // Touch every body: decoding is lazy.
  const visit = (p: typeof m.root): void => {
    void p.body;
    p.parts.forEach(visit);
  };
  visit(m.root);
  const r = decodeMessage(m);
  const a = analyzeMessage(raw);
  const ms = performance.now() - t0;
  expect(Array.isArray(r.findings)).toBe(true);
  expect(a.recipients.length).toBe(r.findings.length);
  expect(ms).toBeLessThan(2000);
}

const mutation = fc.oneof(
  // Cut at a point (truncation).
  fc.nat().map((n) => (s: string) => s.slice(0, n % (s.length + 1))),
  // Delete a range.
  fc.tuple(fc.nat(), fc.nat({ max: 200 })).map(([a, len]) => (s: string) => {
    const i = a % (s.length + 1);
    return s.slice(0, i) + s.slice(i + len);
  }),
  // Insert random text or structure-looking tokens.
  fc.tuple(fc.nat(), fc.oneof(fc.string(), fc.constantFrom('\n--S\n', '\n--S--\n', '=?', '?=', '\r', '\n\n', ': ', '=\n', '\x00', 'Content-Type: multipart/mixed; boundary=S\n'))).map(
    ([a, ins]) => (s: string) => {
      const i = a % (s.length + 1);
      return s.slice(0, i) + ins + s.slice(i);
    },
  ),
  // Duplicate a range many times (deep or wide structure).
  fc.tuple(fc.nat(), fc.nat({ max: 100 }), fc.integer({ min: 2, max: 50 })).map(([a, len, k]) => (s: string) => {
    const i = a % (s.length + 1);
    return s.slice(0, i) + s.slice(i, i + len).repeat(k) + s.slice(i + len);
  }),
);

describe('parser robustness (fast-check)', () => {
  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4000 }), (bytes) => {
        check(Buffer.from(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on random text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 2000, unit: 'binary' }), (s) => {
        check(s);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on mutated DSNs', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 8 }), (muts) => {
        let s = SEED;
        for (const f of muts) s = f(s);
        check(s);
        check(Buffer.from(s.replace(/\n/g, '\r\n'), 'latin1'));
      }),
      { numRuns: 400 },
    );
  });
});

describe('large inputs', () => {
  it('handles a 50 MB message with a big attachment in bounded time', () => {
    const attachment = Buffer.alloc(37 * 1024 * 1024, 'a').toString('base64').replace(/.{76}/g, '$&\n');
    const raw = SEED.replace('--S--\n', `--S\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n${attachment}\n--S--\n`);
    expect(raw.length).toBeGreaterThan(50 * 1000 * 1000);
    const t0 = performance.now();
    const a = analyzeMessage(Buffer.from(raw, 'latin1'));
    const ms = performance.now() - t0;
    expect(a.type).toBe('bounce');
    expect(a.recipients.map((r) => r.address)).toEqual(['a@example.org']);
    // Generous: the limit is about boundedness, and CI machines are shared.
    expect(ms).toBeLessThan(30_000);
  }, 120_000);

  it('handles 50 MB of binary garbage without line breaks', () => {
    const buf = Buffer.alloc(50 * 1024 * 1024);
    let x = 12345;
    for (let i = 0; i < buf.length; i += 4) {
      x = (x * 1103515245 + 12345) >>> 0;
      buf.writeUInt32LE(x, i);
    }
    const t0 = performance.now();
    const a = analyzeMessage(buf);
    expect(a.type).toBe('not-bounce');
    expect(performance.now() - t0).toBeLessThan(30_000);
  }, 120_000);

  it.each([
    ['a 200 kB line', 'From: MAILER-DAEMON@x.example\nSubject: Undelivered Mail\n\n' + 'a'.repeat(200_000) + '\n'],
    ['dots before one @', 'From: MAILER-DAEMON@x.example\nSubject: Undelivered Mail\n\n' + 'a.'.repeat(100_000) + '@\n'],
    ['a run of blanks after said:', 'From: MAILER-DAEMON@x.example\nSubject: Undelivered Mail\n\nsaid:' + ' '.repeat(100_000) + 'x\n'],
    ['20,000 error lines', 'From: MAILER-DAEMON@x.example\nSubject: Undelivered Mail\n\n' + 'user@example.org unknown\n'.repeat(20_000)],
    ['a 100 kB diagnostic', 'From: MAILER-DAEMON@x.example\nContent-Type: multipart/report; report-type=delivery-status; boundary=B\n\n--B\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@b.example\nDiagnostic-Code: smtp; ' + '5'.repeat(100_000) + '\n--B--\n'],
    ['a 300 kB header', 'To: ' + 'x'.repeat(300_000) + '\nFrom: staff@hotmail.com\nSubject: complaint about message from 192.0.2.1\n\nhi'],
    ['200 kB of unclosed tags', 'From: MAILER-DAEMON@x.example\nContent-Type: text/html\n\n' + '<a '.repeat(70_000)],
  ])('stays fast on hostile input: %s', (_name, raw) => {
    const t0 = performance.now();
    analyzeMessage(raw);
    expect(performance.now() - t0).toBeLessThan(5_000);
  });

  it('handles a header section of many thousands of lines', () => {
    const raw = 'Received: from x\n'.repeat(200_000) + 'Subject: s\n\nbody\n';
    const t0 = performance.now();
    const m = parseMessage(raw);
    expect(m.headers.list.length).toBeGreaterThan(0);
    expect(performance.now() - t0).toBeLessThan(5_000);
  }, 30_000);
});
