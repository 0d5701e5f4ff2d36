#!/usr/bin/env node
/**
 * bench/socket - `check ADDRESS` lookups per second and latency percentiles on the status socket,
 * against a database of 1,000,000 addresses (npm run bench:socket; needs `npm run build`).
 *
 * The server (startControl with a read-only store, as in the daemon, including its reader
 * processes when control.readers > 0) runs in this process; the clients run in a separate process.
 * The client is bench/socket-client.c (epoll, compiled here with `cc -O2` into a temp dir) when a C
 * compiler exists, else a Node client in a child process; both send the same requests (same
 * generator) and the output says which ran. Scenarios:
 *   1 client, 1 request in flight     (strict request/response; latency = round trip)
 *   1 client, 16 in flight            (pipelined, as a batch sender would do)
 *   32 clients, 1 in flight each
 *   32 clients, 4 in flight each       (e.g. several lookups per message from each sender process)
 * Env: BENCH_DB (default $TMPDIR/rebound-bench-1m.db, built once and reused), BENCH_N (addresses,
 * default 1000000), BENCH_SECONDS (per scenario, default 5), BENCH_SCENARIOS (e.g. "1,3": run only
 * those), BENCH_DIST (a private build to load instead of ../dist), BENCH_CLIENT (c or node: force
 * a client), BENCH_READERS (control.readers for the server; default: the config default),
 * BENCH_RATE (adds a 5th scenario, C client only: 32 connections sending this many lookups/s in
 * total on a fixed schedule, latency from each request's due time), BENCH_MAIN_BUSY=B/P (block the
 * main process's event loop B ms every P ms, standing in for intake and pipeline work),
 * BENCH_FLOOR=N (then the same scenarios against bench/socket-floor.mjs, a Node server that answers
 * every line with a fixed reply and does nothing else, with N forked acceptors; 0: one process):
 * the floor of Node's sockets on this machine, as smtp-sink is the ceiling in bench:smtp.
 * BENCH_WRITES=N: while the scenarios run, a child process commits N intake-like messages/s into
 * the same file (a batch every 10 ms, committed and the WAL fdatasynced, as the daemon's writer
 * thread does during an SMTP burst), so the lookups run against a WAL that changes under them.
 * Server CPU is this process's plus its reader processes' (from /proc).
 * Output: a table on stdout and one JSON line per scenario (for docs/BENCHMARKS.md).
 */
import { execFile, execFileSync, fork } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import os, { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const N = Number(process.env.BENCH_N ?? 1_000_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const RATE = Number(process.env.BENCH_RATE ?? 0);
const DB = process.env.BENCH_DB ?? join(tmpdir(), `rebound-bench-${N}.db`);
const address = (i) => `user${i}@d${i % 997}.example.com`;

if (process.argv[2] === 'client') await client(JSON.parse(process.argv[3]));
else if (process.argv[2] === 'writer') await writer(JSON.parse(process.argv[3]));
else await main();

async function main() {
  process.env.REBOUND_LOG_LEVEL ??= 'warn';
  // BENCH_DIST: a private build (tsc --outDir) so a concurrent `npm run build` cannot change it mid-run.
  const dist = process.env.BENCH_DIST ? new URL(`file://${resolve(process.env.BENCH_DIST)}/`) : new URL('../dist/', import.meta.url);
  const { openStore } = await import(new URL('store/index.js', dist).href);
  const { startControl } = await import(new URL('control/server.js', dist).href);
  const { configFromObject } = await import(new URL('config/load.js', dist).href);

  await buildDb(openStore);
  const loadBefore = os.loadavg().map((x) => x.toFixed(1)).join(' ');

  const dir = mkdtempSync(join(tmpdir(), 'rebound-bench-sock-'));
  const sock = join(dir, 'rebound.sock');
  const controlCfg = { socket: sock };
  if (process.env.BENCH_READERS !== undefined) controlCfg.readers = Number(process.env.BENCH_READERS);
  const cfg = configFromObject({ control: controlCfg });
  const control = await startControl(cfg.control, { storeOptions: { path: DB } });
  // BENCH_MAIN_BUSY=B/P: the main process's event loop is blocked B ms out of every P ms, as by
  // pipeline batches and intake commits in the daemon (bench:smtp: ~10 ms batches during bursts).
  const [busyMs, periodMs] = (process.env.BENCH_MAIN_BUSY ?? '0/0').split('/').map(Number);
  const busy = busyMs > 0 && periodMs > 0 ? setInterval(() => {
    const until = performance.now() + busyMs;
    while (performance.now() < until);
  }, periodMs) : undefined;
  const writes = Number(process.env.BENCH_WRITES ?? 0);
  const writerProc = writes > 0 ? fork(fileURLToPath(import.meta.url), ['writer', JSON.stringify({ db: DB, rate: writes, dist: fileURLToPath(dist) })]) : undefined;
  if (writerProc) await new Promise((r) => writerProc.once('message', r)); // 'started'
  const writerDone = writerProc ? new Promise((r) => writerProc.once('message', r)) : undefined;
  const readers = cfg.control.readers ?? 0;
  const clientBin = process.env.BENCH_CLIENT === 'node' ? undefined : compileClient(dir);
  if (process.env.BENCH_CLIENT === 'c' && !clientBin) throw new Error('BENCH_CLIENT=c but the C client could not be built');
  const clientKind = clientBin ? 'c (bench/socket-client.c)' : 'node (bench/socket.mjs client)';
  const scenarios = [
    { name: '1 client, 1 in flight', clients: 1, depth: 1 },
    { name: '1 client, 16 in flight', clients: 1, depth: 16 },
    { name: '32 clients, 1 in flight each', clients: 32, depth: 1 },
    { name: '32 clients, 4 in flight each', clients: 32, depth: 4 },
    // Optional (BENCH_RATE, C client only): an open loop at a fixed offered rate, the way senders
    // and Postfix ask (each request when it is due, not when the previous answer came back).
    ...(RATE > 0 && clientBin ? [{ name: `32 clients, ${RATE.toLocaleString('en')}/s offered`, clients: 32, depth: 16, rate: RATE }] : []),
  ].filter((sc, i) => !process.env.BENCH_SCENARIOS || process.env.BENCH_SCENARIOS.split(',').includes(String(i + 1)));
  const results = [];
  try {
    for (const sc of scenarios) {
      const r = await measured(sc, sock, clientBin, control.readerPids?.() ?? [], true);
      results.push({ scenario: sc.name, ...r, readers });
    }
    if (process.env.BENCH_FLOOR !== undefined) results.push(...(await floorRuns(dir, scenarios, clientBin, Number(process.env.BENCH_FLOOR))));
  } finally {
    if (busy) clearInterval(busy);
    writerProc?.send('stop');
    await control.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\ncheck lookups on the status socket, ${N.toLocaleString('en')} addresses, ${SECONDS}s per scenario (node ${process.version})`);
  console.log(`load average before: ${loadBefore}; after: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  console.log(`client: ${clientKind}; server: control.readers = ${readers} (${readers ? `${readers} reader processes answer` : 'the main process answers'}); ${os.cpus().length} CPUs`);
  if (busy) console.log(`main process event loop blocked ${busyMs} ms every ${periodMs} ms (BENCH_MAIN_BUSY; its CPU is counted as server CPU)`);
  if (writerDone) {
    const w = await writerDone;
    console.log(`intake writes meanwhile (BENCH_WRITES=${writes}): ${w.messages} messages in ${w.commits} commits over ${w.seconds.toFixed(1)} s (${Math.round(w.messages / w.seconds)}/s), WAL fdatasync after each`);
  }
  console.log('scenario                          lookups/s    p50 ms   p99 ms   max ms   CPU us/lookup: server client');
  for (const r of results)
    console.log(
      `${r.scenario.padEnd(32)} ${String(r.perSecond).padStart(10)} ${r.p50.toFixed(3).padStart(9)} ${r.p99.toFixed(3).padStart(8)} ${r.max.toFixed(3).padStart(8)} ${String(r.serverCpuUsPerLookup).padStart(21)} ${String(r.clientCpuUsPerLookup).padStart(6)}`,
    );
  for (const r of results) console.log(JSON.stringify(r));
}

/** BENCH_WRITES: commit `rate` messages/s into the store in 10 ms batches until told to stop. */
async function writer({ db, rate, dist }) {
  const { openStore } = await import(new URL('store/index.js', `file://${dist}/`).href);
  const store = openStore({ path: db, busyTimeoutMs: 60_000 });
  const per = Math.max(1, Math.round(rate / 100));
  let n = 0;
  let commits = 0;
  const t0 = performance.now();
  const env = { source: 'smtp', origin: '127.0.0.1', mailFrom: '', rcptTo: ['bounces+u=example.com@bounces.localhost'], receivedAt: Date.now() };
  const timer = setInterval(() => {
    const items = [];
    for (let i = 0; i < per; i++) items.push({ env, raw: Buffer.from(`Subject: bench ${process.pid} ${n++}\r\n\r\n${'x'.repeat(2000)}\r\n`) });
    if (store.saveMessagesUnsynced(items) === null) store.saveMessages(items);
    else store.syncWalNow();
    commits++;
  }, 10);
  process.send('started');
  process.once('message', () => {
    clearInterval(timer);
    store.close();
    process.send({ messages: n, commits, seconds: (performance.now() - t0) / 1000 }, () => process.exit(0));
  });
}

/** Build the 1M-address database once: real migrations via openStore, then a bulk insert. */
async function buildDb(openStore) {
  if (existsSync(DB)) {
    const s = openStore({ path: DB }); // read-write: migrates a file built by an older schema
    const known = s.stats().addresses.known;
    s.close();
    if (known === N) return;
    rmSync(DB, { force: true });
    rmSync(`${DB}-wal`, { force: true });
    rmSync(`${DB}-shm`, { force: true });
  }
  const t0 = Date.now();
  openStore({ path: DB }).close(); // creates the schema with the real migrations
  // better-sqlite3 directly: 1M rows through importSuppressions would take minutes, and the lookup
  // only reads the addresses row, which this fills exactly as the store's fold would.
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(DB);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const ins = db.prepare(`INSERT INTO addresses (address, email_suspended, email_suspended_cause, email_suspended_at,
      email_invalid, email_invalid_cause, email_invalid_at, complained, complained_at, soft_bounces, soft_days,
      first_bounce_at, last_bounce_at, events, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`);
  const now = Date.now();
  const fill = db.transaction((from, to) => {
    for (let i = from; i < to; i++) {
      // 10% invalid, 5% suspended (half still active), 1% complained, the rest soft or clean.
      const r = i % 100;
      const invalid = r < 10 ? 1 : 0;
      const suspended = r >= 10 && r < 15 ? 1 : 0;
      const complained = r === 15 ? 1 : 0;
      const at = now - (i % 2 ? 3_600_000 : 48 * 3_600_000);
      ins.run(
        address(i), suspended, suspended ? '554 5.7.1 blocked' : '', suspended ? at : null,
        invalid, invalid ? '550 5.1.1 user unknown' : '', invalid ? at : null,
        complained, complained ? at : null, r % 7, r % 3, at, at, 1 + (r % 5), now,
      );
    }
  });
  for (let i = 0; i < N; i += 50_000) fill(i, Math.min(N, i + 50_000));
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  console.log(`built ${DB} with ${N.toLocaleString('en')} addresses in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
}

/** Compile bench/socket-client.c into `dir`; undefined when there is no working compiler. */
/** BENCH_FLOOR: the same scenarios against bench/socket-floor.mjs (its CPU from /proc). */
async function floorRuns(dir, scenarios, clientBin, acceptors) {
  const sock = join(dir, 'floor.sock');
  const proc = fork(fileURLToPath(new URL('./socket-floor.mjs', import.meta.url)), [sock, String(acceptors)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const pids = await new Promise((res, rej) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /ready ([\d ]+)\n/.exec(out);
      if (m) res(m[1].trim().split(' ').map(Number));
    });
    proc.once('exit', () => rej(new Error('bench/socket-floor.mjs exited before it was ready')));
  });
  const rows = [];
  try {
    for (const sc of scenarios.filter((x) => !x.rate)) {
      const r = await measured(sc, sock, clientBin, pids, false);
      rows.push({ scenario: `floor: ${sc.name}`, ...r, readers: acceptors });
    }
  } finally {
    proc.kill('SIGTERM');
  }
  return rows;
}

function compileClient(dir) {
  const out = join(dir, 'socket-client');
  const src = fileURLToPath(new URL('socket-client.c', import.meta.url));
  for (const cc of [process.env.CC, 'cc', 'gcc', 'clang'].filter(Boolean)) {
    try {
      execFileSync(cc, ['-O2', '-o', out, src], { stdio: ['ignore', 'ignore', 'pipe'] });
      return out;
    } catch {
      // try the next compiler; none: the Node client
    }
  }
  return undefined;
}

/** user+system CPU of a process in microseconds (/proc/PID/stat, clock ticks of 10 ms on Linux). */
/**
 * One scenario with the server's CPU per lookup: the given server processes' (from /proc), plus
 * this process's when it serves too. Less sensitive than wall-clock figures to other load.
 */
async function measured(sc, sock, clientBin, pids, self) {
  const own0 = process.cpuUsage();
  const c0 = pids.map(procCpuUs);
  const r = await runScenario({ ...sc, sock, seconds: SECONDS, n: N }, clientBin);
  const own = process.cpuUsage(own0);
  const us = pids.reduce((sum, pid, i) => sum + procCpuUs(pid) - c0[i], 0) + (self ? own.user + own.system : 0);
  const serverCpuUs = r.lookups ? us / (r.lookups + (r.warmupLookups ?? 0)) : 0;
  return { ...r, serverCpuUsPerLookup: Number(serverCpuUs.toFixed(1)), client: clientBin ? 'c' : 'node' };
}

function procCpuUs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10_000; // utime, stime (fields 14, 15)
  } catch {
    return 0;
  }
}

function runScenario(opts, clientBin) {
  if (clientBin)
    return new Promise((resolve, reject) => {
      execFile(clientBin, [opts.sock, String(opts.clients), String(opts.depth), String(opts.seconds), String(opts.n), String(opts.rate ?? 0)], (err, stdout, stderr) => {
        if (err) return reject(new Error(`C client failed: ${err.message}\n${stderr}`));
        resolve(JSON.parse(stdout));
      });
    });
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['client', JSON.stringify(opts)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', resolve);
    child.once('error', reject);
    child.once('exit', (code) => code !== 0 && reject(new Error(`client exited ${code}`)));
  });
}

/**
 * Client process: open connections, keep `depth` requests in flight on each, time every reply.
 * Kept cheap because it shares the machine's cores with the server: the requests a reply frees
 * are sent in one write, replies are only split on newlines and checked for their `{"ok":true`
 * prefix (not JSON-parsed), and send times are a ring of performance.now() values.
 */
async function client({ sock, clients, depth, seconds, n }) {
  const lat = [];
  let done = 0;
  let warmDone = 0;
  let warm = true;
  const end = performance.now() + 500 + seconds * 1000;
  setTimeout(() => {
    warm = false;
    warmDone = done;
    done = 0;
    lat.length = 0;
  }, 500);
  let seed = 12345;
  // uint32 LCG, as in socket-client.c, so that both clients send the same sequence of requests.
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) / 0x7fffffff);
  const request = () => {
    // 10% of lookups are for addresses the database has never seen.
    const i = Math.floor(rnd() * n * 1.1);
    return `check ${i < n ? address(i) : `nobody${i}@example.net`}\n`;
  };
  const one = () =>
    new Promise((res, rej) => {
      const c = createConnection(sock);
      c.setEncoding('utf8');
      const sent = new Float64Array(depth); // ring: send time of each request in flight
      let head = 0;
      let inFlight = 0;
      let buf = '';
      c.on('connect', () => {
        let out = '';
        const t = performance.now();
        for (let k = 0; k < depth; k++) {
          out += request();
          sent[(head + inFlight++) % depth] = t;
        }
        c.write(out);
      });
      c.on('data', (d) => {
        buf += d;
        const t = performance.now();
        const more = t < end;
        let out = '';
        let start = 0;
        let nl;
        while ((nl = buf.indexOf('\n', start)) >= 0) {
          if (!buf.startsWith('{"ok":true', start)) return rej(new Error(`bad reply ${buf.slice(start, nl)}`));
          start = nl + 1;
          done++;
          if (!warm) lat.push(t - sent[head]);
          head = (head + 1) % depth;
          inFlight--;
          if (more) {
            out += request();
            sent[(head + inFlight++) % depth] = t;
          }
        }
        buf = start === buf.length ? '' : buf.slice(start);
        if (out !== '') c.write(out);
        else if (inFlight === 0) {
          c.end();
          res();
        }
      });
      c.on('error', rej);
    });
  await new Promise((r) => setTimeout(r, 10));
  const cpu0 = process.cpuUsage();
  await Promise.all(Array.from({ length: clients }, one));
  const cpu = process.cpuUsage(cpu0);
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? 0;
  process.send(
    {
      clients, depth, seconds, lookups: done, warmupLookups: warmDone, perSecond: Math.round(done / seconds),
      p50: q(0.5), p99: q(0.99), max: lat.at(-1) ?? 0,
      clientCpuUsPerLookup: Number(((cpu.user + cpu.system) / (done + warmDone)).toFixed(1)),
    },
    () => process.exit(0),
  );
}
