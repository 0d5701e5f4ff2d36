/**
 * daemon-worker - runs the pipeline (parse -> decode -> classify -> record) in a worker thread, so
 * that intake keeps one core for itself on a 2-core machine. It opens its own store connection to
 * the same SQLite file (WAL: intake's commits and the pipeline's commits interleave under the busy
 * timeout).
 * In (messages from daemon.ts): {type:'process', ids, source, at} | {type:'sweep'} | {type:'stop'}.
 * Out: {type:'done', outcomes, source, at} per batch | {type:'error', message} | {type:'stopped'}.
 * Config keys: store.path, store.busyTimeoutMs, state.*, verp.* (passed in workerData).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openStore, type StoreOptions } from './store/index.js';
import { attributeByVerp, type CheckOptions } from './verp/sign.js';

interface Job {
  type: 'process' | 'sweep' | 'stop';
  ids?: number[];
  source?: string;
  at?: number;
}

const BATCH = 20;
const port = parentPort;
if (!port) throw new Error('daemon-worker must run in a worker thread');

// Functions do not cross threads: the VERP attribute hook is rebuilt here from the config slice.
const { verp, ...storeOptions } = workerData as StoreOptions & { verp: CheckOptions & { allowUnverifiedState?: boolean } };
const store = openStore({ ...storeOptions, attribute: attributeByVerp(verp) });
const queue: Job[] = [];
let sweeping = true;
let stopping = false;
let scheduled = false;

function schedule(): void {
  if (!scheduled) {
    scheduled = true;
    setImmediate(step);
  }
}

function step(): void {
  scheduled = false;
  try {
    if (sweeping) {
      // Rows left pending by a crash, or written by other processes (CLI ingest).
      const n = store.processPending(BATCH, { relaxed: true });
      if (n < BATCH) sweeping = false;
    } else {
      const job = queue.shift();
      if (job?.ids?.length) {
        const ids = job.ids.splice(0, BATCH);
        if (job.ids.length > 0) queue.unshift(job);
        const outcomes = store.processIds(ids, { relaxed: true }).map((o) => ({ id: o.id, state: o.state, skipped: o.skipped, categories: o.categories, error: o.error }));
        port!.postMessage({ type: 'done', outcomes, source: job.source, at: job.at });
      }
    }
  } catch (err) {
    // The rows stay pending; the next sweep (or the next start) retries them.
    port!.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    queue.length = 0;
  }
  if (stopping) return finish();
  if (sweeping || queue.length > 0) schedule();
}

function finish(): void {
  store.close();
  port!.postMessage({ type: 'stopped' });
  port!.close();
}

port.on('message', (job: Job) => {
  if (job.type === 'stop') {
    stopping = true;
    // Between batches: nothing in flight, close now; otherwise step() finishes after its batch.
    if (!scheduled) finish();
    return;
  }
  if (stopping) return;
  if (job.type === 'sweep') sweeping = true;
  else queue.push(job);
  schedule();
});
schedule();
