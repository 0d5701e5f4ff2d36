/**
 * Exit statuses a script or an MTA reads, from the built CLI in a child process:
 * - `status` / `check`: the verdict (0 ok, 3 suspended, 4 complained, 5 invalid), the worst one for
 *   several addresses; a non-address is refused with 2; `--now` answers as of another time.
 * - `ingest -` (the pipe transport): 75 (EX_TEMPFAIL) for a locked, read-only or unreachable
 *   database, a bad config or a usage error; 65 only for stdin that can never be stored; the same
 *   message then stores fine once the cause is gone.
 * - every command's --help lists its exit statuses.
 */
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { privateApp, runNode, type RunResult } from '../support/app.js';

const root = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'rebound-exit-'));
chmodSync(dir, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const main = privateApp(dir);
const db = join(dir, 'r.db');
const env = { ...process.env, REBOUND_CONFIG: '', REBOUND_LOG_LEVEL: 'silent' };
const run = (args: string[], input?: string): Promise<RunResult> => runNode([main, ...args], { input, env });
const bounce = readFileSync(join(root, 'samples', 'postfix', '02-no-such-user-bounce.eml'), 'utf8');

const HOUR = 3_600_000;
const at = Date.parse('2026-03-01T10:00:00Z');

beforeAll(() => {
  const store = openStore({ path: db });
  store.importSuppressions(
    [
      { address: 'gone@example.com', what: 'invalid', cause: '550 5.1.1 user unknown', at },
      { address: 'angry@example.com', what: 'complained', cause: 'abuse report', at },
      { address: 'blocked@example.com', what: 'suspended', cause: '554 5.7.1 blocked', at },
    ],
    'test',
  );
  store.close();
});

describe('status and check: the exit status is the verdict', { timeout: 120_000 }, () => {
  const during = '2026-03-01T12:00Z';
  const after = new Date(at + 25 * HOUR).toISOString();

  it('status exits 0 ok, 3 suspended, 4 complained, 5 invalid', async () => {
    expect((await run(['status', '--db', db, '--now', during, 'nobody@example.com'])).code).toBe(0);
    const s = await run(['status', '--db', db, '--now', during, 'blocked@example.com']);
    expect(s.code).toBe(3);
    expect(s.out).toMatch(/may send now: +no - suspended until 2026-03-02T10:00:00\.000Z/);
    expect((await run(['status', '--db', db, '--now', during, 'angry@example.com'])).code).toBe(4);
    expect((await run(['status', '--db', db, '--now', during, 'gone@example.com', '--json'])).code).toBe(5);
  });

  it('--now makes the 24 h rule visible: suspended at 12:00, mailable again a day after the bounce', async () => {
    const later = await run(['status', '--db', db, '--now', after, 'blocked@example.com']);
    expect(later.code).toBe(0);
    expect(later.out).toMatch(/may send now: +yes/);
    expect(later.out).toMatch(/email suspended: +yes at 2026-03-01T10:00:00\.000Z/);
    expect((await run(['status', '--db', db, '--now', 'yesterday', 'blocked@example.com'])).code).toBe(2);
  });

  it('status and history refuse what is not an address, as the socket does (exit 2)', async () => {
    for (const bad of ['nope', 'a b@example.com', '@example.com', 'user@']) {
      const r = await run(['status', '--db', db, bad]);
      expect(r.code, bad).toBe(2);
      expect(r.err).toMatch(/expected an address like user@example\.com|whitespace/);
    }
    expect((await run(['history', '--db', db, 'nope'])).code).toBe(2);
  });

  it('check: one line per address, exit status the worst verdict', async () => {
    const r = await run(['check', '--db', db, '--now', during, 'nobody@example.com', 'Blocked@Example.COM', 'gone@example.com']);
    expect(r.code).toBe(5);
    expect(r.out.split('\n').filter(Boolean)).toEqual([
      'nobody@example.com\tok',
      'blocked@example.com\tsuspended\tuntil 2026-03-02T10:00:00.000Z\t554 5.7.1 blocked',
      'gone@example.com\tinvalid\t550 5.1.1 user unknown',
    ]);
    expect((await run(['check', '--db', db, '--now', during, 'nobody@example.com', 'blocked@example.com'])).code).toBe(3);
    expect((await run(['check', '--db', db, '--now', during, 'angry@example.com', 'blocked@example.com'])).code).toBe(4);
    expect((await run(['check', '--db', db, '--now', after, 'nobody@example.com', 'blocked@example.com'])).code).toBe(0);
  });

  it('check --json gives the socket reply, --quiet nothing, - reads stdin; a non-address stops everything', async () => {
    const j = await run(['check', '--db', db, '--json', '--now', during, 'blocked@example.com']);
    expect(JSON.parse(j.out)).toEqual({ ok: true, address: 'blocked@example.com', verdict: 'suspended', cause: '554 5.7.1 blocked', until: '2026-03-02T10:00:00.000Z' });
    const q = await run(['check', '--db', db, '-q', '-'], 'nobody@example.com\n# a comment\ngone@example.com\n');
    expect(q.out).toBe('');
    expect(q.code).toBe(5);
    const bad = await run(['check', '--db', db, 'nobody@example.com', 'not-an-address']);
    expect(bad.code).toBe(2);
    expect(bad.out).toBe('');
  });

  it('a missing database is a runtime failure (1), not a verdict', async () => {
    expect((await run(['check', '--db', join(dir, 'none.db'), 'a@example.com'])).code).toBe(1);
  });
});

describe('ingest - (the MTA pipe transport): temporary failures exit 75, the retry stores', { timeout: 120_000 }, () => {
  it('a database locked by another process: 75 and nothing stored; then 0', async () => {
    const path = join(dir, 'locked.db');
    openStore({ path }).close();
    const cfg = join(dir, 'busy.toml');
    writeFileSync(cfg, `[store]\npath = "${path}"\nbusyTimeoutMs = 200\n`);
    const holder = new Database(path);
    holder.exec('BEGIN IMMEDIATE');
    const r = await run(['ingest', '-c', cfg, '-'], bounce);
    holder.exec('ROLLBACK');
    holder.close();
    expect(r.code).toBe(75);
    expect(r.err).toMatch(/temporary failure, not stored \(try again later\): .*busy/);
    const again = await run(['ingest', '-c', cfg, '-', '--json'], bounce);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out)).toMatchObject({ stored: 1, processed: 1 });
  });

  it.skipIf(process.getuid?.() !== 0)('a database its user cannot write (run as nobody): 75, then 0 once it can', async () => {
    const sub = join(dir, 'ro');
    mkdirSync(sub);
    const path = join(sub, 'ro.db');
    openStore({ path }).close();
    const nobody = 65534;
    chownSync(sub, nobody, nobody);
    chownSync(path, nobody, nobody);
    chmodSync(path, 0o444);
    const asNobody = (input: string): Promise<RunResult> =>
      new Promise((resolve) => {
        const p = spawn(process.execPath, [main, 'ingest', '--db', path, '-', '--json'], { env, uid: nobody, gid: nobody, cwd: sub });
        let out = '';
        let err = '';
        p.stdout.on('data', (d: Buffer) => (out += d.toString()));
        p.stderr.on('data', (d: Buffer) => (err += d.toString()));
        p.on('close', (code) => resolve({ code, out, err }));
        p.stdin.end(input);
      });
    const r = await asNobody(bounce);
    expect(r.code, r.err).toBe(75);
    expect(r.err).toMatch(/readonly database/);
    // SQLite made its -wal and -shm files with the database file's mode: put all three back.
    for (const f of readdirSync(sub)) chmodSync(join(sub, f), 0o644);
    const again = await asNobody(bounce);
    expect(again.code, again.err).toBe(0);
    expect(JSON.parse(again.out)).toMatchObject({ stored: 1 });
  });

  it('an unreadable config, a config error and a usage error exit 75 with -, 2 with files', async () => {
    expect((await run(['ingest', '-c', join(dir, 'missing.toml'), '-'], bounce)).code).toBe(75);
    const badCfg = join(dir, 'bad.toml');
    writeFileSync(badCfg, '[store]\npaht = "x"\n');
    expect((await run(['ingest', '-c', badCfg, '-'], bounce)).code).toBe(75);
    expect((await run(['ingest', '-c', badCfg, join(root, 'samples', 'postfix')])).code).toBe(2);
    expect((await run(['ingest', '--no-such-option', '-'], bounce)).code).toBe(75);
    expect((await run(['ingest', '--no-such-option', 'x.eml'])).code).toBe(2);
  });

  it('stdin larger than 256 MiB can never be stored: 65 (EX_DATAERR)', async () => {
    const r = await new Promise<RunResult>((resolve) => {
      const p = spawn('sh', ['-c', `head -c 268435460 /dev/zero | "${process.execPath}" "${main}" ingest --db "${join(dir, 'big.db')}" -`], { env });
      let err = '';
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      p.stdout.resume();
      p.on('close', (code) => resolve({ code, out: '', err }));
    });
    expect(r.code).toBe(65);
  });
});

describe('--help lists the exit statuses of every command', { timeout: 120_000 }, () => {
  it('each command and subcommand says "Exit status:"', async () => {
    const top = await run(['--help']);
    expect(top.out).toMatch(/Exit status: 0 done, 1 runtime failure, 2 usage/);
    const names = [...top.out.matchAll(/^ {2}([a-z][a-z-]+)\b/gm)].map((m) => m[1]!).filter((n) => n !== 'help');
    expect(names).toEqual(expect.arrayContaining(['parse', 'serve', 'check-config', 'ingest', 'status', 'check', 'backup', 'verp']));
    for (const n of names) {
      const args = n === 'verp' ? ['verp', 'verify', '--help'] : [n, '--help'];
      const h = await run(args);
      expect(h.code, n).toBe(0);
      expect(h.out, n).toMatch(/\nExit status:\n {2}0 /);
    }
    expect((await run(['status', '--help'])).out).toMatch(/3 +suspended[\s\S]*5 +invalid/);
    expect((await run(['ingest', '--help'])).out).toMatch(/75 temporary failure/);
  });
});

describe('backup --db', { timeout: 60_000 }, () => {
  it('copies the database named on the command line', async () => {
    const out = join(dir, 'copy.db');
    const r = await run(['backup', '--db', db, out]);
    expect(r.code, r.err).toBe(0);
    const check = await run(['check', '--db', out, '--now', '2026-03-01T12:00Z', 'gone@example.com']);
    expect(check.code).toBe(5);
  });
});
