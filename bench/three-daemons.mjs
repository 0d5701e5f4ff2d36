#!/usr/bin/env node
/**
 * bench/three-daemons - the larger run of test/integration/three-daemons.test.ts (npm run
 * bench:three-daemons; needs `npm run build` and PostgreSQL): three daemons (dist/main.js serve)
 * on one private PostgreSQL cluster (fsync on), BENCH_N real-MTA DSNs (default 3000; the corpus's
 * 1,524 made unique by one added header) delivered over SMTP by BENCH_CONN sessions spread over
 * the three, every BENCH_DUP-th message (default 6) also to a second host; daemon 1 is killed -9
 * when a third of the deliveries are acknowledged and started again; a delivery without a 250 is
 * retried on the next host, as an MTA does. Then it checks and prints: every acknowledged message
 * stored once under the id its 250 named, nothing else stored, every message processed exactly
 * once (attempts = 1, none pending), and every address row equal to one SQLite store fed the same
 * messages in PostgreSQL's fold order (stored_at, then first event id). Exit 1 when a check fails.
 * Output: one JSON line with the counts and times (for docs/BENCHMARKS.md).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { startPgCluster } from '../test/support/pg-cluster.mjs';
import { freePort } from '../test/support/net.mjs';
import { Session, startDaemon } from './daemon-session.mjs';

const N = Number(process.env.BENCH_N ?? 3000);
const CONN = Number(process.env.BENCH_CONN ?? 24);
const DUP = Number(process.env.BENCH_DUP ?? 6);
const root = new URL('..', import.meta.url).pathname;
const MAIN = join(root, 'dist', 'main.js');
const VERP_DOMAIN = 'bounces.example.org';
const dist = (p) => import(new URL(`../dist/${p}`, import.meta.url).href);

const corpus = ['exim', 'opensmtpd', 'postfix', 'sendmail'].flatMap((m) =>
  readdirSync(join(root, 'samples/real-mta', m))
    .filter((f) => f.endsWith('.eml'))
    .sort()
    .map((f) => readFileSync(join(root, 'samples/real-mta', m, f), 'latin1').replace(/\r?\n/g, '\r\n')),
);

/** Message i as it travels (CRLF, ending in CRLF): what the daemon stores. */
function wire(i) {
  const text = corpus[i % corpus.length];
  return `X-Bench-Copy: ${i}\r\n${text.replace(/(\r\n)?$/, '\r\n')}`;
}
function rcptOf(text) {
  const to = /^To:\s*<?([^\s<>,]+@[^\s<>,]+)>?/im.exec(text.split('\r\n\r\n', 1)[0]);
  return to && to[1].toLowerCase().endsWith(`@${VERP_DOMAIN}`) ? to[1] : `bounces@${VERP_DOMAIN}`;
}


const cluster = await startPgCluster({ fsync: true, settings: { max_connections: '200' } });
const dir = mkdtempSync(join(tmpdir(), 'rebound-bench-3d-'));
const procs = [];
let failed = false;
try {
  const url = await cluster.createDatabase('three');
  const { openPgStore } = await dist('store/postgresql/index.js');
  await (await openPgStore({ url, tls: 'off' })).close(); // migrate once
  const ports = [await freePort(), await freePort(), await freePort()];
  const cfgs = ports.map((port, i) => {
    const f = join(dir, `d${i}.toml`);
    writeFileSync(
      f,
      `[store]\nbackend = "postgresql"\nurl = "${url}"\ntls = "off"\npoolSize = 8\n[intake.smtp]\nport = ${port}\nmaxClients = ${CONN * 2}\n` +
        `[control]\nsocket = "${join(dir, `ctl${i}.sock`)}"\n[verp]\ndomains = ["${VERP_DOMAIN}"]\n[jobs.prune]\nenabled = false\n`,
    );
    return f;
  });
  for (let i = 0; i < 3; i++) procs[i] = await startDaemon(MAIN, cfgs[i], ports[i]);

  const queue = [];
  for (let i = 0; i < N; i++) {
    queue.push({ msg: i, host: i % 3 });
    if (i % DUP === 0) queue.push({ msg: i, host: (i + 1) % 3 });
  }
  const deliveries = queue.length;
  const acked = new Map();
  let ackCount = 0;
  let retried = 0;
  const alive = [true, true, true];
  const t0 = performance.now();
  const worker = async () => {
    const sessions = new Map();
    const session = async (host) => {
      const have = sessions.get(host);
      if (have && !have.closed) return have;
      try {
        const s = await Session.open(ports[host]);
        if (!(await s.reply()).startsWith('220') || !(await s.cmd('EHLO mta.example.net\r\n')).startsWith('250')) return null;
        sessions.set(host, s);
        return s;
      } catch {
        return null;
      }
    };
    for (;;) {
      const job = queue.shift();
      if (!job) break;
      let host = job.host;
      if (!alive[host]) host = (host + 1) % 3;
      const s = await session(host);
      let id = null;
      if (s) {
        const text = wire(job.msg);
        if (
          (await s.cmd('MAIL FROM:<>\r\n')).startsWith('250') &&
          (await s.cmd(`RCPT TO:<${rcptOf(text)}>\r\n`)).startsWith('250') &&
          (await s.cmd('DATA\r\n')).startsWith('354')
        ) {
          const m = /^250 .*stored as (\d+)/.exec(await s.cmd(`${text.replace(/^\./gm, '..')}.\r\n`));
          if (m) id = Number(m[1]);
        }
      }
      if (id === null) {
        sessions.get(host)?.sock.destroy();
        sessions.delete(host);
        retried++;
        queue.push({ msg: job.msg, host: (host + 1) % 3 });
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      let ids = acked.get(job.msg);
      if (!ids) acked.set(job.msg, (ids = new Set()));
      ids.add(id);
      ackCount++;
    }
    for (const s of sessions.values()) s.sock.end();
  };
  const workers = Array.from({ length: CONN }, () => worker());
  while (ackCount < deliveries / 3) await new Promise((r) => setTimeout(r, 10));
  alive[1] = false;
  const exited = new Promise((r) => procs[1].once('exit', r));
  procs[1].kill('SIGKILL');
  await exited;
  const killedAt = ackCount;
  procs[1] = await startDaemon(MAIN, cfgs[1], ports[1]);
  alive[1] = true;
  await Promise.all(workers);
  const burstSeconds = (performance.now() - t0) / 1000;

  const c = new pg.Client({ connectionString: url });
  await c.connect();
  for (;;) {
    const p = await c.query(`SELECT count(*)::int AS n FROM messages WHERE state = 'pending'`);
    if (p.rows[0].n === 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const processedSeconds = (performance.now() - t0) / 1000;
  const rows = (await c.query('SELECT id::int, sha256, state, attempts::int FROM messages ORDER BY id')).rows;
  const byHash = new Map(rows.map((r) => [r.sha256, r]));
  let wrongId = 0;
  let twoIds = 0;
  for (const [i, ids] of acked) {
    if (ids.size !== 1) twoIds++;
    const row = byHash.get(createHash('sha256').update(Buffer.from(wire(i), 'latin1')).digest('hex'));
    if (row?.id !== [...ids][0]) wrongId++;
  }
  const notOnce = rows.filter((r) => r.attempts !== 1 || r.state === 'pending').length;

  // The reference: SQLite fed the same messages, same envelopes, in PostgreSQL's fold order.
  const order = (
    await c.query(
      `SELECT m.id::int, m.stored_at::float8 AS stored_at, m.received_at::float8 AS received_at, m.source, m.origin, m.mail_from, m.rcpt_to, m.return_paths, m.sha256
         FROM messages m LEFT JOIN (SELECT message_id, min(id) AS e FROM events GROUP BY message_id) e ON e.message_id = m.id
        ORDER BY m.stored_at, e.e NULLS LAST, m.id`,
    )
  ).rows;
  await c.end();
  const { openStore } = await dist('store/index.js');
  const { Pipeline } = await dist('pipeline/run.js');
  const { sqliteStoreApi } = await dist('store/open.js');
  let t = 0;
  const lite = openStore({ path: ':memory:', clock: () => t });
  const pipeline = new Pipeline(sqliteStoreApi(lite));
  const rawByHash = new Map();
  for (let i = 0; i < N; i++) {
    const b = Buffer.from(wire(i), 'latin1');
    rawByHash.set(createHash('sha256').update(b).digest('hex'), b);
  }
  for (const r of order) {
    t = r.stored_at;
    lite.saveMessage({ source: r.source, origin: r.origin, mailFrom: r.mail_from, rcptTo: JSON.parse(r.rcpt_to), receivedAt: r.received_at, returnPaths: JSON.parse(r.return_paths) }, rawByHash.get(r.sha256));
  }
  await pipeline.processPending();
  const expected = [...lite.exportAddresses()];
  lite.close();
  const store = await openPgStore({ url, tls: 'off' });
  const got = [];
  for await (const row of store.exportAddresses()) got.push(row);
  await store.close();
  const differing = expected.filter((e, i) => JSON.stringify(e) !== JSON.stringify(got[i])).length + Math.abs(expected.length - got.length);

  const result = {
    messages: N,
    deliveries,
    connections: CONN,
    acknowledged: ackCount,
    retriedAfterNo250: retried,
    killedAfterAcks: killedAt,
    stored: rows.length,
    ackedMessagesWithTwoIds: twoIds,
    ackedStoredUnderAnotherId: wrongId,
    notProcessedExactlyOnce: notOnce,
    addresses: expected.length,
    addressRowsDifferingFromSqlite: differing,
    burstSeconds: Number(burstSeconds.toFixed(1)),
    allProcessedAfterSeconds: Number(processedSeconds.toFixed(1)),
  };
  console.log(JSON.stringify(result));
  failed = rows.length !== N || twoIds > 0 || wrongId > 0 || notOnce > 0 || differing > 0 || acked.size !== N;
  if (failed) console.error('three-daemons: a check failed (see the counts above)');
} finally {
  for (const p of procs) if (p && p.exitCode === null) p.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1500));
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
