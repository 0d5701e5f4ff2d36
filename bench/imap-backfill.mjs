#!/usr/bin/env node
// bench:imap - backfill of one IMAP mailbox: N bounces (default 10,000) waiting in one folder of a
// private Dovecot on loopback; one unbounded pollMailbox pass (the same code as `rebound poll
// --max-messages 0 --max-seconds 0`) fetches, commits (SQLite file, WAL), processes (parse +
// classify + state) and MOVEs every message. Prints wall time, messages/s and peak memory (RSS
// sampled every 20 ms, and the process's maxRSS; V8 heap peak).
// Input: the four fixtures in test/fixtures/imap/, each copy made distinct. The messages are
// written straight into the Maildir before the timer starts (Dovecot indexes them on first open,
// which is part of the measured pass, as on a real server after a long outage).
// Usage: npm run bench:imap [-- --count N --batch B --tmp DIR]. Needs dovecot (apt-get install
// dovecot-imapd). Runs against dist/ (npm run build first; the npm script does this).
import { execFile, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { availableParallelism, loadavg, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { dovecotConfig } from '../test/support/dovecot-config.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const root = new URL('..', import.meta.url).pathname;
const count = Number(opt('--count', '10000'));
const batch = Number(opt('--batch', '500'));
// Where Dovecot's Maildir and the SQLite file live (e.g. /dev/shm to leave the disk out of it).
const tmpBase = opt('--tmp', tmpdir());

process.env.REBOUND_LOG_LEVEL ??= 'silent';
const { pollMailbox } = await import(join(root, 'dist', 'intake', 'imap.js'));
const { openStore } = await import(join(root, 'dist', 'store', 'index.js'));
const { Pipeline } = await import(join(root, 'dist', 'pipeline', 'run.js'));
const { sqliteStoreApi } = await import(join(root, 'dist', 'store', 'open.js'));
const { imapPollStore } = await import(join(root, 'dist', 'jobs', 'poll-imap.js'));

try {
  execFileSync('dovecot', ['--version'], { stdio: 'pipe' });
} catch {
  console.error('bench:imap needs dovecot (apt-get install dovecot-imapd)');
  process.exit(1);
}

// ---- a private Dovecot (the tests' configuration, test/support/dovecot-config.mjs) ----
const dir = mkdtempSync(join(tmpBase, 'rebound-bench-imap-'));
chmodSync(dir, 0o755);
for (const sub of ['run', 'state', 'mail']) mkdirSync(join(dir, sub));
const me = userInfo();
const rootUser = me.uid === 0;
const uid = rootUser ? 65534 : me.uid;
const gid = rootUser ? 65534 : me.gid;
const port = await new Promise((resolve) => {
  const s = createServer();
  s.listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const user = 'bounces';
const password = 'bench-password';
writeFileSync(join(dir, 'users'), `${user}:${password}:${uid}:${gid}::${dir}/mail/${user}\n`);
const conf = join(dir, 'dovecot.conf');
writeFileSync(conf, dovecotConfig(dir, port, rootUser ? undefined : me.username));

// ---- the backlog: N distinct bounces in Maildir++ folder "backfill" ----
const fixtures = join(root, 'test', 'fixtures', 'imap');
const templates = readdirSync(fixtures)
  .filter((f) => f.endsWith('.eml'))
  .sort()
  .map((f) => readFileSync(join(fixtures, f), 'utf8'));
const date = new Date().toUTCString().replace('GMT', '+0000');
const home = join(dir, 'mail', user);
const folderDir = join(home, '.backfill');
for (const d of [home, folderDir, join(folderDir, 'cur'), join(folderDir, 'new'), join(folderDir, 'tmp')]) mkdirSync(d, { recursive: true });
let bytes = 0;
const t0prep = Date.now();
for (let i = 0; i < count; i++) {
  const t = templates[i % templates.length];
  const msg = t
    .replaceAll('{{N}}', String(i))
    .replaceAll('{{RCPT}}', `user${i}@example.org`)
    .replaceAll('{{TAG}}', `m${i}`)
    .replaceAll('{{DATE}}', date)
    .replace(/\r?\n/g, '\r\n');
  bytes += Buffer.byteLength(msg);
  writeFileSync(join(folderDir, 'new', `${1700000000 + i}.M${i}P1.bench`), msg);
}
writeFileSync(join(home, 'subscriptions'), 'backfill\n');
if (rootUser) execFileSync('chown', ['-R', `${uid}:${gid}`, join(dir, 'mail')]);
else chownSync(join(dir, 'mail'), uid, gid);

await new Promise((resolve, reject) => {
  const p = spawn('dovecot', ['-c', conf], { stdio: 'ignore' });
  p.once('exit', (c) => (c === 0 ? resolve() : reject(new Error(`dovecot exit ${c}`))));
});
for (let i = 0; ; i++) {
  const ok = await new Promise((r) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), r(true)));
    s.once('error', () => r(false));
  });
  if (ok) break;
  if (i > 200) throw new Error('dovecot did not start');
  await new Promise((r) => setTimeout(r, 50));
}
const prepSecs = (Date.now() - t0prep) / 1000;

// ---- the measured pass ----
const opened = openStore({ path: join(dir, "bench.db") });
const api = sqliteStoreApi(opened);
// What the daemon's poll job gets (jobs/poll-imap.ts imapPollStore), timed per store call below.
const store = imapPollStore(api, new Pipeline(api), 'bench');
const timing = { save: 0, process: 0, cursor: 0 };
for (const [k, f] of [["save", "saveMessages"], ["process", "processIds"], ["cursor", "setImapCursor"]]) {
  const orig = store[f].bind(store);
  store[f] = (...a) => {
    const t = performance.now();
    const add = () => { timing[k] += performance.now() - t; };
    let r;
    try { r = orig(...a); } catch (err) { add(); throw err; }
    // processIds is asynchronous (the analysis awaits mailparser): time it to its settlement.
    if (r && typeof r.then === 'function') return r.finally(add);
    add();
    return r;
  };
}
const cfg = {
  name: 'bench',
  host: '127.0.0.1',
  port,
  tls: 'none',
  user,
  password,
  folders: ['backfill'],
  schedule: '*/5 * * * *',
  idle: false,
  moveTo: { processed: 'Processed', notBounce: 'NotBounce', failed: 'Failed' },
  markSeen: true,
  delete: false,
  maxMessagesPerRun: 0,
  maxRunSeconds: 0,
};
const base = process.memoryUsage();
let peakRss = base.rss;
let peakHeap = base.heapUsed;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
}, 20);
let firstProgress = 0;
// CPU seconds of Dovecot's processes (the master's session), sampled every second: the IMAP
// session process exits at LOGOUT, so its total must be read while it runs.
const dovecotTimes = new Map();
const masterPid = Number(readFileSync(join(dir, 'run', 'master.pid'), 'utf8'));
const dovecotSampler = setInterval(() => {
  execFile('ps', ['-o', 'pid=,times=', '--sid', String(masterPid)], (err, out) => {
    if (err) return;
    for (const line of out.split('\n')) {
      const [pid, t] = line.trim().split(/\s+/);
      if (pid && t) dovecotTimes.set(pid, Math.max(dovecotTimes.get(pid) ?? 0, Number(t)));
    }
  });
}, 1000);
const load0 = loadavg()[0];
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
let result;
try {
  result = await pollMailbox(cfg, { store, batchSize: batch, maxMessages: 0, maxRunSeconds: 0, onProgress: (p) => {
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    if (p.done === 0) firstProgress = s;
    if (p.done % 1000 === 0 && p.done > 0) process.stderr.write(`  ${p.done} handled at ${s.toFixed(1)} s\n`);
  } });
} finally {
  clearInterval(sampler);
}
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
const nodeCpu = (cpu.user + cpu.system) / 1e6;
clearInterval(dovecotSampler);
const dovecotCpu = [...dovecotTimes.values()].reduce((n, t) => n + t, 0);
const st = opened.stats();
opened.close();
const maxRssMb = process.resourceUsage().maxRSS / 1024;

// ---- tear down ----
try {
  const pid = Number(readFileSync(join(dir, 'run', 'master.pid'), 'utf8'));
  process.kill(-pid, 'SIGTERM');
} catch {
  /* already gone */
}
await new Promise((r) => setTimeout(r, 300));
rmSync(dir, { recursive: true, force: true });

const mb = (n) => (n / 1024 / 1024).toFixed(0);
console.log(`bench:imap  ${count} messages (${(bytes / 1024 / 1024).toFixed(1)} MiB) in one folder, batch ${batch}, under ${tmpBase}, node ${process.version}`);
console.log(`  backlog written in ${prepSecs.toFixed(1)} s (not measured); connect + SELECT (indexing) + SEARCH took ${firstProgress.toFixed(1)} s of the pass`);
console.log(
  `  pass: ${secs.toFixed(1)} s, ${(count / secs).toFixed(0)} msg/s; fetched ${result.fetched}, stored ${result.stored}, ` +
    `duplicates ${result.duplicates}; processed ${result.outcomes.processed}, not-a-bounce ${result.outcomes['not-a-bounce']}, failed ${result.outcomes.failed}; backlog ${result.backlog}`,
);
console.log(`  store: ${st.messages.total} messages, ${st.events.total} events; time in store: commit ${(timing.save / 1000).toFixed(1)} s, process ${(timing.process / 1000).toFixed(1)} s, cursor ${(timing.cursor / 1000).toFixed(1)} s; the rest is IMAP`);
console.log(`  machine: ${availableParallelism()} cores, load average ${load0.toFixed(1)} at start, ${loadavg()[0].toFixed(1)} at end (other work on the machine inflates wall time, not CPU time)`);
console.log(`  CPU during the pass: rebound ${nodeCpu.toFixed(1)} s, dovecot about ${dovecotCpu.toFixed(0)} s (ps, 1 s resolution) (wall ${secs.toFixed(1)} s)`);
console.log(`  memory: RSS ${mb(base.rss)} MiB before, peak ${mb(peakRss)} MiB sampled (maxRSS ${maxRssMb.toFixed(0)} MiB); V8 heap peak ${mb(peakHeap)} MiB`);
if (result.fetched !== count || st.messages.total !== count) {
  console.error('bench:imap: not every message was ingested');
  process.exit(1);
}
