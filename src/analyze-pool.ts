/**
 * analyze-pool - analyzeMessage (parse -> decode -> classify) in worker threads, for backfills
 * (`rebound ingest`): the thread that reads the input and commits to SQLite hands each message's
 * bytes to a pool of N workers (analyze-worker.ts) and gets back its Analysis and, on request, the
 * gzipped bytes the store keeps (packRaw). Results come back in any order; the caller commits them
 * in input order (cli/ingest.ts), so nothing about the order of events per address changes.
 *
 * In: raw bytes. Out: Promise<{ analysis, gzip? }>. Each worker runs one message at a time (with
 * up to DEPTH queued behind it, so it never waits for the next one), and the pool knows
 * which message each worker is on: that is where a per-message deadline belongs (terminate the
 * worker, fail that message, requeue the ones behind it) - not built here. A worker that dies fails
 * the message it was on, requeues the others, and is replaced: out of its (small) heap, the caller
 * analyses that message in its own thread (cli/ingest.ts); any other death, and the pipeline stores
 * the message marked failed, for `rebound reprocess --failed`.
 * No config keys (`rebound ingest --threads N`).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { DecodeContext } from './decode/types.js';
import type { Analysis } from './types.js';

export interface PoolResult {
  analysis: Analysis;
  /** packRaw(raw), when asked for. */
  gzip?: Buffer;
}

export interface AnalyzePool {
  readonly threads: number;
  /** Analyse one message (and gzip it when `pack`) in a worker, with what its envelope tells the
   *  decode stage (pipeline.ts decodeContextOf). Rejects only when its worker died: err.code
   *  'ERR_WORKER_OUT_OF_MEMORY' (the message needs more than a worker's heap) or another. */
  run(raw: Buffer, pack?: boolean, context?: DecodeContext): Promise<PoolResult>;
  /** Let the queued messages finish, then stop the workers. */
  close(): Promise<void>;
}

/** Worker heap limits (MB), see spawn(). */
const WORKER_YOUNG_MB = 4;
const WORKER_OLD_MB = 96;

/** Messages a worker holds (the one it is on and those queued behind it): enough that it never
 *  waits while the writer commits a batch. */
const DEPTH = 64;

interface Task {
  id: number;
  raw: Buffer;
  pack: boolean;
  context: DecodeContext | undefined;
  resolve: (r: PoolResult) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  /** Sent, in the order the worker runs them: the first is the one it is on. */
  inflight: Task[];
}

/** Worker threads for a backfill on this machine: one core stays with the reader and the writer. */
export function defaultThreads(): number {
  return Math.max(1, Math.min(8, availableParallelism() - 1));
}

export function startAnalyzePool(threads: number, opts: { workerUrl?: URL } = {}): AnalyzePool {
  const url = opts.workerUrl ?? new URL('./analyze-worker.js', import.meta.url);
  const queue: Task[] = [];
  const slots: Slot[] = [];
  let nextId = 1;
  let closing = false;
  const idle: (() => void)[] = [];

  const spawn = (): Slot => {
    // The analysis allocates short-lived objects; a small young generation keeps RSS down at no cost in rate.
    // Small heaps: V8 lets garbage pile up to a fraction of the heap limit before it collects, so
    // without a limit two workers took 330 MB of RSS over 20,000 messages, with it 220 MB (the
    // whole process; docs/BENCHMARKS.md). A message too big to analyse within it kills only its
    // worker, with ERR_WORKER_OUT_OF_MEMORY: the caller can analyse it in its own thread instead.
    const worker = new Worker(url, { resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_MB, maxOldGenerationSizeMb: WORKER_OLD_MB } });
    const slot: Slot = { worker, inflight: [] };
    worker.on('message', (m: { results: { id: number; analysis: Analysis; gzip?: Uint8Array }[] }) => {
      for (const res of m.results) {
        const t = slot.inflight.shift();
        if (!t || t.id !== res.id) continue; // cannot happen: the worker answers in order
        const r: PoolResult = { analysis: res.analysis };
        if (res.gzip) r.gzip = Buffer.from(res.gzip.buffer, res.gzip.byteOffset, res.gzip.byteLength);
        t.resolve(r);
      }
      pump();
    });
    const died = (err: Error & { code?: string }): void => {
      const i = slots.indexOf(slot);
      if (i < 0) return;
      slots.splice(i, 1);
      const [current, ...rest] = slot.inflight;
      slot.inflight = [];
      current?.reject(Object.assign(new Error(`analysis worker died: ${err.message}`), { code: err.code ?? 'ERR_WORKER_DIED' }));
      // The messages behind it did not run: they go first to another worker.
      queue.unshift(...rest);
      if (!closing) slots.push(spawn());
      pump();
    };
    worker.on('error', died);
    worker.on('exit', (code) => died(new Error(`exit code ${code}`)));
    return slot;
  };

  const pump = (): void => {
    scheduled = false;
    for (const slot of slots) {
      // Many messages per postMessage, both ways: each message between threads wakes the other
      // one up, which cost more than the copy (~100 us each on the 2-core test machine).
      const jobs: { id: number; raw: Uint8Array; pack: boolean; context: DecodeContext | undefined }[] = [];
      const transfer: ArrayBuffer[] = [];
      while (slot.inflight.length < DEPTH && queue.length > 0) {
        const t = queue.shift()!;
        slot.inflight.push(t);
        // A copy the worker owns (the raw Buffer may share a pool with others): transferred, not cloned.
        const copy = new Uint8Array(t.raw.length);
        copy.set(t.raw);
        jobs.push({ id: t.id, raw: copy, pack: t.pack, context: t.context });
        transfer.push(copy.buffer);
      }
      if (jobs.length > 0) slot.worker.postMessage({ jobs }, transfer);
    }
    // A worker with work keeps the process alive (the caller may be awaiting only it); an idle one must not.
    for (const slot of slots) {
      if (slot.inflight.length > 0) slot.worker.ref();
      else slot.worker.unref();
    }
    if (queue.length === 0 && slots.every((s) => s.inflight.length === 0)) for (const f of idle.splice(0)) f();
  };
  /** Messages submitted in one turn of the event loop go out together. */
  let scheduled = false;
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(pump);
  };

  for (let i = 0; i < Math.max(1, threads); i++) slots.push(spawn());
  pump();

  return {
    threads: slots.length,
    run(raw, pack = false, context) {
      return new Promise<PoolResult>((resolve, reject) => {
        if (closing) return reject(new Error('analysis pool closed'));
        queue.push({ id: nextId++, raw, pack, context, resolve, reject });
        schedule();
      });
    },
    async close() {
      if (queue.length > 0 || slots.some((s) => s.inflight.length > 0)) await new Promise<void>((r) => idle.push(r));
      closing = true;
      await Promise.all(slots.splice(0).map((s) => s.worker.terminate()));
    },
  };
}
