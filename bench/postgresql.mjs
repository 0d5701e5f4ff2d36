#!/usr/bin/env node
/**
 * bench/postgresql - several daemons on one PostgreSQL against one daemon on SQLite
 * (npm run bench:postgresql; needs `npm run build` and PostgreSQL, as in the tests).
 *
 * A private PostgreSQL cluster (test/support/pg-cluster.mjs) with fsync ON (a commit costs what it
 * costs in production), on this machine, loopback. The daemons are real processes
 * (dist/main.js serve). The bounces are the project's real-MTA DSNs (samples/real-mta, 1,524
 * files), each made unique by a Message-ID-like header so that none is a duplicate, sent over SMTP
 * by BENCH_CONN connections (default 32) that each reuse their session, spread evenly over the
 * daemons. Scenarios:
 *   sqlite-1      one daemon on a SQLite file (the default store)
 *   postgresql-1  one daemon on PostgreSQL
 *   postgresql-3  three daemons on one PostgreSQL database
 * Per scenario: acknowledged bounces/s (first DATA to last 250), and the time until every message
 * is processed (none pending). Then "may I send?" lookups: `check ADDRESS` on a daemon's status
 * socket, BENCH_LOOKUP_CLIENTS (default 8) connections with one request in flight each, for
 * BENCH_SECONDS (default 5): lookups/s, p50, p99; and PgStore.mayISend called directly (no
 * socket) with 1 and 8 in flight. Env: BENCH_N (messages, default 3000).
 * Output: a table and one JSON line per figure (for docs/BENCHMARKS.md).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startPgCluster } from '../test/support/pg-cluster.mjs';
import { freePort } from '../test/support/net.mjs';
import { Session, startDaemon as startSharedDaemon } from './daemon-session.mjs';

const N = Number(process.env.BENCH_N ?? 3000);
const CONN = Number(process.env.BENCH_CONN ?? 32);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const LOOKUP_CLIENTS = Number(process.env.BENCH_LOOKUP_CLIENTS ?? 8);
const root = new URL('..', import.meta.url).pathname;
const MAIN = join(root, 'dist', 'main.js');
const VERP_DOMAIN = 'bounces.example.org';

const corpus = ['exim', 'opensmtpd', 'postfix', 'sendmail'].flatMap((m) =>
  readdirSync(join(root, 'samples/real-mta', m))
    .filter((f) => f.endsWith('.eml'))
    .sort()
    .map((f) => readFileSync(join(root, 'samples/real-mta', m, f), 'latin1').replace(/\r?\n/g, '\r\n')),
);

function message(i) {
  const text = corpus[i % corpus.length];
  const to = /^To:\s*<?([^\s<>,]+@[^\s<>,]+)>?/im.exec(text.split('\r\n\r\n', 1)[0]);
  const rcpt = to && to[1].toLowerCase().endsWith(`@${VERP_DOMAIN}`) ? to[1] : `bounces@${VERP_DOMAIN}`;
  const data = `X-Bench-Copy: ${i}\r\n${text.replace(/(\r\n)?$/, '\r\n')}`.replace(/^\./gm, '..');
  return { rcpt, data: `${data}.\r\n` };
}

/** Start a daemon and give a way to stop it. */
async function startDaemon(cfg, port) {
  const proc = await startSharedDaemon(MAIN, cfg, port);
  return {
    proc,
    stop: () =>
      new Promise((res) => {
        proc.once('exit', res);
        proc.kill('SIGTERM');
      }),
  };
}

function config(dir, i, store) {
  const f = join(dir, `d${i}.toml`);
  const port = store.port;
  writeFileSync(
    f,
    [
      '[store]',
      ...(store.url ? ['backend = "postgresql"', `url = "${store.url}"`, 'tls = "off"', 'poolSize = 8'] : [`path = "${join(dir, 'rebound.db')}"`]),
      '[intake.smtp]',
      `port = ${port}`,
      `maxClients = ${CONN * 2}`,
      '[control]',
      `socket = "${join(dir, `ctl${i}.sock`)}"`,
      '[verp]',
      `domains = ["${VERP_DOMAIN}"]`,
      '[jobs.prune]',
      'enabled = false',
      '[jobs.checkpoint]',
      'enabled = false',
      '',
    ].join('\n'),
  );
  return f;
}

/** Send N messages over CONN reused sessions spread over the ports; returns acks/s. */
async function burst(ports) {
  let next = 0;
  let acked = 0;
  let failed = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONN }, async (_, c) => {
      const port = ports[c % ports.length];
      let s = await Session.open(port);
      await s.reply();
      await s.cmd('EHLO bench.example\r\n');
      for (;;) {
        const i = next++;
        if (i >= N) break;
        const m = message(i);
        const ok =
          (await s.cmd('MAIL FROM:<>\r\n')).startsWith('250') &&
          (await s.cmd(`RCPT TO:<${m.rcpt}>\r\n`)).startsWith('250') &&
          (await s.cmd('DATA\r\n')).startsWith('354') &&
          (await s.cmd(m.data)).startsWith('250');
        if (ok) acked++;
        else {
          failed++;
          s.sock.destroy();
          s = await Session.open(port);
          await s.reply();
          await s.cmd('EHLO bench.example\r\n');
        }
      }
      s.sock.end();
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  return { acked, failed, seconds: secs, perSecond: acked / secs };
}

async function lineClient(path) {
  const sock = createConnection(path);
  await new Promise((r, j) => {
    sock.once('connect', r);
    sock.once('error', j);
  });
  sock.setEncoding('utf8');
  let buf = '';
  let waiter = null;
  sock.on('data', (d) => {
    buf += d;
    if (waiter && buf.includes('\n')) {
      const w = waiter;
      waiter = null;
      w();
    }
  });
  return {
    async ask(line) {
      sock.write(`${line}\n`);
      while (!buf.includes('\n')) await new Promise((r) => (waiter = r));
      const nl = buf.indexOf('\n');
      const out = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      return out;
    },
    close: () => sock.end(),
  };
}

/** `clients` loops of one request in flight, for SECONDS; lookups/s and percentiles (ms). */
async function lookups(ask, addresses, clients) {
  const lat = [];
  const end = performance.now() + SECONDS * 1000;
  let k = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) {
        const a = addresses[k++ % addresses.length];
        const t = performance.now();
        await ask(a);
        lat.push(performance.now() - t);
      }
    }),
  );
  lat.sort((a, b) => a - b);
  const p = (q) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))];
  return { lookups: lat.length, perSecond: lat.length / SECONDS, p50ms: p(0.5), p99ms: p(0.99) };
}

async function pendingCount(kind, where) {
  if (kind === 'sqlite') {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(where, { readonly: true });
    const n = db.prepare(`SELECT count(*) AS n FROM messages WHERE state = 'pending'`).get().n;
    db.close();
    return n;
  }
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: where });
  await c.connect();
  const r = await c.query(`SELECT count(*)::int AS n FROM messages WHERE state = 'pending'`);
  await c.end();
  return r.rows[0].n;
}

async function knownAddresses(kind, where) {
  const sql = 'SELECT address FROM addresses ORDER BY address LIMIT 5000';
  if (kind === 'sqlite') {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(where, { readonly: true });
    const a = db.prepare(sql).pluck().all();
    db.close();
    return a;
  }
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: where });
  await c.connect();
  const r = await c.query(sql);
  await c.end();
  return r.rows.map((x) => x.address);
}

async function scenario(name, cluster) {
  const dir = mkdtempSync(join(tmpdir(), `rebound-bench-pg-${name}-`));
  const count = name.endsWith('-3') ? 3 : 1;
  const url = cluster ? await cluster.createDatabase(name.replace(/-/g, '_')) : undefined;
  if (url) {
    // Migrate once before the daemons start (they would, one after the other).
    const { openPgStore } = await import(new URL('../dist/store/postgresql/index.js', import.meta.url).href);
    await (await openPgStore({ url, tls: 'off' })).close();
  }
  const ports = [];
  for (let i = 0; i < count; i++) ports.push(await freePort());
  const daemons = await Promise.all(ports.map((port, i) => startDaemon(config(dir, i, { port, url }), port)));
  const load = os.loadavg()[0].toFixed(1);
  const b = await burst(ports);
  const t0 = performance.now();
  const where = url ?? join(dir, 'rebound.db');
  const kind = url ? 'postgresql' : 'sqlite';
  while ((await pendingCount(kind, where)) > 0) await new Promise((r) => setTimeout(r, 100));
  const drainSeconds = (performance.now() - t0) / 1000;
  const result = { scenario: name, daemons: count, messages: N, connections: CONN, ...b, processedAllAfterSeconds: b.seconds + drainSeconds, loadBefore: load };
  console.log(JSON.stringify(result));

  // Lookups on daemon 0's status socket.
  const addresses = await knownAddresses(kind, where);
  const clients = await Promise.all(Array.from({ length: LOOKUP_CLIENTS }, () => lineClient(join(dir, 'ctl0.sock'))));
  let ci = 0;
  const pool = clients.map((c) => c);
  const ask = async (a) => {
    const c = pool.pop() ?? clients[ci++ % clients.length];
    try {
      const r = await c.ask(`check ${a}`);
      if (!r.startsWith('{"ok":true')) throw new Error(r);
    } finally {
      pool.push(c);
    }
  };
  const one = await lookups(ask, addresses, 1);
  const many = await lookups(ask, addresses, LOOKUP_CLIENTS);
  for (const c of clients) c.close();
  const l1 = { scenario: name, what: 'socket check, 1 in flight', ...one };
  const l8 = { scenario: name, what: `socket check, ${LOOKUP_CLIENTS} clients x 1 in flight`, ...many };
  console.log(JSON.stringify(l1));
  console.log(JSON.stringify(l8));
  const direct = [];
  if (url) {
    const { openPgStore } = await import(new URL('../dist/store/postgresql/index.js', import.meta.url).href);
    const s = await openPgStore({ url, tls: 'off', poolSize: LOOKUP_CLIENTS });
    for (const n of [1, LOOKUP_CLIENTS]) {
      const r = { scenario: name, what: `PgStore.mayISend in process, ${n} in flight`, ...(await lookups((a) => s.mayISend(a), addresses, n)) };
      console.log(JSON.stringify(r));
      direct.push(r);
    }
    await s.close();
  }
  await Promise.all(daemons.map((d) => d.stop()));
  rmSync(dir, { recursive: true, force: true });
  return { result, lookups: [l1, l8, ...direct] };
}

const cluster = await startPgCluster({ fsync: true, settings: { max_connections: '200' } });
try {
  const rows = [];
  rows.push(await scenario('sqlite-1', null));
  rows.push(await scenario('postgresql-1', cluster));
  rows.push(await scenario('postgresql-3', cluster));
  console.log('\nscenario       daemons  acked/s  all processed after   lookups (1 in flight: /s, p50, p99 ms)   (8 clients: /s, p50, p99 ms)');
  for (const r of rows) {
    const [a, b] = r.lookups;
    console.log(
      `${r.result.scenario.padEnd(14)} ${String(r.result.daemons).padStart(7)}  ${r.result.perSecond.toFixed(0).padStart(7)}  ${r.result.processedAllAfterSeconds.toFixed(1).padStart(8)} s` +
        `            ${a.perSecond.toFixed(0).padStart(6)} ${a.p50ms.toFixed(3)} ${a.p99ms.toFixed(3)}        ${b.perSecond.toFixed(0).padStart(6)} ${b.p50ms.toFixed(3)} ${b.p99ms.toFixed(3)}`,
    );
  }
  console.log(`\n(${N} messages, ${CONN} SMTP connections, ${os.cpus().length} cores; PostgreSQL ${cluster.bin}, fsync on)`);
} finally {
  await cluster.stop();
}
