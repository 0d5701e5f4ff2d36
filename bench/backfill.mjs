#!/usr/bin/env node
// bench:backfill - `rebound ingest` of one mbox of N bounces (10,000, 100,000, 1,000,000 by
// default), each size with 1 and 2 worker threads, as an operator's first backfill runs it:
// the built CLI in a child process, a fresh SQLite file per run. The mbox comes from the project's
// own fixtures (bench/backfill-mbox.mjs: samples/ and test/fixtures/, every message distinct, the
// failed recipients Zipf-distributed over N/4 addresses), written once per size and kept in --tmp.
//
// Per run it prints wall time, messages/s, wall and CPU microseconds per message (CPU: user +
// system of the whole process, every thread, from process.resourceUsage() at exit, written by a
// preload - the CLI is unchanged) and the peak RSS (maxRSS: all threads). After the largest size's
// last run: `rebound export --json` and `rebound list --invalid --json` into /dev/null, and
// `rebound verify-state`, each with its time and peak RSS. Then the ratios that say whether time
// per message stays flat across sizes (within 20 %) and whether peak RSS stays under 300 MB.
//
// Then the output commands on a store of --addresses address rows (1,000,000) written directly.
//
// Usage: npm run bench:backfill [-- --sizes 10000,100000 --threads 1,2 --addresses N --tmp DIR]
// Runs against dist/ (the npm script builds it). The 1,000,000 run takes the better part of an
// hour on the 2-core test machine.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const opt = (name, d) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : d;
};
const sizes = opt('--sizes', '10000,100000,1000000').split(',').map(Number);
const threadList = opt('--threads', '1,2').split(',').map(Number);
const tmp = opt('--tmp', join(tmpdir(), 'rebound-bench-backfill'));
mkdirSync(tmp, { recursive: true });
// A snapshot of the build, the bench scripts and the fixtures: a long run measures one version
// even if dist/ is rebuilt meanwhile (tests rebuild it).
const root = join(tmp, 'app');
rmSync(root, { recursive: true, force: true });
for (const d of ['dist', 'bench', 'samples', join('test', 'fixtures')]) cpSync(join(repo, d), join(root, d), { recursive: true });
writeFileSync(join(root, 'package.json'), '{ "type": "module" }\n');
symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'), 'dir');
const main = join(root, 'dist', 'main.js');
const env = { ...process.env, REBOUND_CONFIG: '', REBOUND_LOG_LEVEL: 'silent' };

// The preload: at exit, the process's own CPU time and peak RSS (all threads) into a file.
const preload = join(tmp, 'usage.mjs');
writeFileSync(
  preload,
  `import { writeFileSync } from 'node:fs';
process.on('exit', () => { const u = process.resourceUsage(); writeFileSync(process.env.BENCH_USAGE, JSON.stringify({ cpu: (u.userCPUTime + u.systemCPUTime) / 1e6, maxRss: u.maxRSS * 1024 })); });
`,
);

function run(cmd, argv, { stdout = 'pipe', usage } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const p = spawn(cmd, argv, { env: { ...env, BENCH_USAGE: usage ?? '' }, stdio: ['ignore', stdout, 'pipe'] });
    let out = '';
    let err = '';
    p.stdout?.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => {
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      if (code !== 0) return reject(new Error(`${cmd} ${argv.join(' ')}: exit ${code}\n${err.slice(0, 2000)}`));
      resolve({ out, err, secs, usage: usage ? JSON.parse(readFileSync(usage, 'utf8')) : null });
    });
  });
}

async function mboxFor(n) {
  const file = join(tmp, `backfill-${n}.mbox`);
  if (!existsSync(file)) {
    process.stderr.write(`writing ${file} ...\n`);
    await run(process.execPath, [join(root, 'bench', 'backfill-mbox.mjs'), '--count', String(n), '--out', file]);
  }
  return file;
}

const mb = (b) => (b / 1024 / 1024).toFixed(0);
const rows = [];
console.log(`bench:backfill - node ${process.version}, ${availableParallelism()} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at start`);
for (const n of sizes) {
  const mbox = await mboxFor(n);
  const size = statSync(mbox).size;
  for (const threads of threadList) {
    const db = join(tmp, `bench-${n}-${threads}.db`);
    for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
    const usage = join(tmp, 'usage.json');
    const load0 = loadavg()[0];
    const r = await run(process.execPath, ['--import', preload, main, 'ingest', mbox, '--db', db, '--json', '--no-progress', '--threads', String(threads)], { usage });
    const s = JSON.parse(r.out);
    const row = {
      messages: n,
      mboxMB: Number(mb(size)),
      threads,
      seconds: Number(r.secs.toFixed(1)),
      rate: Math.round(n / r.secs),
      wallUsPerMsg: Math.round((r.secs * 1e6) / n),
      cpuUsPerMsg: Math.round((r.usage.cpu * 1e6) / n),
      peakRssMB: Number(mb(r.usage.maxRss)),
      load: `${load0.toFixed(1)}-${loadavg()[0].toFixed(1)}`,
      stored: s.stored,
      failed: s.failed,
      bounces: s.bounces,
    };
    rows.push(row);
    console.log(JSON.stringify(row));
    const last = n === sizes[sizes.length - 1] && threads === threadList[threadList.length - 1];
    if (!last) {
      for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
      continue;
    }
    // The output commands and the check, on the largest store.
    for (const [label, argv] of [
      ['export --json', ['export', '--json']],
      ['list --invalid --json', ['list', '--invalid', '--json']],
      ['verify-state', ['verify-state']],
    ]) {
      const o = await run(process.execPath, ['--import', preload, main, ...argv, '--db', db], { stdout: 'ignore', usage });
      console.log(JSON.stringify({ command: label, messages: n, seconds: Number(o.secs.toFixed(1)), peakRssMB: Number(mb(o.usage.maxRss)), stderr: o.err.trim() }));
    }
    const d = await run('sqlite3', [db, 'SELECT count(*), max(events) FROM addresses']).catch(() => null);
    if (d) console.log(JSON.stringify({ addresses: Number(d.out.split('|')[0]), mostEventsOneAddress: Number(d.out.split('|')[1]) }));
  }
}

// Output commands on a million addresses (more than the backfills above leave: their addresses
// recur): a store whose address rows are written directly, then export, list and history into
// /dev/null, each with its time and peak RSS.
{
  const n = Number(opt('--addresses', '1000000'));
  const db = join(tmp, 'addresses.db');
  for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
  const { openStore } = await import(join(root, 'dist', 'store', 'index.js'));
  openStore({ path: db }).close();
  const { default: Database } = await import(join(repo, 'node_modules', 'better-sqlite3', 'lib', 'index.js'));
  const d = new Database(db);
  const t0 = Date.UTC(2026, 0, 1);
  d.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
     INSERT INTO addresses (address, email_invalid, email_invalid_cause, email_invalid_at, events, updated_at)
     SELECT printf('user%07d@d%d.example', i, i % 997), i % 3 = 0, '550 5.1.1 <user@example>: Recipient address rejected: User unknown', ? + i, 1, ? FROM n`,
  ).run(n, t0, t0);
  d.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
     INSERT INTO address_actions (address, action, what, reason, who, at) SELECT 'role@x.example', 'import', 'complained', 'list ' || i, 'op', ? + i FROM n`,
  ).run(t0);
  d.close();
  const usage = join(tmp, 'usage.json');
  for (const [label, argv] of [
    ['export --json', ['export', '--json']],
    ['export --csv', ['export', '--csv']],
    ['list --invalid --json', ['list', '--invalid', '--json']],
    ['history --all (100,000 entries)', ['history', 'role@x.example', '--all', '--json']],
  ]) {
    const o = await run(process.execPath, ['--import', preload, main, ...argv, '--db', db], { stdout: 'ignore', usage });
    console.log(JSON.stringify({ command: label, addresses: n, seconds: Number(o.secs.toFixed(1)), peakRssMB: Number(mb(o.usage.maxRss)) }));
  }
  for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
}

// Parse only, for reference: rebound's analyzeMessage in one thread on the first messages of the
// smallest mbox, and Perl Sisimai (Debian's libsisimai-perl) on the same messages, both pinned to
// one core (taskset) when it is there.
{
  const n = Math.min(5000, sizes[0]);
  const mbox = await mboxFor(sizes[0]);
  const taskset = await run('taskset', ['-c', '0', 'true']).then(() => true, () => false);
  const pin = (argv) => (taskset ? ['taskset', ['-c', '0', ...argv]] : [argv[0], argv.slice(1)]);
  const [c1, a1] = pin([process.execPath, join(root, 'bench', 'backfill-parse.mjs'), mbox, String(n)]);
  const mine = await run(c1, a1);
  console.log(`parse only, rebound analyzeMessage: ${mine.out.trim()}`);
  const [c2, a2] = pin(['perl', join(root, 'bench', 'sisimai-mbox.pl'), mbox, String(n)]);
  const theirs = await run(c2, a2).catch((err) => ({ out: `not available (${String(err.message).split('\n')[1] ?? err.message})` }));
  console.log(`parse only, Perl Sisimai:           ${theirs.out.trim()}`);
}

// Flat time per message and memory: each size against the smallest, per thread count; and the
// marginal cost (the messages added since the previous size, start-up costs left out).
console.log('\nper message, against the smallest size (1.00 = the same), and marginal (us per message added since the size before):');
for (const threads of threadList) {
  const mine = rows.filter((r) => r.threads === threads);
  const base = mine[0];
  let prev = null;
  for (const r of mine) {
    const marginal = prev ? ` marginal wall ${Math.round(((r.seconds - prev.seconds) * 1e6) / (r.messages - prev.messages))} us` : '';
    console.log(
      `  threads ${threads}  ${String(r.messages).padStart(8)}: wall ${(r.wallUsPerMsg / base.wallUsPerMsg).toFixed(2)}  cpu ${(r.cpuUsPerMsg / base.cpuUsPerMsg).toFixed(2)}  peak RSS ${r.peakRssMB} MB${r.peakRssMB >= 300 ? ' (over 300 MB)' : ''}${marginal}`,
    );
    prev = r;
  }
}
console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at end`);
