/**
 * The parse stage's promises on hostile input: random and mutated messages, and the named extremes
 * (10,000 parts, nesting 1,000 deep, 50 MB, binary), each parse without an exception, in bounded
 * time and memory, and come back either analysed or marked unreadable. The bounds are generous
 * (shared CI machines): they catch work that grows faster than the input, not slow machines.
 * The slowest cases are printed at the end of the run (docs/BENCHMARKS.md records them).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeMessage } from '../../src/pipeline/analyze.js';
import { decodeMessage } from '../../src/decode/index.js';
import { parseMessage, walkParts } from '../../src/parse/message.js';
import type { Analysis } from '../../src/types.js';

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

/** Wall time and peak RSS growth of every named case, for the summary printed at the end. */
const timings: { name: string; ms: number; mib: number; bytes: number; result: string }[] = [];
let slowestRandom = { ms: 0, bytes: 0 };

afterAll(() => {
  const rows = [...timings].sort((a, b) => b.ms - a.ms);
  const lines = rows.map(
    (r) => `  ${r.ms.toFixed(0).padStart(6)} ms  peak RSS +${r.mib.toFixed(0).padStart(4)} MiB  ${(r.bytes / 1e6).toFixed(1).padStart(5)} MB  ${r.name}: ${r.result}`,
  );
  console.log(
    `parse stage on hostile input, slowest first:\n${lines.join('\n')}\n  slowest random/mutated input: ${slowestRandom.ms.toFixed(1)} ms (${slowestRandom.bytes} bytes)`,
  );
});

/** Parse, decode and analyse one input, touching every part; check the result's shape. */
async function check(raw: Buffer | string): Promise<void> {
  const t0 = performance.now();
  const m = await parseMessage(raw);
  walkParts(m.root, (p) => void p.body.length);
  const r = decodeMessage(m);
  const a = await analyzeMessage(raw);
  const ms = performance.now() - t0;
  expect(Array.isArray(r.findings)).toBe(true);
  expect(a.recipients.length).toBe(r.findings.length);
  if (a.unreadable !== undefined) expect(a.recipients).toEqual([]);
  const bytes = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length;
  if (ms > slowestRandom.ms) slowestRandom = { ms, bytes };
  expect(ms).toBeLessThan(5_000);
}

/** Analyse one named input; record its time and peak RSS growth (sampled while it runs). */
async function measure(name: string, raw: Buffer | string): Promise<{ a: Analysis; ms: number; mib: number }> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  const t0 = performance.now();
  let a: Analysis;
  try {
    a = await analyzeMessage(raw);
  } finally {
    clearInterval(sampler);
  }
  const ms = performance.now() - t0;
  peak = Math.max(peak, process.memoryUsage().rss);
  const mib = (peak - before) / 1048576;
  const bytes = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length;
  timings.push({ name, ms, mib, bytes, result: a.unreadable !== undefined ? `unreadable (${a.unreadable})` : `${a.type}, ${a.recipients.length} recipient(s)` });
  return { a, ms, mib };
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
  fc.tuple(fc.nat(), fc.oneof(fc.string(), fc.constantFrom('\n--S\n', '\n--S--\n', '=?', '?=', '\r', '\n\n', ': ', '=\n', '\x00', 'Content-Type: multipart/mixed; boundary=S\n', 'Content-Type: message/rfc822\n\n'))).map(
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
  it('never throws on random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4000 }), async (bytes) => {
        await check(Buffer.from(bytes));
      }),
      { numRuns: 300 },
    );
  }, 120_000);

  it('never throws on random text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 2000, unit: 'binary' }), async (s) => {
        await check(s);
      }),
      { numRuns: 300 },
    );
  }, 120_000);

  it('never throws on mutated DSNs', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 8 }), async (muts) => {
        let s = SEED;
        for (const f of muts) s = f(s);
        await check(s);
        await check(Buffer.from(s.replace(/\n/g, '\r\n'), 'latin1'));
      }),
      { numRuns: 400 },
    );
  }, 120_000);
});

describe('extremes', () => {
  const PARTS = Array.from({ length: 10_000 }, (_, i) => `--B\nContent-Type: text/plain\n\npart ${i}\n`).join('');

  it('10,000 parts: beyond mailparser\'s part limit, marked unreadable at once', async () => {
    const { a, ms } = await measure('10,000 parts', `From: a@example.com\nContent-Type: multipart/mixed; boundary=B\n\n${PARTS}--B--\n`);
    expect(a.unreadable).toMatch(/child nodes/);
    expect(ms).toBeLessThan(30_000);
  }, 60_000);

  it('10,000 parts in the returned message: the bounce is still read, the original is not', async () => {
    const raw = SEED.replace('--S--\n', `--S\nContent-Type: message/rfc822\n\nFrom: a@example.com\nContent-Type: multipart/mixed; boundary=B\n\n${PARTS}--B--\n\n--S--\n`);
    const { a } = await measure('10,000 parts in the returned message', raw);
    expect(a.type).toBe('bounce');
    expect(a.recipients.map((r) => r.address)).toEqual(['a@example.org']);
    expect(a.problems.join()).toMatch(/attached message not read: .*child nodes/);
  }, 60_000);

  it('multipart nesting 1,000 deep: marked unreadable', async () => {
    let raw = 'From: a@example.com\nContent-Type: multipart/mixed; boundary=b0\n\n';
    for (let i = 1; i <= 1000; i++) raw += `--b${i - 1}\nContent-Type: multipart/mixed; boundary=b${i}\n\n`;
    raw += '--b1000\nContent-Type: text/plain\n\ndeep\n';
    for (let i = 1000; i >= 0; i--) raw += `--b${i}--\n`;
    const { a, ms } = await measure('multipart nesting 1,000 deep', raw);
    expect(a.unreadable).toMatch(/child nodes/);
    expect(ms).toBeLessThan(30_000);
  }, 60_000);

  it('attached messages nested 1,000 deep: read down to the depth limit', async () => {
    let raw = '';
    for (let i = 0; i < 1000; i++) raw += `From: a${i}@example.com\nContent-Type: message/rfc822\n\n`;
    raw += 'Subject: inner\n\nbody\n';
    const { a, ms } = await measure('message/rfc822 nesting 1,000 deep', raw);
    expect(a.unreadable).toBeUndefined();
    expect(a.problems.join()).toMatch(/nested deeper than 8/);
    expect(ms).toBeLessThan(30_000);
  }, 60_000);

  it('a 50 MB DSN with a big attachment is read, in bounded time and memory', async () => {
    const attachment = Buffer.alloc(37 * 1024 * 1024, 'a').toString('base64').replace(/.{76}/g, '$&\n');
    const raw = Buffer.from(SEED.replace('--S--\n', `--S\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n${attachment}\n--S--\n`), 'latin1');
    expect(raw.length).toBeGreaterThan(50 * 1000 * 1000);
    const { a, ms, mib } = await measure('50 MB DSN with a base64 attachment', raw);
    expect(a.type).toBe('bounce');
    expect(a.recipients.map((r) => r.address)).toEqual(['a@example.org']);
    expect(ms).toBeLessThan(60_000);
    expect(mib).toBeLessThan(1024);
  }, 180_000);

  it('a 50 MB returned message is parsed again, in bounded time and memory', async () => {
    const body = 'x'.repeat(75).concat('\n').repeat(650_000);
    const raw = SEED.replace('--S--\n', `--S\nContent-Type: message/rfc822\n\nSubject: big\n\n${body}\n--S--\n`);
    const { a, ms, mib } = await measure('50 MB returned message', raw);
    expect(a.recipients.map((r) => r.address)).toEqual(['a@example.org']);
    expect(ms).toBeLessThan(60_000);
    expect(mib).toBeLessThan(1024);
  }, 180_000);

  it('50 MB of binary garbage: marked unreadable', async () => {
    const buf = Buffer.alloc(50 * 1024 * 1024);
    let x = 12345;
    for (let i = 0; i < buf.length; i += 4) {
      x = (x * 1103515245 + 12345) >>> 0;
      buf.writeUInt32LE(x, i);
    }
    const { a, ms } = await measure('50 MB of binary garbage', buf);
    expect(a.type).toBe('not-bounce');
    expect(a.unreadable).toMatch(/header size/);
    expect(ms).toBeLessThan(60_000);
    const { a: b, ms: ms2, mib } = await measure('50 MB of binary after a header', Buffer.concat([Buffer.from('From: MAILER-DAEMON@x.example\nSubject: Undelivered Mail\n\n'), buf]));
    expect(b.type).toBe('not-bounce');
    expect(ms2).toBeLessThan(60_000);
    expect(mib).toBeLessThan(1024);
  }, 180_000);

  it('a message above the parse limit is refused without being read', async () => {
    const { a, ms } = await measure('65 MiB (above the 64 MiB limit)', Buffer.alloc(65 * 1024 * 1024, 'a'));
    expect(a.unreadable).toMatch(/larger than the parse limit/);
    expect(ms).toBeLessThan(5_000);
  }, 60_000);

  it('a header section over 1 MiB (200,000 lines) is refused and marked', async () => {
    const { a } = await measure('200,000 header lines', 'Received: from x\n'.repeat(200_000) + 'Subject: s\n\nbody\n');
    expect(a.unreadable).toMatch(/header size/);
  }, 60_000);

  it.each([
    ['a 200 kB line', 'From: MAILER-DAEMON@x.example\nSubject: Undelivered Mail\n\n' + 'a'.repeat(200_000) + '\n'],
    ['dots before one @', 'From: MAILER-DAEMON@x.example\nSubject: Undelivered Mail\n\n' + 'a.'.repeat(100_000) + '@\n'],
    ['a run of blanks after said:', 'From: MAILER-DAEMON@x.example\nSubject: Undelivered Mail\n\nsaid:' + ' '.repeat(100_000) + 'x\n'],
    ['20,000 error lines', 'From: MAILER-DAEMON@x.example\nSubject: Undelivered Mail\n\n' + 'user@example.org unknown\n'.repeat(20_000)],
    ['a 100 kB diagnostic', 'From: MAILER-DAEMON@x.example\nContent-Type: multipart/report; report-type=delivery-status; boundary=B\n\n--B\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@b.example\nDiagnostic-Code: smtp; ' + '5'.repeat(100_000) + '\n--B--\n'],
    ['a 300 kB header', 'To: ' + 'x'.repeat(300_000) + '\nFrom: staff@hotmail.com\nSubject: complaint about message from 192.0.2.1\n\nhi'],
    ['200 kB of unclosed tags', 'From: MAILER-DAEMON@x.example\nContent-Type: text/html\n\n' + '<a '.repeat(70_000)],
    ['5,000 attached messages', 'Content-Type: multipart/mixed; boundary=x\n\n' + '--x\nContent-Type: message/rfc822\n\nSubject: m\n\nhi\n'.repeat(5_000) + '--x--\n'],
  ])('stays fast on hostile input: %s', async (name, raw) => {
    const { ms } = await measure(name, raw);
    expect(ms).toBeLessThan(10_000);
  }, 60_000);

  // Issue 16's cases: each took 15-71 s (quadratic patterns), the last one longer than anyone
  // waited (four adjacent \s* after "said": the fourth power of 1,900 blanks).
  const DSN_HEAD = 'From: MAILER-DAEMON@x.example\nContent-Type: multipart/report; report-type=delivery-status; boundary=B\n\n--B\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@b.example\nAction: failed\n';
  it.each([
    ['a 200 kB From', `From: ${'a'.repeat(200_000)}\nSubject: Undelivered Mail\n\nhi\n`],
    ['a 200 kB Reply-To of dots', `From: MAILER-DAEMON@x.example\nReply-To: ${'a.'.repeat(100_000)}\nSubject: Undelivered Mail\n\nhi\n`],
    ['a 200 kB Subject of "("', `From: MAILER-DAEMON@x.example\nSubject: ${'('.repeat(200_000)}\n\nhi\n`],
    ['a 99 kB indented line after an error line', `From: MAILER-DAEMON@x.example\nSubject: Undelivered Mail Returned to Sender\n\n<a@b.example>: host x said: 550 5.1.1 unknown\n ${' '.repeat(99_000)}x\n`],
    ['blanks after "said" in a diagnostic', `${DSN_HEAD}Diagnostic-Code: smtp; said${' '.repeat(1_900)}x\n--B--\n`],
    ['a 100 kB "host [[[..." entry', `From: MAILER-DAEMON@x.example\nSubject: Undelivered Mail Returned to Sender\n\n<a@b.example>: host ${'['.repeat(100_000)}\n`],
  ])('is linear on issue 16\'s input: %s', async (name, raw) => {
    const { ms } = await measure(name, raw);
    expect(ms).toBeLessThan(2_000);
  }, 60_000);
});
