/**
 * store/checkpointer - copies the WAL back into the database file from a thread of its own, so
 * that the daemon's writer thread never stops committing (and acknowledging) to do it.
 *
 * In: the database path (startCheckpointer), or workerData when run as the thread. Out: a PASSIVE
 * checkpoint every CHECKPOINT_MS while there are frames to copy; PASSIVE never waits for the
 * writer or readers, it copies what it can, and the writer starts the WAL over once everything has
 * been copied. The writer's own automatic checkpoint is raised to WRITER_AUTOCHECKPOINT pages
 * (daemon/backends/sqlite.ts), a safety net if this thread falls behind or dies.
 * Why: with SQLite's default every 1000th page's commit did the checkpoint itself, inside the
 * group commit: ~15-18 us of CPU per message and a stall of every message waiting on that commit.
 * Config keys: store.path, store.busyTimeoutMs.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { child } from '../log.js';
import { openDb } from './db.js';

/** How often to look for frames to copy while the daemon runs. */
const CHECKPOINT_MS = 200;
/** The writer's own automatic checkpoint while this thread runs (pages; ~40 MB of WAL). */
export const WRITER_AUTOCHECKPOINT = 10_000;

export interface Checkpointer {
  stop(): Promise<void>;
}

/** Start the checkpointer thread for the database at `path` (main thread). */
export function startCheckpointer(path: string, busyTimeoutMs: number): Checkpointer {
  const log = child('store');
  let stopped = false;
  let worker = spawn();
  function spawn(): Worker {
    const w = new Worker(new URL(import.meta.url), { workerData: { role: 'checkpointer', path, busyTimeoutMs } });
    w.on('error', (err) => {
      // A second later: a thread that cannot even open the file must not be restarted in a loop.
      // Meanwhile the writers' own autocheckpoint (WRITER_AUTOCHECKPOINT) bounds the WAL.
      log.error({ err }, 'checkpointer thread failed; restarting it in 1 s');
      setTimeout(() => {
        if (!stopped) worker = spawn();
      }, 1000).unref();
    });
    return w;
  }
  return {
    stop() {
      stopped = true;
      const w = worker;
      if (w.threadId === -1) return Promise.resolve(); // already gone (failed, not restarted)
      return new Promise<void>((resolve) => {
        w.once('exit', () => resolve());
        w.postMessage('stop');
      });
    },
  };
}

if (!isMainThread && parentPort && (workerData as { role?: unknown } | null)?.role === 'checkpointer') {
  const { path, busyTimeoutMs } = workerData as { path: string; busyTimeoutMs: number };
  const db = openDb({ path, busyTimeoutMs, walAutocheckpoint: 0 });
  // Its own commits are none; NORMAL keeps the checkpoint's syncs (WAL before, database after).
  db.pragma('synchronous = NORMAL');
  const timer = setInterval(() => {
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // Busy (a TRUNCATE checkpoint from the jobs, a backup): the next tick tries again.
    }
  }, CHECKPOINT_MS);
  parentPort.on('message', (m) => {
    if (m !== 'stop') return;
    clearInterval(timer);
    db.close();
    parentPort!.close();
  });
}
