#!/usr/bin/env node
/**
 * bench/smtp - SMTP intake throughput: bounces/s acknowledged-and-committed with 20 concurrent
 * connections, connections reused and not reused; p50/p99 latency per message (MAIL FROM to the
 * 250 after DATA); peak RSS of the daemon. The same client against Postfix's smtp-sink gives the
 * ceiling on this machine (a server that acks without storing anything).
 *
 * Run: npm run bench:smtp  [-- --seconds 5 --rounds 3 --clients 20]
 * Both servers get a 1 s warm-up first (not counted: JIT, first growth of the files).
 * The daemon runs as a child process (dist/main.js serve) on a temp SQLite file, logging as in
 * production (one info line per message, to /dev/null). After the run the store is opened and every
 * acked message id is checked to be there; then the time to finish processing is measured (the
 * daemon defers most of the pipeline while a burst is arriving), and the server CPU per message
 * including that processing.
 * Options: --seconds N, --clients N, --rounds N (default 3: rebound and smtp-sink runs alternate,
 * medians reported, so background load falls on both alike), --modes reused|new|both,
 * --servers rebound|sink|both.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
let SECONDS = opt('seconds', 5);
const CLIENTS = opt('clients', 20);
const sopt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
// --modes reused|new|both, --servers rebound|sink|both: shorter runs while profiling.
const MODES = { reused: [true], new: [false], both: [true, false] }[sopt('modes', 'both')];
const SERVERS = sopt('servers', 'both');
const ROUNDS = opt('rounds', 3);

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

async function waitPort(port, ms = 20000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const ok = await new Promise((r) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), r(true)));
      s.once('error', () => (s.destroy(), r(false)));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${port}`);
}

/** Line-reply reader over a raw socket (pipelining off: one command, one reply). */
class Conn {
  constructor(sock) {
    this.sock = sock;
    this.buf = '';
    this.waiter = null;
    sock.setEncoding('latin1');
    sock.setNoDelay(true);
    sock.on('data', (d) => {
      this.buf += d;
      this.waiter?.();
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
  }
  static open(port) {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => resolve(new Conn(s)));
      s.once('error', reject);
    });
  }
  async reply() {
    for (;;) {
      const m = /^(?:\d{3}-[^\n]*\n)*\d{3}(?: [^\n]*)?\r?\n/.exec(this.buf);
      if (m) {
        this.buf = this.buf.slice(m[0].length);
        return m[0];
      }
      if (this.closed) throw new Error('connection closed');
      await new Promise((r) => (this.waiter = r));
      this.waiter = null;
    }
  }
  cmd(line) {
    this.sock.write(`${line}\r\n`);
    return this.reply();
  }
}

// A realistic ~2.5 KB Postfix-style DSN; the token keeps every message unique (no dedupe shortcut).
function bounce(token) {
  const rcpt = `user-${token}@example.com`;
  return [
    'Return-Path: <>',
    'From: MAILER-DAEMON@mta.example.net (Mail Delivery System)',
    `To: bounces+user-${token}=example.com@bounces.localhost`,
    'Subject: Undelivered Mail Returned to Sender',
    `Message-Id: <${token}.bench@mta.example.net>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="B1"',
    '',
    '--B1',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'This is the mail system at host mta.example.net.',
    '',
    "I'm sorry to have to inform you that your message could not",
    'be delivered to one or more recipients.',
    '',
    `<${rcpt}>: host mx.example.com[192.0.2.1] said: 550 5.1.1 <${rcpt}>:`,
    '    Recipient address rejected: User unknown in virtual mailbox table (in reply',
    '    to RCPT TO command)',
    '',
    '--B1',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mta.example.net',
    `X-Postfix-Queue-ID: ${token.slice(0, 10)}`,
    'Arrival-Date: Thu, 26 Nov 2026 04:00:00 +0000 (UTC)',
    '',
    `Final-Recipient: rfc822; ${rcpt}`,
    `Original-Recipient: rfc822;${rcpt}`,
    'Action: failed',
    'Status: 5.1.1',
    'Remote-MTA: dns; mx.example.com',
    `Diagnostic-Code: smtp; 550 5.1.1 <${rcpt}>: Recipient address rejected: User unknown in virtual mailbox table`,
    '',
    '--B1',
    'Content-Type: text/rfc822-headers',
    '',
    'From: news@sender.example.org',
    `To: ${rcpt}`,
    'Subject: Our newsletter',
    `Message-ID: <${token}@sender.example.org>`,
    'Date: Thu, 26 Nov 2026 03:59:00 +0000',
    ...Array.from({ length: 12 }, (_, i) => `X-Filler-${i}: ${'x'.repeat(90)}`),
    '',
    '--B1--',
    '.',
  ].join('\r\n');
}

/** One transaction on an open connection; returns the stored id (or 0 for smtp-sink). */
async function send(c, token) {
  const r1 = await c.cmd('MAIL FROM:<>');
  if (!r1.startsWith('250')) throw new Error(`MAIL: ${r1}`);
  const r2 = await c.cmd(`RCPT TO:<bounces+user-${token}=example.com@bounces.localhost>`);
  if (!r2.startsWith('250')) throw new Error(`RCPT: ${r2}`);
  const r3 = await c.cmd('DATA');
  if (!r3.startsWith('354')) throw new Error(`DATA: ${r3}`);
  const r4 = await c.cmd(bounce(token));
  if (!r4.startsWith('250')) throw new Error(`end of DATA: ${r4}`);
  return Number(/stored as (\d+)/.exec(r4)?.[1] ?? 0);
}

async function run(port, reuse, label) {
  const lat = [];
  const ids = [];
  let errors = 0;
  const end = Date.now() + SECONDS * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, w) => {
      let c = null;
      for (let i = 0; Date.now() < end; i++) {
        try {
          if (!c) {
            c = await Conn.open(port);
            await c.reply();
            await c.cmd('EHLO bench.example.net');
          }
          const s = performance.now();
          const id = await send(c, `${label}${w}n${i}r${Math.random().toString(36).slice(2, 10)}`);
          lat.push(performance.now() - s);
          ids.push(id);
          if (!reuse) {
            await c.cmd('QUIT');
            c.sock.destroy();
            c = null;
          }
        } catch {
          errors++;
          c?.sock.destroy();
          c = null;
        }
      }
      if (c) {
        await c.cmd('QUIT').catch(() => {});
        c.sock.destroy();
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  const q = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] : NaN);
  return { acked: ids.length, ids, errors, rate: ids.length / secs, p50: q(0.5), p99: q(0.99) };
}

/** CPU seconds (user + system) used so far by a process, all its threads (from /proc). */
function cpuSeconds(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

function peakRssMb(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

const loadAtStart = loadavg().map((x) => x.toFixed(1)).join(' ');
const dir = mkdtempSync(join(tmpdir(), 'rebound-bench-smtp-'));
const runs = []; // every run: { server, reuse, round, rate, p50, p99, errors, cpuMs, rssMb }
let sink = null;
let daemon = null;
try {
  const port = await freePort();
  const db = join(dir, 'rebound.db');
  const cfg = join(dir, 'rebound.toml');
  writeFileSync(
    cfg,
    `[store]\npath = "${db}"\n[intake.smtp]\nport = ${port}\nmaxClients = 500\n[control]\nsocket = "${join(dir, 'ctl.sock')}"\n[jobs.prune]\nenabled = false\n[jobs.checkpoint]\nenabled = false\n`,
  );
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean); // e.g. --cpu-prof
  daemon = spawn(process.execPath, [...nodeArgs, join(root, 'dist/main.js'), 'serve', '-c', cfg], { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitPort(port);
  let sinkPort = 0;
  if (SERVERS !== 'rebound' && existsSync('/usr/sbin/smtp-sink')) {
    sinkPort = await freePort();
    sink = spawn('/usr/sbin/smtp-sink', [...(process.getuid?.() === 0 ? ['-u', 'postfix'] : []), `127.0.0.1:${sinkPort}`, '512'], { stdio: 'ignore' });
    await waitPort(sinkPort);
  } else if (SERVERS !== 'rebound') {
    console.log('smtp-sink not installed (apt-get install postfix): no ceiling measured');
  }
  const allIds = [];
  const { openStore } = await import(join(root, 'dist/store/index.js'));
  // The daemon processes a burst's backlog after it; that must not run during the next run
  // (smtp-sink's especially): wait until nothing is pending. Returns the seconds it took.
  const settle = async () => {
    const t = Date.now();
    for (;;) {
      const st = openStore({ path: db, readonly: true });
      const pending = st.stats().messages.pending;
      st.close();
      if (pending === 0 || Date.now() - t > 300_000) return (Date.now() - t) / 1000;
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const drains = [];
  // Warm-up, not counted: JIT compilation, the first growth of the database and WAL files.
  const savedSeconds = SECONDS;
  SECONDS = 1;
  const warmIds = (await run(port, true, 'W')).ids;
  await settle();
  if (sinkPort) await run(sinkPort, true, 'W');
  SECONDS = savedSeconds;
  const cpuStart = cpuSeconds(daemon.pid);
  // Rounds alternate rebound and smtp-sink, so that load from elsewhere on the machine falls on
  // both alike; the table shows the median round of each.
  for (let round = 1; round <= ROUNDS; round++) {
    for (const reuse of MODES) {
      const c0 = cpuSeconds(daemon.pid);
      const r = await run(port, reuse, `R${round}${reuse ? 'R' : 'N'}`);
      allIds.push(...r.ids);
      runs.push({ server: 'rebound', reuse, round, ...r, ids: undefined, cpuMs: ((cpuSeconds(daemon.pid) - c0) * 1000) / r.acked, rssMb: peakRssMb(daemon.pid) });
      drains.push({ acked: r.acked, secs: await settle() });
      if (sinkPort) {
        const s0 = cpuSeconds(sink.pid);
        const q = await run(sinkPort, reuse, `S${round}`);
        runs.push({ server: 'smtp-sink', reuse, round, ...q, ids: undefined, cpuMs: ((cpuSeconds(sink.pid) - s0) * 1000) / q.acked, rssMb: peakRssMb(sink.pid) });
      }
    }
  }
  // Every acked id must be in the store (opened by the daemon's own code).
  const store = openStore({ path: db, readonly: true });
  // Intake and the whole pipeline (what was deferred during the load, processed in the drain).
  const cpuAllMs = ((cpuSeconds(daemon.pid) - cpuStart) * 1000) / allIds.length;
  let missing = 0;
  for (const id of [...warmIds, ...allIds]) if (!store.getMessage(id)) missing++;
  const total = store.stats().messages.total;
  store.close();
  console.log(`rebound: ${allIds.length + warmIds.length} acked (${warmIds.length} in the warm-up), ${total} stored, ${missing} acked-but-missing; the pipeline finished each run's backlog ${drains.map((d) => `${d.acked} in ${d.secs.toFixed(1)} s`).join(', ')} after the run; server CPU incl. processing ${cpuAllMs.toFixed(2)} ms/msg`);
} finally {
  daemon?.kill('SIGTERM');
  sink?.kill('SIGTERM');
  if (daemon) await new Promise((r) => (daemon.exitCode !== null ? r() : daemon.once('exit', r)));
  rmSync(dir, { recursive: true, force: true });
}

const median = (rows) => {
  const sorted = [...rows].sort((a, b) => a.rate - b.rate);
  return sorted[Math.floor((sorted.length - 1) / 2)];
};
const cpu = spawnSync('nproc', { encoding: 'utf8' }).stdout.trim();
console.log(`\n${CLIENTS} concurrent connections, ${SECONDS} s per run, ${ROUNDS} round(s) alternating rebound and smtp-sink, ${cpu} cores, node ${process.version}, load average at the start ${loadAtStart}, at the end ${loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);
console.log('| server | connections | bounces/s acked (median) | all rounds | p50 ms | p99 ms | errors | server CPU ms/msg | peak RSS MB |');
console.log('|---|---|---:|---|---:|---:|---:|---:|---:|');
const rows = [];
for (const server of ['rebound', 'smtp-sink'])
  for (const reuse of MODES) {
    const mine = runs.filter((r) => r.server === server && r.reuse === reuse);
    if (mine.length === 0) continue;
    const m = median(mine);
    rows.push(m);
    console.log(
      `| ${server} | ${reuse ? 'reused' : 'new per message'} | ${m.rate.toFixed(0)} | ${mine.map((r) => r.rate.toFixed(0)).join(', ')} | ${m.p50.toFixed(1)} | ${m.p99.toFixed(1)} | ${mine.reduce((a, r) => a + r.errors, 0)} | ${m.cpuMs.toFixed(2)} | ${m.rssMb.toFixed(0)} |`,
    );
  }
const ratios = [];
for (let round = 1; round <= ROUNDS; round++) {
  const a = runs.find((r) => r.server === 'rebound' && r.reuse && r.round === round);
  const b = runs.find((r) => r.server === 'smtp-sink' && r.reuse && r.round === round);
  if (a && b) ratios.push((100 * a.rate) / b.rate);
}
if (ratios.length)
  console.log(`\nrebound / smtp-sink (reused), per round: ${ratios.map((x) => `${x.toFixed(0)}%`).join(', ')}; median ${[...ratios].sort((x, y) => x - y)[Math.floor((ratios.length - 1) / 2)].toFixed(0)}%`);
