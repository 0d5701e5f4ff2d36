/**
 * A damaged store is refused, never silently replaced (issue 16, finding 5): a database file
 * truncated to zero bytes started as a new, empty database (3,498 messages and all address state
 * gone, no message); a -wal deleted after a kill -9 started silently too (155 acknowledged
 * messages lost). Real SQLite files, a real kill -9 of a process that committed, and the real
 * `rebound serve` refusing to start.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DamagedStoreError, openStore } from '../../src/store/index.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'rebound-damaged-'));
  dirs.push(d);
  return d;
}

const env = (i: number) => ({ source: 'smtp' as const, origin: '127.0.0.1', mailFrom: '', rcptTo: [`bounces+a${i}=example.com@bounces.example.org`], receivedAt: Date.now() });
const raw = (i: number) => Buffer.from(`From: MAILER-DAEMON@example.net\nSubject: bounce ${i}\n\nbody ${i}\n`);

/**
 * A child process opens the store (no automatic checkpoint, as the daemon's writer), commits
 * `n` messages durably one transaction at a time, reports, and is killed with SIGKILL: the
 * commits are in the -wal file only.
 */
async function commitThenKill9(path: string, n: number): Promise<void> {
  const script = `
    import { openStore } from ${JSON.stringify(new URL('../../src/store/index.ts', import.meta.url).pathname)};
    const s = openStore({ path: ${JSON.stringify(path)}, walAutocheckpoint: 0 });
    for (let i = 0; i < ${n}; i++) {
      const env = { source: 'smtp', origin: '127.0.0.1', mailFrom: '', rcptTo: ['bounces+a' + i + '=example.com@bounces.example.org'], receivedAt: Date.now() };
      s.saveMessage(env, Buffer.from('From: MAILER-DAEMON@example.net\\nSubject: bounce ' + i + '\\n\\nbody ' + i + '\\n'));
    }
    process.stdout.write('committed\\n');
    setInterval(() => {}, 1000);
  `;
  const file = join(tmp(), 'child.ts');
  writeFileSync(file, script);
  const child = spawn(process.execPath, [join(new URL('../../node_modules/vite-node/vite-node.mjs', import.meta.url).pathname), file], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((res, rej) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('committed') && res());
    child.once('exit', (code) => rej(new Error(`child exited ${code} before committing`)));
  });
  const gone = new Promise((res) => child.once('exit', res));
  child.kill('SIGKILL');
  await gone;
}

function count(path: string): number {
  const s = openStore({ path });
  try {
    return s.stats().messages.total;
  } finally {
    s.close();
  }
}

describe('a damaged store is refused', () => {
  it('an existing zero-byte database file: an error naming the file and what to do, and the file left alone', () => {
    const path = join(tmp(), 'rebound.db');
    writeFileSync(path, '');
    let err: unknown;
    try {
      openStore({ path });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DamagedStoreError);
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).toMatch(/empty \(0 bytes\)/);
    expect((err as Error).message).toMatch(/rebound backup/);
    expect(statSync(path).size).toBe(0);
    expect(existsSync(`${path}-wal`)).toBe(false);
    // Read-only opens (the control plane, CLI reads) refuse it too.
    expect(() => openStore({ path, readonly: true })).toThrow(DamagedStoreError);
  });

  it('a missing file is still a new store (first start)', () => {
    const path = join(tmp(), 'sub', 'rebound.db');
    const s = openStore({ path });
    expect(s.stats().messages.total).toBe(0);
    s.close();
  });

  it('a -wal deleted after a kill -9 is detected from the -shm index; with the -wal put back, nothing is lost', async () => {
    const path = join(tmp(), 'rebound.db');
    openStore({ path }).close();
    await commitThenKill9(path, 40);
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(0);
    renameSync(`${path}-wal`, `${path}-wal.saved`);
    let err: unknown;
    try {
      openStore({ path });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DamagedStoreError);
    expect((err as Error).message).toContain(`${path}-wal: missing`);
    expect((err as Error).message).toMatch(/Put the -wal file back/);
    // Refused without touching anything: the -shm is still there, no new -wal was made.
    expect(existsSync(`${path}-shm`)).toBe(true);
    expect(existsSync(`${path}-wal`)).toBe(false);
    renameSync(`${path}-wal.saved`, `${path}-wal`);
    expect(count(path)).toBe(40);
  }, 60_000);

  it('a -wal emptied after a kill -9 (shorter than its index) is refused too', async () => {
    const path = join(tmp(), 'rebound.db');
    openStore({ path }).close();
    await commitThenKill9(path, 10);
    truncateSync(`${path}-wal`, 0);
    expect(() => openStore({ path })).toThrow(/-wal: shorter \(0 bytes\) than its index says/);
  }, 60_000);

  it('after a clean stop there is no -wal to lose, and the store opens', () => {
    const path = join(tmp(), 'rebound.db');
    const s = openStore({ path });
    s.saveMessages([{ env: env(1), raw: raw(1) }]);
    s.close();
    expect(existsSync(`${path}-wal`)).toBe(false);
    expect(count(path)).toBe(1);
  });

  it('a file that is not a database', () => {
    const path = join(tmp(), 'rebound.db');
    writeFileSync(path, 'this is not an SQLite file\n'.repeat(200));
    expect(() => openStore({ path })).toThrow(DamagedStoreError);
    expect(() => openStore({ path })).toThrow(/not a readable SQLite database/);
    expect(readFileSync(path, 'utf8').startsWith('this is not')).toBe(true);
  });

  it('a database that fails quick_check is refused when checked (the daemon start)', () => {
    const path = join(tmp(), 'rebound.db');
    const s = openStore({ path });
    s.saveMessages(Array.from({ length: 300 }, (_, i) => ({ env: env(i), raw: raw(i) })));
    s.checkpoint();
    s.close();
    // Scribble over the last pages (table and index b-tree pages), keeping the schema page intact.
    const size = statSync(path).size;
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(8192, 0xa5), 0, 8192, size - 8192);
    closeSync(fd);
    // Opening alone reads only the first page: the damage shows when the file is checked.
    openStore({ path }).close();
    let err: unknown;
    try {
      openStore({ path, check: true });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DamagedStoreError);
    expect((err as Error).message).toMatch(/fails PRAGMA quick_check/);
  });
});

describe('rebound serve on a damaged store', () => {
  it('refuses to start: exit 2 (systemd does not restart it), the file and the remedy on stderr', () => {
    const dir = tmp();
    const db = join(dir, 'rebound.db');
    writeFileSync(db, '');
    const cfg = join(dir, 'rebound.toml');
    writeFileSync(
      cfg,
      `[store]\npath = ${JSON.stringify(db)}\n[intake.smtp]\nenabled = false\n[control]\nsocket = ${JSON.stringify(join(dir, 'rebound.sock'))}\nreaders = 0\n[jobs.prune]\nenabled = false\n[jobs.checkpoint]\nenabled = false\n`,
    );
    const main = new URL('../../dist/main.js', import.meta.url).pathname;
    const r = spawnSync(process.execPath, [main, 'serve', '-c', cfg], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(db);
    expect(r.stderr).toMatch(/empty \(0 bytes\).*rebound backup/s);
    expect(statSync(db).size).toBe(0);
  }, 60_000);
});

// The -wal check reads the -shm. Closing a descriptor of a file drops every POSIX lock the process
// holds on it, so a check made while another connection of this process has the store open must
// not close its -shm descriptor: SQLite's locks on the -shm would go, and another process could
// truncate it under this one's mapping (SIGBUS). /proc/locks shows the locks by pid and inode.
describe.skipIf(!existsSync('/proc/locks'))('the damaged-store check and this process\'s SQLite locks', () => {
  it('leaves the locks of an open connection on the -shm in place when another opens the store', () => {
    const path = join(tmp(), 'rebound.db');
    const first = openStore({ path });
    try {
      first.saveMessage(env(1), raw(1));
      const ino = statSync(`${path}-shm`).ino;
      const mine = (): number =>
        readFileSync('/proc/locks', 'utf8')
          .split('\n')
          .filter((l) => l.includes(' POSIX ') && new RegExp(`\\s${process.pid}\\s+[0-9a-f]+:[0-9a-f]+:${ino}\\s`).test(l)).length;
      const before = mine();
      expect(before).toBeGreaterThan(0);
      const second = openStore({ path });
      second.close();
      expect(mine()).toBeGreaterThan(0);
      first.saveMessage(env(2), raw(2));
    } finally {
      first.close();
    }
  });
});
