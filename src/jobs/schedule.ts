/**
 * jobs/schedule - housekeeping on a cron schedule (node-cron): prune old events and raw messages,
 * checkpoint the WAL, and optionally take an online backup. Address state is never pruned.
 *
 * In: config.jobs and a store handle (read-write; the daemon's). Out: `startJobs(config.jobs,
 * deps)` -> { stop(), runNow(name), status() }. Every job is safe to run twice or concurrently
 * with itself: a run that finds the previous one still busy is skipped, prune and checkpoint are
 * idempotent, and a backup is written to a temporary name and renamed only when complete.
 * Config keys: jobs.prune.*, jobs.checkpoint.*, jobs.backup.* (enabled, schedule, dir, keep).
 */
import { linkSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import cron, { type ScheduledTask } from 'node-cron';
import { ConfigError } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { child } from '../log.js';
import { metrics as defaultMetrics, type Metrics } from '../metrics.js';

const log = child('jobs');
const DAY = 86_400_000;

/** The store calls housekeeping needs. */
export interface JobStore {
  /** The synchronous SQLite store answers at once; the StoreApi of either backend asynchronously. */
  prune(messagesOlderThanMs: number, eventsOlderThanMs?: number): PruneResult | Promise<PruneResult>;
  checkpoint(): void | Promise<void>;
  backup(file: string): Promise<void>;
}

export type JobName = 'prune' | 'checkpoint' | 'backup';

export interface PruneResult {
  rawDropped: number;
  eventsDeleted: number;
}

export interface JobStatus {
  name: JobName;
  schedule: string;
  enabled: boolean;
  running: boolean;
  lastRunAt: string | null;
  lastResult: unknown;
  lastError: string | null;
  runs: number;
}

export interface JobsHandle {
  /** Run one job now (the CLI and tests use this); resolves with its result. Skips if busy. */
  runNow(name: JobName): Promise<unknown>;
  status(): JobStatus[];
  stop(): Promise<void>;
}

/** `rebound-YYYYMMDDTHHMMSSZ.db` for a time (UTC); sorts by age as a string. */
export function backupName(at: Date): string {
  return `rebound-${at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}.db`;
}

/**
 * Write an online backup to `file`: first to `file.tmp-<pid>`, then rename, so a crash or a
 * second run never leaves a half-written file under the final name. `overwrite: false` refuses an
 * existing `file` (exit 1) when the copy is complete - a hard link cannot replace a file, so a file
 * written meanwhile by someone else is not clobbered either - and a store that cannot back up
 * (PostgreSQL: pg_dump) says so first.
 */
export async function backupTo(store: Pick<JobStore, 'backup'>, file: string, opts: { overwrite?: boolean } = {}): Promise<string> {
  const final = resolve(file);
  const tmp = `${final}.tmp-${process.pid}-${Date.now()}`;
  try {
    await store.backup(tmp);
    if (opts.overwrite ?? true) renameSync(tmp, final);
    else {
      try {
        linkSync(tmp, final);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw Object.assign(new Error(`${file} exists; use --force to overwrite`), { exitCode: 1 });
        throw err;
      }
      rmSync(tmp, { force: true });
    }
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  return final;
}

/** Delete all but the newest `keep` rebound-*.db files in `dir` (and stray temp files). */
export function rotateBackups(dir: string, keep: number): string[] {
  const files = readdirSync(dir).filter((f) => /^rebound-\d{8}T\d{6}Z\.db$/.test(f)).sort();
  const doomed = files.slice(0, Math.max(0, files.length - keep));
  for (const f of doomed) rmSync(join(dir, f), { force: true });
  return doomed;
}

export function startJobs(
  cfg: Config['jobs'],
  deps: { store: JobStore; metrics?: Metrics; now?: () => number },
): JobsHandle {
  const m = deps.metrics ?? defaultMetrics;
  const now = deps.now ?? Date.now;

  const bodies: Record<JobName, () => Promise<unknown>> = {
    prune: async () => deps.store.prune(cfg.prune.messagesDays * DAY, cfg.prune.eventsDays * DAY),
    checkpoint: async () => {
      await deps.store.checkpoint();
      return { checkpointed: true };
    },
    backup: async () => {
      const dir = resolve(cfg.backup.dir);
      mkdirSync(dir, { recursive: true });
      const file = await backupTo(deps.store, join(dir, backupName(new Date(now()))));
      const removed = rotateBackups(dir, cfg.backup.keep);
      return { file, removed };
    },
  };
  const settings: Record<JobName, { enabled: boolean; schedule: string }> = {
    prune: cfg.prune,
    checkpoint: cfg.checkpoint,
    backup: cfg.backup,
  };
  const state = new Map<JobName, JobStatus>();
  for (const name of Object.keys(bodies) as JobName[])
    state.set(name, {
      name,
      schedule: settings[name].schedule,
      enabled: settings[name].enabled,
      running: false,
      lastRunAt: null,
      lastResult: null,
      lastError: null,
      runs: 0,
    });

  const run = async (name: JobName): Promise<unknown> => {
    const st = state.get(name)!;
    if (st.running) {
      // A slow backup still going when the next tick comes: skip, do not pile up.
      m.jobs.inc({ job: name, result: 'skipped' });
      log.warn({ job: name }, 'previous run still busy; skipped');
      return { skipped: true };
    }
    st.running = true;
    const t0 = performance.now();
    try {
      const result = await bodies[name]();
      st.lastResult = result;
      st.lastError = null;
      m.jobs.inc({ job: name, result: 'ok' });
      log.info({ job: name, result, ms: Math.round(performance.now() - t0) }, 'job done');
      return result;
    } catch (err) {
      st.lastError = (err as Error).message;
      m.jobs.inc({ job: name, result: 'error' });
      log.error({ job: name, err }, 'job failed');
      throw err;
    } finally {
      st.running = false;
      st.runs += 1;
      st.lastRunAt = new Date(now()).toISOString();
    }
  };

  const tasks: ScheduledTask[] = [];
  for (const name of Object.keys(bodies) as JobName[]) {
    const s = settings[name];
    if (!s.enabled) continue;
    if (!cron.validate(s.schedule)) throw new ConfigError(`jobs.${name}.schedule: expected a cron expression node-cron accepts, got ${JSON.stringify(s.schedule)}`);
    // Failures are logged and counted in run(); the scheduler must keep going.
    tasks.push(cron.schedule(s.schedule, () => run(name).catch(() => undefined), { name: `rebound-${name}`, noOverlap: true }));
  }

  return {
    runNow: run,
    status: () => [...state.values()].map((s) => ({ ...s })),
    stop: async () => {
      for (const t of tasks) {
        await t.stop();
        await t.destroy();
      }
      tasks.length = 0;
    },
  };
}
