/**
 * Housekeeping jobs on a real store in a temp dir: each job does its work, is safe to run twice
 * (and concurrently), and the cron wiring fires and stops.
 */
import { existsSync, statSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, configFromObject } from '../../src/config/load.js';
import { backupName, rotateBackups, startJobs } from '../../src/jobs/schedule.js';
import { Metrics } from '../../src/metrics.js';
import { openStore, type Store } from '../../src/store/index.js';
import { openProcessingStore } from '../support/pipeline.js';

const DAY = 86_400_000;
const dir = mkdtempSync(join(tmpdir(), 'rebound-jobs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NOT_A_BOUNCE = Buffer.from('From: a@example.com\r\nTo: b@example.com\r\nSubject: hello\r\n\r\nJust a note.\r\n');

async function storeWithOldMessage(name: string, now: number): Promise<Store> {
  const store = openProcessingStore({ path: join(dir, name), clock: () => now });
  const env = { source: 'file' as const, origin: 'test', mailFrom: '', rcptTo: [], receivedAt: now - 40 * DAY };
  const { id } = store.saveMessage(env, NOT_A_BOUNCE);
  await store.processMessage(id);
  const fresh = store.saveMessage({ ...env, receivedAt: now - DAY }, Buffer.from(`${NOT_A_BOUNCE.toString()}x`));
  await store.processMessage(fresh.id);
  return store;
}

describe('jobs', () => {
  it('prune drops old raw messages once; the second run finds nothing', async () => {
    const now = Date.now();
    const store = await storeWithOldMessage('prune.db', now);
    const m = new Metrics();
    const jobs = startJobs(configFromObject({}).jobs, { store, metrics: m });
    try {
      expect(await jobs.runNow('prune')).toMatchObject({ rawDropped: 1 });
      expect(await jobs.runNow('prune')).toMatchObject({ rawDropped: 0 });
      expect(m.jobs.get({ job: 'prune', result: 'ok' })).toBe(2);
      expect(store.stats().messages.pruned).toBe(1);
      expect(store.stats().messages.total).toBe(2);
    } finally {
      await jobs.stop();
      store.close();
    }
  });

  it('checkpoint runs twice without error and truncates the WAL', async () => {
    const store = await storeWithOldMessage('ckpt.db', Date.now());
    const jobs = startJobs(configFromObject({}).jobs, { store });
    try {
      await jobs.runNow('checkpoint');
      await jobs.runNow('checkpoint');
      const wal = join(dir, 'ckpt.db-wal');
      // TRUNCATE leaves a zero-length -wal file while the connection is open.
      expect(existsSync(wal) ? statSync(wal).size : 0).toBe(0);
      expect(jobs.status().find((s) => s.name === 'checkpoint')).toMatchObject({ runs: 2, lastError: null });
    } finally {
      await jobs.stop();
      store.close();
    }
  });

  it('backup writes a complete copy, rotates old ones, and skips an overlapping run', async () => {
    let t = Date.UTC(2026, 0, 1, 2, 45, 0);
    const store = await storeWithOldMessage('src.db', t);
    const bdir = join(dir, 'backups');
    const cfg = configFromObject({ jobs: { backup: { enabled: true, dir: bdir, keep: 2 } } }).jobs;
    const jobs = startJobs(cfg, { store, now: () => t });
    try {
      const first = (await jobs.runNow('backup')) as { file: string };
      expect(first.file).toBe(join(bdir, 'rebound-20260101T024500Z.db'));
      const copy = openStore({ path: first.file, readonly: true });
      expect(copy.stats().messages.total).toBe(2);
      copy.close();
      t += DAY;
      // Two at once: the second finds the first busy and skips.
      const [a, b] = await Promise.all([jobs.runNow('backup'), jobs.runNow('backup')]);
      expect([a, b].filter((x) => (x as { skipped?: boolean }).skipped)).toHaveLength(1);
      t += DAY;
      await jobs.runNow('backup');
      expect(readdirSync(bdir).filter((f) => f.endsWith('.db')).sort()).toEqual(['rebound-20260102T024500Z.db', 'rebound-20260103T024500Z.db']);
    } finally {
      await jobs.stop();
      store.close();
    }
  });

  it('rotateBackups keeps the newest and ignores other files', () => {
    const d = join(dir, 'rot');
    rmSync(d, { recursive: true, force: true });
    mkdirp(d);
    for (const n of ['rebound-20250101T000000Z.db', 'rebound-20250102T000000Z.db', 'rebound-20250103T000000Z.db', 'notes.txt'])
      writeFileSync(join(d, n), '');
    expect(rotateBackups(d, 1)).toEqual(['rebound-20250101T000000Z.db', 'rebound-20250102T000000Z.db']);
    expect(readdirSync(d).sort()).toEqual(['notes.txt', 'rebound-20250103T000000Z.db']);
    expect(backupName(new Date(Date.UTC(2026, 10, 26, 4, 5, 6, 789)))).toBe('rebound-20261126T040506Z.db');
  });

  it('fires on its cron schedule and stops', async () => {
    const store = { prune: () => ({ rawDropped: 0, eventsDeleted: 0 }), checkpoint: () => undefined, backup: async () => undefined };
    let calls = 0;
    store.checkpoint = () => {
      calls++;
    };
    const cfg = configFromObject({ jobs: { prune: { enabled: false }, checkpoint: { schedule: '* * * * * *' } } }).jobs;
    const jobs = startJobs(cfg, { store });
    await new Promise((r) => setTimeout(r, 2300));
    await jobs.stop();
    const seen = calls;
    expect(seen).toBeGreaterThanOrEqual(1);
    await new Promise((r) => setTimeout(r, 1200));
    expect(calls).toBe(seen);
  });

  it('a failing job is counted and reported, and the next run still happens', async () => {
    let fail = true;
    const store = {
      prune: () => {
        if (fail) throw new Error('disk I/O error');
        return { rawDropped: 0, eventsDeleted: 0 };
      },
      checkpoint: () => undefined,
      backup: async () => undefined,
    };
    const m = new Metrics();
    const jobs = startJobs(configFromObject({}).jobs, { store, metrics: m });
    await expect(jobs.runNow('prune')).rejects.toThrow('disk I/O error');
    expect(jobs.status().find((s) => s.name === 'prune')!.lastError).toBe('disk I/O error');
    fail = false;
    await jobs.runNow('prune');
    expect(m.jobs.get({ job: 'prune', result: 'error' })).toBe(1);
    expect(m.jobs.get({ job: 'prune', result: 'ok' })).toBe(1);
    await jobs.stop();
  });

  it('rejects a schedule node-cron cannot run as a ConfigError', () => {
    const cfg = configFromObject({}).jobs;
    const store = { prune: () => ({ rawDropped: 0, eventsDeleted: 0 }), checkpoint: () => undefined, backup: async () => undefined };
    expect(() => startJobs({ ...cfg, checkpoint: { enabled: true, schedule: '99 * * * *' } }, { store })).toThrow(ConfigError);
  });
});

function mkdirp(d: string): void {
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d, { recursive: true });
}
