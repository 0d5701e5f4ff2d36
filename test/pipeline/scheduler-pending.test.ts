/**
 * The pending sweep's latency (rebound_processing_seconds{source="pending"}) reaches the metrics
 * the status socket serves: through the Scheduler's report, which the writer thread posts to the
 * main thread ({type:'done'}).
 * The daemon runs as a child process from a private copy of dist/ (the vitest global setup builds
 * it); its store is seeded with pending rows before it starts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Scheduler, recordOutcomes, type SweepReport } from '../../src/pipeline/scheduler.js';
import { metrics } from '../../src/metrics.js';
import { openStore } from '../../src/store/index.js';
import { Pipeline } from '../../src/pipeline/run.js';
import { sqliteStoreApi } from '../../src/store/open.js';
import type { Envelope } from '../../src/types.js';
import { privateApp } from '../support/app.js';
import { LineClient } from '../support/line-client.js';

const root = join(import.meta.dirname, '..', '..');
const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function bounce(i: number): Buffer {
  return Buffer.from(
    [
      'From: MAILER-DAEMON@mx.example.org',
      'To: bounces@bounces.test',
      `Subject: Undelivered Mail Returned to Sender ${i}`,
      'Content-Type: text/plain',
      '',
      `<user${i}@example.com>: host mx.example.com said: 550 5.1.1 user unknown`,
      '',
    ].join('\r\n'),
  );
}

/** A store file with `n` rows left pending (as after a crash, or from the CLI). */
function seedPending(db: string, n: number): void {
  const store = openStore({ path: db });
  const env: Envelope = { source: 'file', origin: 'seed', mailFrom: '', rcptTo: ['bounces@bounces.test'], receivedAt: Date.now() };
  store.saveMessages(Array.from({ length: n }, (_, i) => ({ env, raw: bounce(i) })));
  expect(store.stats().messages.pending).toBe(n);
  store.close();
}

const sweepCount = (text: string): number => Number(/rebound_processing_seconds_count\{source="pending"\} (\d+)/.exec(text)?.[1] ?? 0);

describe('Scheduler pending sweep report', () => {
  it('reports each sweep batch (messages, seconds) to its report, not to this thread\'s metrics directly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rebound-sweep-'));
    dirs.push(dir);
    const db = join(dir, 'rebound.db');
    seedPending(db, 5);
    const store = openStore({ path: db });
    const sweeps: SweepReport[] = [];
    const before = sweepCount(metrics.render());
    const p = new Scheduler(new Pipeline(sqliteStoreApi(store)), () => false, 2, (outcomes, items, sweep) => {
      expect(outcomes).toEqual([]);
      expect(items).toEqual([]);
      if (sweep) sweeps.push(sweep);
    });
    p.sweepPending();
    await p.drained();
    expect(store.stats().messages.pending).toBe(0);
    store.close();
    // Batches of 2: 2 + 2 + 1.
    expect(sweeps.map((s) => s.messages)).toEqual([2, 2, 1]);
    for (const s of sweeps) expect(s.seconds).toBeGreaterThanOrEqual(0);
    expect(sweepCount(metrics.render())).toBe(before);
    // The default report (what the main thread runs on a posted 'done') observes one per batch.
    recordOutcomes([], [], { messages: 4, seconds: 0.02 });
    expect(sweepCount(metrics.render())).toBe(before + 1);
  });
});

const haveDist = existsSync(join(root, 'dist/main.js'));

describe.skipIf(!haveDist)('daemon: pending sweep latency on the status socket (needs a build in dist/)', () => {
  async function runDaemon(writer: '1' | '0'): Promise<{ count: number; pending: number; err: string }> {
    const dir = mkdtempSync(join(tmpdir(), 'rebound-sweep-daemon-'));
    dirs.push(dir);
    const main = privateApp(dir);
    const db = join(dir, 'rebound.db');
    const sock = join(dir, 'ctl.sock');
    const cfg = join(dir, 'rebound.toml');
    seedPending(db, 30);
    writeFileSync(
      cfg,
      `[store]\npath = "${db}"\n[intake.smtp]\nenabled = false\n[control]\nsocket = "${sock}"\nreaders = 0\n[verp]\ndomains = ["bounces.test"]\n[jobs.prune]\nenabled = false\n[jobs.checkpoint]\nenabled = false\n[log]\nlevel = "warn"\n`,
    );
    const child = spawn(process.execPath, [main, 'serve', '-c', cfg], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.resume();
    let count = 0;
    try {
      // Wait for the socket, then for the sweep to show (or give up after 15 s).
      const deadline = Date.now() + 15_000;
      while (!existsSync(sock)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`daemon did not start:\n${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const c = new LineClient(sock);
      while (Date.now() < deadline) {
        count = sweepCount(String((await c.ask('metrics')).metrics));
        if (count > 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      c.close();
    } finally {
      // SIGTERM drains; SIGKILL after 5 s so that a hung stop cannot outlast the test.
      const exited = new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    return { count, pending: pendingIn(db), err };
  }

  /** Rows still pending, read after the daemon has stopped (`stats` is cached for 5 s). */
  function pendingIn(db: string): number {
    const store = openStore({ path: db });
    try {
      return store.stats().messages.pending;
    } finally {
      store.close();
    }
  }

  it.each([['writer thread', '1']] as const)('%s: the swept rows show in rebound_processing_seconds{source="pending"}', async (_name, writer) => {
    const { count, pending, err } = await runDaemon(writer);
    expect(pending, `rows still pending after the sweep; daemon stderr:\n${err}`).toBe(0);
    expect(count, `rebound_processing_seconds_count{source="pending"} in the socket's metrics; daemon stderr:\n${err}`).toBeGreaterThan(0);
  }, 45_000);
});
