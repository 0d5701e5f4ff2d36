// bench/mutate.mjs - N mutated messages through `rebound parse --json` (issue 16): 0 crashes, the
// slowest message, peak RSS. `npm run bench:mutate -- [--count 100000] [--chunk 5000] [--seed 1]
// [--max-bytes 1048576] [--jobs 1] [--keep DIR]`.
//
// Seeds: every .eml under samples/ and test/fixtures/ (read, never changed). Each message is one
// seed mutated 1-6 times, deterministically from --seed: bytes flipped, ranges deleted, duplicated
// or moved, another seed spliced in, lines cut, CRLF/LF swapped, MIME boundaries damaged, and
// adversarial runs inserted (the characters the patterns meet: '(' '<' '@' blanks, tabs, '=',
// 'said:', header-like lines, 8-bit bytes), up to --max-bytes per message.
// The messages are written a chunk at a time as files of a directory and parsed by one
// `node dist/main.js parse --json DIR` per chunk under /usr/bin/time (peak RSS of that process).
// A crash is a non-zero exit, a line on stderr, or fewer output lines than messages. The time of
// a message is the gap between its output line and the one before it as read here: reading the
// file is included and a line held in a pipe buffer counts against the next one, so the slowest
// figure is an upper bound. Each chunk starts with a tiny warm-up message whose gap (the process
// start) is not counted. --jobs N parses N chunks at once (each gap then also holds the other
// processes' share of the CPU). Every gap of --retime-over ms (250) or more is timed again at the
// end, that message alone in this process: the slowest message took at most the larger of that
// and --retime-over. Prints one line per chunk and a JSON summary.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const root = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const COUNT = Number(opt('count', 100_000));
const CHUNK = Number(opt('chunk', 5000));
const SEED = Number(opt('seed', 1));
const MAX_BYTES = Number(opt('max-bytes', 1024 * 1024));
const KEEP = opt('keep', '');
const JOBS = Number(opt('jobs', 1));
/** Gaps at least this long (ms) are timed again alone at the end (see --retime). */
const RETIME_OVER = Number(opt('retime-over', 250));

function emls(dir, out = []) {
  for (const n of readdirSync(dir).sort()) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) emls(p, out);
    else if (n.endsWith('.eml')) out.push(p);
  }
  return out;
}
const seeds = [...emls(join(root, 'samples')), ...emls(join(root, 'test', 'fixtures'))].map((f) => readFileSync(f));

// xorshift32: the same messages for the same --seed.
let state = SEED >>> 0 || 1;
const rnd = () => {
  state ^= state << 13;
  state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5;
  state >>>= 0;
  return state / 0x100000000;
};
const int = (n) => Math.floor(rnd() * n);
const pick = (a) => a[int(a.length)];
/** Mostly short, sometimes long: 1..max with a heavy tail. */
const len = (max) => Math.max(1, Math.min(max, Math.floor(Math.exp(rnd() * Math.log(max)))));

const TOKENS = ['(', ')', '<', '>', '@', ' ', '\t', '\r\n', '\n', '\r\n ', '=', '=\r\n', ';', ':', '"', '\\', '[', '.', '-', '--', 'a', '0', '\u00e9', '\xff', 'said: ', '550 ', '5.1.1 ', 'host ', 'Diagnostic-Code: smtp; ', 'Final-Recipient: rfc822; ', 'boundary="', 'Content-Type: multipart/mixed; boundary=B\r\n', '=?utf-8?B?', '?=', 'From: ', 'Received: from '];
const HEADERS = ['From', 'To', 'Reply-To', 'Return-Path', 'Subject', 'Date', 'Content-Type', 'Content-Transfer-Encoding', 'X-Failed-Recipients', 'Message-ID', 'References'];

function run() {
  const t = pick(TOKENS);
  return Buffer.from(t.repeat(len(Math.max(1, Math.floor(200_000 / t.length)))), 'latin1');
}

const MUTATORS = [
  // flip bytes
  (b) => {
    const c = Buffer.from(b);
    for (let i = len(64); i > 0 && c.length > 0; i--) c[int(c.length)] = int(256);
    return c;
  },
  // delete a range
  (b) => {
    const at = int(b.length + 1);
    return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + len(b.length + 1)))]);
  },
  // duplicate a range, many times
  (b) => {
    const at = int(b.length + 1);
    const piece = b.subarray(at, at + len(4096));
    return Buffer.concat([b.subarray(0, at), ...Array(len(200)).fill(piece), b.subarray(at)]);
  },
  // insert an adversarial run
  (b) => {
    const at = int(b.length + 1);
    return Buffer.concat([b.subarray(0, at), run(), b.subarray(at)]);
  },
  // a long header field at the top
  (b) => Buffer.concat([Buffer.from(`${pick(HEADERS)}: `), run(), Buffer.from('\r\n'), b]),
  // splice another seed in
  (b) => {
    const o = pick(seeds);
    const at = int(b.length + 1);
    const from = int(o.length + 1);
    return Buffer.concat([b.subarray(0, at), o.subarray(from, from + len(o.length + 1)), b.subarray(at)]);
  },
  // truncate
  (b) => b.subarray(0, int(b.length + 1)),
  // line endings: all CRLF -> LF, or LF -> CR, or bare CR
  (b) => {
    const s = b.toString('latin1');
    const k = int(3);
    return Buffer.from(k === 0 ? s.replace(/\r\n/g, '\n') : k === 1 ? s.replace(/\r?\n/g, '\r\n') : s.replace(/\r?\n/g, '\r'), 'latin1');
  },
  // damage MIME boundaries
  (b) => Buffer.from(b.toString('latin1').replace(/--([\w'()+,./:=?-]{4,})/g, (m, x) => (rnd() < 0.5 ? `--${x.slice(0, int(x.length))}` : m)), 'latin1'),
  // the header/body blank line removed or doubled
  (b) => {
    const s = b.toString('latin1');
    return Buffer.from(rnd() < 0.5 ? s.replace(/\r?\n\r?\n/, '\n') : s.replace(/\r?\n/, '\n\n'), 'latin1');
  },
];

function mutate() {
  let b = pick(seeds);
  for (let n = 1 + int(6); n > 0; n--) {
    b = pick(MUTATORS)(b);
    if (b.length > MAX_BYTES) b = b.subarray(0, MAX_BYTES);
  }
  return b;
}

function parseChunk(dir, n) {
  return new Promise((resolve) => {
    const child = spawn('/usr/bin/time', ['-f', 'PEAK_RSS_KB %M', process.execPath, join(root, 'dist', 'main.js'), 'parse', '--json', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buf = '';
    let err = '';
    let lines = 0;
    let last = performance.now();
    let slowest = { ms: 0, source: '' };
    const long = [];
    const t0 = last;
    child.stdout.on('data', (d) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const now = performance.now();
        lines++;
        if (lines > 1 && (now - last > slowest.ms || now - last >= RETIME_OVER)) {
          let source = '?';
          try {
            source = JSON.parse(line).source;
          } catch {
            source = `unparseable line: ${line.slice(0, 80)}`;
          }
          if (now - last > slowest.ms) slowest = { ms: now - last, source };
          const index = /m(\d+)\.eml$/.exec(source)?.[1];
          if (now - last >= RETIME_OVER && index !== undefined) long.push({ index: Number(index), ms: now - last });
        }
        last = now;
      }
    });
    child.stderr.on('data', (d) => (err += d.toString()));
    child.on('exit', (code, signal) => {
      const rss = Number(/PEAK_RSS_KB (\d+)/.exec(err)?.[1] ?? 0);
      const stderr = err.replace(/PEAK_RSS_KB \d+\n?/, '').trim();
      resolve({ code, signal, lines: lines - 1, expected: n, slowest, long, rssKb: rss, stderr, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

// --dump N FILE: write message N of this --seed to FILE (to look at, or time, one message again).
const DUMP = args.indexOf('--dump');
if (DUMP >= 0) {
  const n = Number(args[DUMP + 1]);
  let m;
  for (let i = 0; i <= n; i++) m = mutate();
  writeFileSync(args[DUMP + 2], m);
  console.log(`message ${n} of seed ${SEED}: ${m.length} bytes -> ${args[DUMP + 2]}`);
  process.exit(0);
}

// --retime i,j,...: those messages of this --seed analysed again in this process (analyzeMessage
// from dist/, warmed up on the seeds), best of three: what a message itself costs, without the
// process start, the pipe or the other load of the machine that a gap above includes.
/** Messages `want` of this seed, each analysed alone in this process (warmed up), best of three (ms). */
async function retime(want) {
  const { analyzeMessage } = await import(join(root, 'dist', 'analyze.js'));
  for (const sd of seeds.slice(0, 300)) await analyzeMessage(sd);
  state = SEED >>> 0 || 1;
  const max = Math.max(...want);
  const got = new Map();
  for (let i = 0; i <= max; i++) {
    const m = mutate();
    if (want.includes(i)) got.set(i, m);
  }
  const out = [];
  for (const i of want) {
    const m = got.get(i);
    let best = Infinity;
    for (let k = 0; k < 3; k++) {
      const t0 = performance.now();
      await analyzeMessage(m);
      best = Math.min(best, performance.now() - t0);
    }
    out.push({ index: i, bytes: m.length, ms: Math.round(best * 10) / 10 });
  }
  return out;
}
const RETIME = args.indexOf('--retime');
if (RETIME >= 0) {
  const r = await retime(args[RETIME + 1].split(',').map(Number));
  for (const x of r) console.log(`message ${x.index}: ${x.bytes} bytes, ${x.ms} ms`);
  console.log(JSON.stringify({ retimed: r.length, slowestMs: Math.max(...r.map((x) => x.ms)) }));
  process.exit(0);
}

const work = KEEP || mkdtempSync(join(tmpdir(), 'rebound-mutate-'));
const summary = { count: 0, chunks: 0, crashes: 0, crashed: [], slowestMs: 0, slowestSource: '', peakRssMb: 0, bytes: 0, largest: 0, seconds: 0, seeds: seeds.length, seed: SEED };
const started = performance.now();
async function chunk(c, first, n) {
  const dir = join(work, `chunk-${String(c).padStart(3, '0')}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '0-warmup.eml'), 'Subject: warm-up\n\nnothing\n');
  for (let i = 0; i < n; i++) writeFileSync(join(dir, `m${String(first + i).padStart(6, '0')}.eml`), messages[i]);
  const r = await parseChunk(dir, n);
  const crashed = r.code !== 0 || r.signal !== null || r.lines !== n || r.stderr !== '';
  if (crashed) {
    summary.crashes++;
    summary.crashed.push({ chunk: c, code: r.code, signal: r.signal, lines: r.lines, expected: n, stderr: r.stderr.slice(0, 2000) });
  }
  if (r.slowest.ms > summary.slowestMs) {
    summary.slowestMs = r.slowest.ms;
    summary.slowestSource = r.slowest.source;
  }
  summary.peakRssMb = Math.max(summary.peakRssMb, r.rssKb / 1024);
  for (const l of r.long) longGaps.push(l);
  summary.count += n;
  summary.chunks++;
  console.log(
    `chunk ${c}: ${n} messages in ${r.seconds.toFixed(1)} s, slowest ${r.slowest.ms.toFixed(0)} ms (${r.slowest.source}), peak RSS ${(r.rssKb / 1024).toFixed(0)} MB${crashed ? `, CRASH exit ${r.code} ${r.signal ?? ''} lines ${r.lines}/${n}: ${r.stderr.slice(0, 300)}` : ''}`,
  );
  if (!KEEP) rmSync(dir, { recursive: true, force: true });
}
let messages = [];
const longGaps = [];
try {
  const running = new Set();
  for (let done = 0, c = 0; done < COUNT; c++) {
    const n = Math.min(CHUNK, COUNT - done);
    // Mutated here, in order, so the messages depend on --seed only (not on --jobs).
    messages = [];
    for (let i = 0; i < n; i++) {
      const m = mutate();
      summary.bytes += m.length;
      summary.largest = Math.max(summary.largest, m.length);
      messages.push(m);
    }
    const p = chunk(c, done, n).finally(() => running.delete(p));
    running.add(p);
    done += n;
    if (running.size >= JOBS) await Promise.race(running);
  }
  await Promise.all(running);
} finally {
  if (!KEEP) rmSync(work, { recursive: true, force: true });
}
summary.seconds = (performance.now() - started) / 1000;
// Every message with a gap of RETIME_OVER ms or more, timed again alone: a message's own time is
// at most its gap, so the slowest message is at most max(retimed, RETIME_OVER).
if (longGaps.length > 0) {
  const r = await retime([...new Set(longGaps.map((l) => l.index))]);
  const worst = r.reduce((a, b) => (b.ms > a.ms ? b : a));
  summary.gapsOver = { ms: RETIME_OVER, messages: r.length, slowestAloneMs: worst.ms, slowestAloneIndex: worst.index, slowestAloneBytes: worst.bytes };
} else summary.gapsOver = { ms: RETIME_OVER, messages: 0 };
summary.slowestMs = Math.round(summary.slowestMs);
summary.peakRssMb = Math.round(summary.peakRssMb);
console.log(JSON.stringify(summary));
process.exitCode = summary.crashes > 0 ? 1 : 0;
