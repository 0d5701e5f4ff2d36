/**
 * Recover without a restart (issue 16, finding 6): after a disk-full or a read-only database,
 * `pending` rows waited for a restart (4,247 rows for 30-90 s after space returned, while the
 * processor reported 0 queued), and `health` stayed healthy while every delivery got 451.
 *
 * The fault here is a write lock held by another connection (an operator's sqlite3 shell in a
 * transaction, a stuck backup): every write of rebound's then fails with SQLITE_BUSY after
 * store.busyTimeoutMs, as it fails with SQLITE_FULL on a full disk - the same path (DaemonError,
 * 451 at intake, a failed pipeline batch). bench/soak-faults.mjs does the same with a real full
 * filesystem. Real SQLite files; the daemon test runs the built daemon as a child process.
 */
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Scheduler, RETRY_FIRST_MS, type WriteState } from '../../src/pipeline/scheduler.js';
import { Pipeline } from '../../src/pipeline/run.js';
import { sqliteStoreApi } from '../../src/store/open.js';
import { openStore } from '../../src/store/index.js';
import type { Envelope } from '../../src/types.js';
import { Wire } from '../support/smtp-wire.js';
import { LineClient } from '../support/line-client.js';
import { numberedBounce, until } from '../support/until.js';
import { freePort } from '../support/net.mjs';

const root = new URL('../..', import.meta.url).pathname;
const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'rebound-faults-'));
  dirs.push(d);
  return d;
}

/** Another connection that holds the write lock until release(). */
function holdWriteLock(path: string): { release(): void } {
  const other = new Database(path);
  other.pragma('busy_timeout = 5000');
  other.prepare('BEGIN IMMEDIATE').run();
  return {
    release() {
      other.prepare('COMMIT').run();
      other.close();
    },
  };
}

describe('the processor after a write error', () => {
  it('retries the pending rows with backoff and processes them once writes work again, without a restart', async () => {
    const db = join(tmp(), 'rebound.db');
    const seed = openStore({ path: db });
    const env: Envelope = { source: 'file', origin: 'seed', mailFrom: '', rcptTo: ['bounces@bounces.test'], receivedAt: Date.now() };
    seed.saveMessages(Array.from({ length: 30 }, (_, i) => ({ env, raw: Buffer.from(numberedBounce(i)) })));
    seed.close();

    const store = openStore({ path: db, busyTimeoutMs: 100 });
    const states: WriteState[] = [];
    const lock = holdWriteLock(db);
    const p = new Scheduler(new Pipeline(sqliteStoreApi(store)), () => false, 10);
    const seen = (): void => void states.push(p.writes.state());
    p.sweepPending();
    await until('the first batch fails', () => (seen(), !p.writes.state().ok), 10_000);
    expect(p.writes.state()).toMatchObject({ ok: false, error: expect.stringMatching(/busy/) });
    expect(p.retryPending()).toBeGreaterThanOrEqual(RETRY_FIRST_MS);
    // Still failing a while later (retried, failed again), and nothing was lost or skipped.
    await new Promise((r) => setTimeout(r, 1500));
    expect(p.writes.state().failures).toBeGreaterThanOrEqual(2);
    expect(store.stats().messages.pending).toBe(30);

    lock.release();
    const ms = await until('every pending row processed', () => store.stats().messages.pending === 0, 30_000);
    expect(ms).toBeLessThan(20_000);
    expect(p.writes.state()).toEqual({ ok: true, since: null, error: '', failures: 0 });
    expect(store.stats().messages.processed).toBe(30);
    await p.stop();
    store.close();
  }, 60_000);
});

describe('the daemon while its store cannot be written', () => {
  it('health says degraded, deliveries get 451, and pending rows are processed once writes work again - no restart', async () => {
    const dir = tmp();
    const port = await freePort();
    const db = join(dir, 'rebound.db');
    const sock = join(dir, 'ctl.sock');
    const cfg = join(dir, 'rebound.toml');
    writeFileSync(
      cfg,
      `[store]\npath = "${db}"\nbusyTimeoutMs = 200\n[intake.smtp]\nport = ${port}\nmaxMessageBytes = 67108864\n[control]\nsocket = "${sock}"\nreaders = 0\n[verp]\ndomains = ["bounces.test"]\n[jobs.prune]\nenabled = false\n[jobs.checkpoint]\nenabled = false\n`,
    );
    const child = spawn(process.execPath, [join(root, 'dist/main.js'), 'serve', '-c', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await until('ready', () => out.includes('"msg":"ready"'), 45_000);

    const deliver = async (data: string): Promise<string> => {
      const w = await Wire.open({ port });
      await w.reply();
      await w.cmd('EHLO test.example');
      await w.cmd('MAIL FROM:<>');
      await w.cmd('RCPT TO:<bounces@bounces.test>');
      await w.cmd('DATA');
      w.sock.write(`${data.replace(/\r\n\./g, '\r\n..')}\r\n.\r\n`);
      const r = await w.reply();
      await w.cmd('QUIT');
      return r;
    };
    const health = async (): Promise<{ healthy: boolean; components: Record<string, { ok: boolean; detail?: string }> }> => {
      const c = new LineClient(sock);
      const h = (await c.ask('health')) as { healthy: boolean; components: Record<string, { ok: boolean; detail?: string }> };
      c.close();
      return h;
    };
    // One reader for the whole test, as an operator's sqlite3 shell would be: a fresh connection
    // 20 times a second beside a lock holder made SQLite's WAL read path spin (SQLITE_PROTOCOL in
    // the daemon's reads after ~10 s of retries), which is not the fault under test.
    let reader: Database.Database | null = null;
    const pending = (): number => {
      reader ??= new Database(db, { readonly: true, fileMustExist: true });
      return (reader.prepare("SELECT count(*) AS n FROM messages WHERE state = 'pending'").get() as { n: number }).n;
    };

    expect((await health()).components['store-writes']).toMatchObject({ ok: true });

    // A message big enough that its analysis is still running when the lock is taken: its
    // pipeline commit meets the lock.
    expect(await deliver(numberedBounce(1, 'x'.repeat(76).concat('\r\n').repeat(200_000)))).toMatch(/^250/);
    const lock = holdWriteLock(db);
    // Intake is refused while the lock is held: 451, the sender retries.
    expect(await deliver(numberedBounce(2))).toMatch(/^451/);
    const h = await health();
    expect(h.healthy).toBe(false);
    expect(h.components['store-writes']).toMatchObject({ ok: false, detail: expect.stringMatching(/degraded: writes failing since .*busy/) });
    await until('the pipeline batch has failed too', async () => /pipeline:/.test((await health()).components['store-writes']!.detail ?? ''), 20_000);
    expect(pending()).toBe(1);

    lock.release();
    expect(await deliver(numberedBounce(3))).toMatch(/^250/);
    const ms = await until('the pending rows processed and health back', async () => pending() === 0 && (await health()).healthy, 60_000).catch(async (e: Error) => {
      throw new Error(`${e.message}; pending ${pending()}, health ${JSON.stringify(await health())}, daemon log:\n${out.slice(-3000)}`);
    });
    expect(ms).toBeLessThan(30_000);
    expect(out).not.toMatch(/"msg":"ready"[\s\S]*"msg":"ready"/);
    (reader as Database.Database | null)?.close();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }, 120_000);
});
