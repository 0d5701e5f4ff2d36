#!/usr/bin/env node
/**
 * bench/smtp - SMTP intake throughput: bounces/s acknowledged-and-committed with 20 concurrent
 * connections, connections reused and not reused; p50/p99 latency per message (MAIL FROM to the
 * 250 after DATA); peak RSS of the daemon. The comparison, driven by the same client in the same
 * run: a private Postfix accepting the same mail durably (bench/postfix-intake.mjs: its 250 comes
 * after cleanup fsynced the queue file, as rebound's comes after the WAL sync). Optionally
 * Postfix's smtp-sink too, a server that acks without storing anything (--servers ...,sink).
 *
 * Run: npm run bench:smtp  [-- --seconds 5 --rounds 3 --clients 20]
 * Every server gets a 1 s warm-up first (not counted: JIT, first growth of the files).
 * The daemon runs as a child process (dist/main.js serve) on a temp SQLite file, logging as in
 * production (one info line per message, to /dev/null). After the run the store is opened and every
 * acked message id is checked to be there; then the time to finish processing is measured (the
 * daemon defers most of the pipeline while a burst is arriving), and the server CPU per message
 * including that processing. Postfix's queue is left to empty (discard) after each of its runs.
 * Options: --seconds N, --clients N, --client-threads N (the load generator's connections spread
 * over N threads, bench/smtp-client.mjs; default 1), --pipelining (MAIL/RCPT/DATA in one write),
 * --rounds N (default 3: the servers' runs alternate, which one goes first changing every round,
 * medians reported, so background load falls on all alike), --modes reused|new|both,
 * --servers a comma list of rebound, postfix, sink (default rebound,postfix; `both` = rebound,sink),
 * --client node|smtp-source.
 * New connections: smtp-server holds each greeting 100 ms (its early-talker check, not
 * configurable), so with a new connection per message each of the N connections carries at most
 * ~10 messages/s; MTAs reuse connections under load (Postfix's connection cache), hence the
 * reused figures are the ones that say what rebound can take.
 * --client smtp-source: Postfix's own load generator (C, one process; `-d` keeps connections open,
 * `-l 1500` generates a message with a unique Message-Id and Date each time, so no dedupe
 * shortcut) sends the same number of messages to each server, sized from each server's warm-up
 * rate to last about --seconds. It reports no per-message latency and no ids: for rebound, the
 * store's message count must grow by exactly what smtp-source sent (it exits non-zero on any
 * reply other than the expected one). The Node client is the default: it measures latency and
 * checks every acked id.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { freePort } from '../test/support/net.mjs';
import { Worker } from 'node:worker_threads';
import { drive, SMTP_SOURCE, smtpSourceArgs } from './smtp-client.mjs';
import { loadavg, tmpdir } from 'node:os';
import { postfixIntakeMissing, startPostfixIntake } from './postfix-intake.mjs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
let SECONDS = opt('seconds', 5);
const RUN_SECONDS = SECONDS; // SECONDS is 1 during the warm-up
const CLIENTS = opt('clients', 20);
const sopt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
// --modes reused|new|both, --servers rebound,postfix,sink (any of them): shorter runs while profiling.
const MODES = { reused: [true], new: [false], both: [true, false] }[sopt('modes', 'both')];
const SERVERS = (sopt('servers', 'rebound,postfix') === 'both' ? 'rebound,sink' : sopt('servers', 'rebound,postfix')).split(',');
if (!SERVERS.includes('rebound') || SERVERS.some((x) => !['rebound', 'postfix', 'sink'].includes(x))) {
  console.error('--servers: a comma list of rebound (always), postfix, sink');
  process.exit(2);
}
const ROUNDS = opt('rounds', 3);
// --client-threads N: the client's connections spread over N worker threads (default 1).
const CLIENT_THREADS = opt('client-threads', 1);
// --pipelining: MAIL/RCPT/DATA in one write, as Postfix's client sends them (default: one at a time).
const PIPELINING = args.includes('--pipelining');
// --client node|smtp-source: the load generator (see the header).
const CLIENT = sopt('client', 'node');
if (CLIENT === 'smtp-source' && (!existsSync(SMTP_SOURCE) || PIPELINING || CLIENT_THREADS !== 1)) {
  console.error(`--client smtp-source needs ${SMTP_SOURCE} (apt-get install postfix) and no --pipelining or --client-threads`);
  process.exit(2);
}
if (!['node', 'smtp-source'].includes(CLIENT)) {
  console.error(`--client must be node or smtp-source, not ${CLIENT}`);
  process.exit(2);
}
/** Messages per smtp-source run, per server and mode: from that server's warm-up rate. */
const sourceCount = new Map();

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

/** One smtp-source run: COUNT messages over CLIENTS sessions; rate from its wall time. */
function runSource(port, reuse, count) {
  const t0 = performance.now();
  const argv = smtpSourceArgs(port, { sessions: CLIENTS, count, reuse });
  return new Promise((resolve) => {
    const p = spawn(SMTP_SOURCE, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => {
      const secs = (performance.now() - t0) / 1000;
      if (code !== 0) console.error(`smtp-source exited ${code}: ${err.trim()}`);
      const acked = code === 0 ? count : 0;
      resolve({ acked, ids: [], errors: code === 0 ? 0 : 1, rate: acked / secs, p50: NaN, p99: NaN });
    });
  });
}

async function run(port, reuse, label) {
  if (CLIENT === 'smtp-source') {
    const key = `${port}/${reuse}`;
    const count = label === 'W' ? (reuse ? 3000 : 1000) : (sourceCount.get(key) ?? 10000);
    const r = await runSource(port, reuse, count);
    if (label === 'W') sourceCount.set(key, Math.max(1000, Math.round(r.rate * RUN_SECONDS)));
    return r;
  }
  const t0 = performance.now();
  const threads = Math.max(1, Math.min(CLIENT_THREADS, CLIENTS));
  const shares = Array.from({ length: threads }, (_, t) => Math.floor(CLIENTS / threads) + (t < CLIENTS % threads ? 1 : 0));
  const jobs = shares.map((conns, t) => ({ port, reuse, label, conns, first: shares.slice(0, t).reduce((a, b) => a + b, 0), seconds: SECONDS, pipelining: PIPELINING }));
  const parts =
    threads === 1
      ? [await drive(jobs[0])]
      : await Promise.all(
          jobs.map(
            (job) =>
              new Promise((resolve, reject) => {
                const w = new Worker(new URL('./smtp-client.mjs', import.meta.url), { workerData: { role: 'smtp-bench-client', job } });
                w.once('message', resolve);
                w.once('error', reject);
              }),
          ),
        );
  const secs = (performance.now() - t0) / 1000;
  const lat = parts.flatMap((p) => p.lat).sort((a, b) => a - b);
  const ids = parts.flatMap((p) => p.ids);
  const errors = parts.reduce((a, p) => a + p.errors, 0);
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
// The 1-minute load average every 5 s during the run: the machine is shared, say how busy it was.
const loads = [];
const loadTimer = setInterval(() => loads.push(loadavg()[0]), 5000);
loadTimer.unref();
const dir = mkdtempSync(join(tmpdir(), 'rebound-bench-smtp-'));
const runs = []; // every run: { server, reuse, round, rate, p50, p99, errors, cpuMs, rssMb }
let sink = null;
let daemon = null;
let postfix = null;
try {
  const port = await freePort();
  const db = join(dir, 'rebound.db');
  const cfg = join(dir, 'rebound.toml');
  writeFileSync(
    cfg,
    `[store]\npath = "${db}"\n[intake.smtp]\nport = ${port}\nmaxClients = 500\n[control]\nsocket = "${join(dir, 'ctl.sock')}"\n[jobs.prune]\nenabled = false\n[jobs.checkpoint]\nenabled = false\n`,
  );
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean); // e.g. --cpu-prof
  // As systemd/rebound.service runs it (NODE_OPTIONS there).
  daemon = spawn(process.execPath, ['--max-semi-space-size=2', ...nodeArgs, join(root, 'dist/main.js'), 'serve', '-c', cfg], { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitPort(port);
  const { openStore } = await import(join(root, 'dist/store/index.js'));
  // The daemon processes a burst's backlog after it; that must not run during the next run
  // (another server's especially): wait until nothing is pending. Returns the seconds it took.
  const settleRebound = async () => {
    const t = Date.now();
    for (;;) {
      const st = openStore({ path: db, readonly: true });
      const pending = st.stats().messages.pending;
      st.close();
      if (pending === 0 || Date.now() - t > 300_000) return (Date.now() - t) / 1000;
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  /** The servers of this run: name, port, pid for CPU/RSS (null: several processes), settle(). */
  const servers = [{ name: 'rebound', port, pid: daemon.pid, settle: settleRebound }];
  if (SERVERS.includes('postfix')) {
    const missing = postfixIntakeMissing();
    if (missing) console.log(`no Postfix comparison: ${missing}`);
    else {
      postfix = await startPostfixIntake();
      await waitPort(postfix.pf.port);
      servers.push({ name: `postfix`, port: postfix.pf.port, pid: null, settle: postfix.settle });
    }
  }
  if (SERVERS.includes('sink')) {
    if (existsSync('/usr/sbin/smtp-sink')) {
      const sinkPort = await freePort();
      sink = spawn('/usr/sbin/smtp-sink', [...(process.getuid?.() === 0 ? ['-u', 'postfix'] : []), `127.0.0.1:${sinkPort}`, '512'], { stdio: 'ignore' });
      await waitPort(sinkPort);
      servers.push({ name: 'smtp-sink', port: sinkPort, pid: sink.pid, settle: async () => 0 });
    } else console.log('smtp-sink not installed (apt-get install postfix): no ceiling measured');
  }
  const allIds = [];
  const drains = [];
  // Warm-up, not counted: JIT compilation, the first growth of the database, WAL and queue files.
  const savedSeconds = SECONDS;
  SECONDS = 1;
  let ackedTotal = 0; // every acked message, warm-up included (smtp-source gives no ids)
  let warm = null;
  const warmModes = CLIENT === 'smtp-source' ? MODES : [true];
  for (const reuse of warmModes)
    for (const sv of servers) {
      const w = await run(sv.port, reuse, 'W');
      if (sv.name === 'rebound') {
        warm ??= w;
        ackedTotal += w.acked;
      }
      await sv.settle();
    }
  SECONDS = savedSeconds;
  const cpuStart = cpuSeconds(daemon.pid);
  // Rounds alternate the servers, the first one changing every round, so that load from elsewhere
  // on the machine falls on all alike; the table shows the median round of each.
  for (let round = 1; round <= ROUNDS; round++) {
    for (const reuse of MODES) {
      const order = round % 2 === 1 ? servers : [...servers].reverse();
      for (const sv of order) {
        const c0 = sv.pid ? cpuSeconds(sv.pid) : NaN;
        const r = await run(sv.port, reuse, `${sv.name[0].toUpperCase()}${round}${reuse ? 'R' : 'N'}`);
        const cpuMs = ((cpuSeconds(sv.pid) - c0) * 1000) / r.acked;
        runs.push({ server: sv.name, reuse, round, ...r, ids: undefined, cpuMs, rssMb: sv.pid ? peakRssMb(sv.pid) : NaN });
        const secs = await sv.settle();
        if (sv.name === 'rebound') {
          allIds.push(...r.ids);
          ackedTotal += r.acked;
          drains.push({ acked: r.acked, secs });
        }
      }
    }
  }
  // Every acked id must be in the store (opened by the daemon's own code).
  const store = openStore({ path: db, readonly: true });
  // Intake and the whole pipeline (what was deferred during the load, processed in the drain).
  const measured = runs.filter((r) => r.server === 'rebound').reduce((a, r) => a + r.acked, 0);
  const cpuAllMs = ((cpuSeconds(daemon.pid) - cpuStart) * 1000) / measured;
  let missing = 0;
  for (const id of [...warm.ids, ...allIds]) if (!store.getMessage(id)) missing++;
  const total = store.stats().messages.total;
  store.close();
  const idCheck = CLIENT === 'smtp-source' ? `${ackedTotal - total} acked-but-missing (by count: smtp-source gives no ids)` : `${missing} acked-but-missing`;
  console.log(`rebound (client: ${CLIENT}): ${ackedTotal} acked (${warm.acked} in the first warm-up), ${total} stored, ${idCheck}; the pipeline finished each run's backlog ${drains.map((d) => `${d.acked} in ${d.secs.toFixed(1)} s`).join(', ')} after the run; server CPU incl. processing ${cpuAllMs.toFixed(2)} ms/msg`);
  if (postfix) console.log(`postfix: ${postfix.version}, private instance, mail for the bounce domain queued (queue file fsynced before the 250) and discarded`);
} finally {
  daemon?.kill('SIGTERM');
  sink?.kill('SIGTERM');
  await postfix?.pf.stop();
  if (daemon) await new Promise((r) => (daemon.exitCode !== null ? r() : daemon.once('exit', r)));
  rmSync(dir, { recursive: true, force: true });
}

const median = (rows, key = (r) => r.rate) => {
  const sorted = [...rows].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor((sorted.length - 1) / 2)];
};
const fmt = (x, d = 1) => (Number.isNaN(x) ? '-' : x.toFixed(d));
const cpu = spawnSync('nproc', { encoding: 'utf8' }).stdout.trim();
const names = [...new Set(runs.map((r) => r.server))];
clearInterval(loadTimer);
const loadRange = loads.length ? `${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}` : '-';
console.log(`\nclient: ${CLIENT === 'smtp-source' ? 'Postfix smtp-source (no latency figures)' : 'bench/smtp-client.mjs'}; ${CLIENTS} concurrent connections${PIPELINING ? ' (pipelining)' : ''}, ${SECONDS} s per run, ${ROUNDS} round(s) alternating ${names.join(', ')}, ${cpu} cores, node ${process.version}, load average at the start ${loadAtStart}, at the end ${loadavg().map((x) => x.toFixed(1)).join(' ')}, 1-minute load during the run ${loadRange} (sampled every 5 s)\n`);
console.log('| server | connections | bounces/s acked (median) | all rounds | p50 ms | p99 ms | errors | server CPU ms/msg | peak RSS MB |');
console.log('|---|---|---:|---|---:|---:|---:|---:|---:|');
for (const server of names)
  for (const reuse of MODES) {
    const mine = runs.filter((r) => r.server === server && r.reuse === reuse);
    if (mine.length === 0) continue;
    const m = median(mine);
    console.log(
      `| ${server} | ${reuse ? 'reused' : 'new per message'} | ${m.rate.toFixed(0)} | ${mine.map((r) => r.rate.toFixed(0)).join(', ')} | ${fmt(m.p50)} | ${fmt(m.p99)} | ${mine.reduce((a, r) => a + r.errors, 0)} | ${fmt(m.cpuMs, 2)} | ${fmt(m.rssMb, 0)} |`,
    );
  }
// rebound's rate over each other server's, round by round (the same round's runs ran back to back).
for (const other of names.filter((n) => n !== 'rebound'))
  for (const reuse of MODES) {
    const ratios = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const a = runs.find((r) => r.server === 'rebound' && r.reuse === reuse && r.round === round);
      const b = runs.find((r) => r.server === other && r.reuse === reuse && r.round === round);
      if (a && b && b.rate > 0) ratios.push(a.rate / b.rate);
    }
    if (ratios.length)
      console.log(
        `rebound / ${other} (${reuse ? 'reused' : 'new per message'}), per round: ${ratios.map((x) => `${x.toFixed(2)}x`).join(', ')}; median ${median(ratios.map((rate) => ({ rate }))).rate.toFixed(2)}x, range ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}x`,
      );
  }
