/**
 * Streaming input (issue 18): the mbox splitter gives, whatever the chunking of the bytes, exactly
 * what the whole-file split gives (the rules of the decode branch's splitMbox, kept below as the
 * reference), holds at most one message, skips a message over the size limit and goes on; files,
 * Maildirs and stdin are read message by message, and the `bytes` of the items add up to the input.
 */
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { readInputs, type InputItem } from '../../src/intake/file.js';
import { MboxSplitter } from '../../src/intake/mbox.js';

/** The whole-file split, as written on the decode branch (the reference the stream must agree with). */
function referenceSplit(raw: Buffer): Buffer[] {
  const ENVELOPE_LINE = /^From [^\s]*[ \t]+\S.*(?:\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b|\b\d{1,2}:\d{2}\b|\b(?:19|20)\d{2}\b)/;
  const text = raw.toString('latin1');
  const lf = text.indexOf('\n');
  const eol = lf < 0 ? (text.indexOf('\r') >= 0 ? '\r' : '\n') : lf > 0 && text.charCodeAt(lf - 1) === 13 ? '\r\n' : '\n';
  const starts: number[] = [0];
  const marker = eol + eol + 'From ';
  for (let i = text.indexOf(marker); i >= 0; i = text.indexOf(marker, i + eol.length)) {
    const at = i + 2 * eol.length;
    const end = text.indexOf(eol, at);
    if (ENVELOPE_LINE.test(text.slice(at, end < 0 ? text.length : Math.min(end, at + 200)))) starts.push(at);
  }
  const out: Buffer[] = [];
  for (let k = 0; k < starts.length; k++) {
    const begin = starts[k]!;
    const stop = k + 1 < starts.length ? starts[k + 1]! : text.length;
    let chunk = text.slice(begin, stop);
    const nl = chunk.indexOf(eol);
    chunk = nl < 0 ? '' : chunk.slice(nl + eol.length);
    chunk = chunk.replace(/^>(>*From )/gm, '$1');
    if (chunk.endsWith(eol + eol)) chunk = chunk.slice(0, -eol.length);
    if (chunk.trim().length > 0) out.push(Buffer.from(chunk, 'latin1'));
  }
  return out;
}

function streamSplit(raw: Buffer, cuts: number[], max = Number.MAX_SAFE_INTEGER) {
  const s = new MboxSplitter(max);
  const parts = [];
  let at = 0;
  for (const c of cuts) {
    const next = Math.min(raw.length, at + c);
    parts.push(...s.push(raw.subarray(at, next)));
    at = next;
  }
  parts.push(...s.push(raw.subarray(at)), ...s.end());
  return parts;
}

const LINES = [
  'From MAILER-DAEMON Thu Nov 26 04:00:00 2026',
  'From x Thu Nov 26 2026',
  'From here on it is body',
  'From  nobody',
  '>From quoted',
  '>>From twice',
  'From',
  '',
  '',
  'Subject: s',
  'body text \t',
  ' ',
  'From a@b 12:30',
];
const lineArb = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...LINES) }, { weight: 1, arbitrary: fc.string({ maxLength: 30 }) }, { weight: 1, arbitrary: fc.string({ minLength: 190, maxLength: 230 }) });

/** An mbox-like file: an envelope line first, then lines of tricky content, one line ending. */
const mboxArb = fc
  .record({
    eol: fc.constantFrom('\n', '\r\n', '\r'),
    lines: fc.array(lineArb, { maxLength: 60 }),
    trailing: fc.boolean(),
  })
  .map(({ eol, lines, trailing }) => {
    // Line contents never hold a line break of their own (a CR file has no LF at all).
    const clean = lines.map((l) => l.replace(/[\r\n]/g, ' '));
    const text = ['From MAILER-DAEMON Thu Nov 26 04:00:00 2026', ...clean].join(eol) + (trailing ? eol : '');
    return Buffer.from(text, 'latin1');
  });

describe('MboxSplitter', () => {
  it('agrees with the whole-file split whatever the chunk sizes (fast-check)', () => {
    fc.assert(
      fc.property(mboxArb, fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 40 }), (raw, cuts) => {
        const got = streamSplit(raw, cuts).flatMap((p) => ('raw' in p ? [p.raw.toString('latin1')] : []));
        expect(got).toEqual(referenceSplit(raw).map((b) => b.toString('latin1')));
      }),
      { numRuns: 400 },
    );
  });

  it('accounts for every input byte, one byte at a time too', () => {
    fc.assert(
      fc.property(mboxArb, fc.boolean(), (raw, bytewise) => {
        const parts = streamSplit(raw, bytewise ? Array.from({ length: raw.length }, () => 1) : []);
        expect(parts.reduce((a, p) => a + p.bytes, 0)).toBe(raw.length);
      }),
      { numRuns: 100 },
    );
  });

  it('skips a message over the limit, says how big it was, and goes on', () => {
    const big = 'x'.repeat(200) + '\n';
    const raw = Buffer.from(
      `From a Thu Nov 26 04:00:00 2026\nSubject: 1\n\none\n\nFrom b Thu Nov 26 04:01:00 2026\nSubject: 2\n\n${big.repeat(50)}\nFrom c Thu Nov 26 04:02:00 2026\nSubject: 3\n\nthree\n`,
    );
    for (const cut of [7, 64, 100_000]) {
      const parts = streamSplit(raw, Array.from({ length: Math.ceil(raw.length / cut) }, () => cut), 1000);
      expect(parts.map((p) => ('raw' in p ? p.raw.toString() : 'tooBig' in p ? 'TOO BIG' : 'empty'))).toEqual([
        'Subject: 1\n\none\n',
        'TOO BIG',
        'Subject: 3\n\nthree\n',
      ]);
      expect(parts[1]!.bytes).toBeGreaterThan(50 * 201);
      expect(parts.reduce((a, p) => a + p.bytes, 0)).toBe(raw.length);
    }
  });
});

const dir = mkdtempSync(join(tmpdir(), 'rebound-mbox-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function collect(paths: string[], opts: Parameters<typeof readInputs>[1] = {}): Promise<InputItem[]> {
  const out: InputItem[] = [];
  for await (const it of readInputs(paths, opts)) out.push(it);
  return out;
}

describe('readInputs streams', () => {
  it('a Maildir: cur/ and new/, never tmp/ (a delivery still being written)', async () => {
    const md = join(dir, 'Maildir');
    for (const d of ['cur', 'new', 'tmp']) mkdirSync(join(md, d), { recursive: true });
    writeFileSync(join(md, 'cur', '1700000000.M1.host:2,S'), 'Subject: 1\n\nold\n');
    writeFileSync(join(md, 'new', '1700000100.M2.host'), 'Subject: 2\n\nnew\n');
    writeFileSync(join(md, 'tmp', '1700000200.M3.host'), 'Subject: 3\n\npartial');
    const got = await collect([md]);
    expect(got.map((g) => g.source.slice(md.length + 1))).toEqual(['cur/1700000000.M1.host:2,S', 'new/1700000100.M2.host']);
  });

  it('an mbox from stdin, chunk by chunk; bytes add up to the input', async () => {
    const text = 'From a Thu Nov 26 04:00:00 2026\nSubject: 1\n\none\n\nFrom b Thu Nov 26 04:01:00 2026\nSubject: 2\n\ntwo\n';
    const chunks = text.match(/[\s\S]{1,5}/g)!.map((c) => Buffer.from(c));
    const got = await collect(['-'], { stdin: Readable.from(chunks) });
    expect(got.map((g) => [g.source, 'raw' in g ? g.raw.toString() : g.error])).toEqual([
      ['-#1', 'Subject: 1\n\none\n'],
      ['-#2', 'Subject: 2\n\ntwo\n'],
    ]);
    expect(got.reduce((a, g) => a + g.bytes, 0)).toBe(text.length);
  });

  it('one message on stdin over the limit: a permanent error, the stream still read to its end', async () => {
    let read = 0;
    const src = Readable.from(
      (function* () {
        for (let i = 0; i < 10; i++) {
          read++;
          yield Buffer.alloc(1000, 0x61);
        }
      })(),
    );
    const got = await collect(['-'], { stdin: src, maxMessageBytes: 5000 });
    expect(got).toEqual([{ source: '-', error: 'stdin: more than 5000 bytes', permanent: true, bytes: 10_000 }]);
    expect(read).toBe(10);
  });

  it('CR-only line endings (an old Mac export) come out as LF, for an mbox and a single message', async () => {
    const m = join(dir, 'old.mbox');
    writeFileSync(m, 'From x Thu Nov 26 04:00:00 2026\rSubject: 1\r\rb\r>From me\r\rFrom y Thu Nov 26 04:01:00 2026\rSubject: 2\r\rc\r');
    const f = join(dir, 'old-mac.eml');
    writeFileSync(f, 'From: a@example.org\rSubject: s\r\rbody\r');
    const got = await collect([m, f]);
    expect(got.map((g) => ('raw' in g ? g.raw.toString() : g.error))).toEqual(['Subject: 1\n\nb\nFrom me\n', 'Subject: 2\n\nc\n', 'From: a@example.org\nSubject: s\n\nbody\n']);
  });

  it('a file: bytes is its size; an mbox file: the items add up to its size', async () => {
    const f = join(dir, 'one.eml');
    writeFileSync(f, 'Subject: x\n\nbody\n');
    const m = join(dir, 'box.mbox');
    writeFileSync(m, 'From a Thu Nov 26 04:00:00 2026\nSubject: 1\n\n\nFrom b Thu Nov 26 04:01:00 2026\n\n\nFrom c Thu Nov 26 04:02:00 2026\nSubject: 3\n');
    const got = await collect([f, m]);
    expect(got.map((g) => g.source.replace(dir, ''))).toEqual(['/one.eml', '/box.mbox#1', '/box.mbox#2']);
    expect(got[0]!.bytes).toBe(statSync(f).size);
    expect(got.slice(1).reduce((a, g) => a + g.bytes, 0)).toBe(statSync(m).size);
  });
});
