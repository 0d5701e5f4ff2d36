/**
 * analyze-pool - analyzeMessage (parse -> decode -> classify) in worker threads, for backfills
 * (`rebound ingest`): the thread that reads the input and commits to SQLite hands each message's
 * bytes to a pool of N workers (analyze-worker.ts) and gets back its Analysis and, on request, the
 * gzipped bytes the store keeps (packRaw). Results come back in any order; the caller commits them
 * in input order (cli/ingest.ts), so nothing about the order of events per address changes.
 *
 * The daemon uses it too (analysis.ts poolAnalyzer: one worker per store connection that runs the
 * pipeline), with a per-message deadline and a heap cap, so that no message can hold up the
 * acknowledgements or the messages behind it (issue 16).
 *
 * In: raw bytes. Out: Promise<{ analysis, gzip? }>. Each worker runs one message at a time (with
 * up to DEPTH queued behind it, so it never waits for the next one), and the pool knows
 * which message each worker is on. With `deadlineMs`, a worker still on one message after it is
 * terminated: that message is rejected (code ERR_ANALYSIS_DEADLINE), the ones behind it go to
 * the new worker. A worker that dies fails the message it was on, requeues the others, and is
 * replaced: out of its heap (ERR_WORKER_OUT_OF_MEMORY), `rebound ingest` analyses that message
 * in its own thread (cli/ingest.ts) and the daemon stores it marked failed; any other death, and
 * the pipeline stores the message marked failed, for `rebound reprocess --failed`.
 * No config keys of its own (`rebound ingest --threads N`; the daemon's analysis.* keys).
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { DecodeContext } from '../decode/types.js';
import { decodeContextOf } from './plan.js';
import type { Analysis, Envelope } from '../types.js';
import { metrics } from '../metrics.js';

export interface PoolResult {
  analysis: Analysis;
  /** packRaw(raw), when asked for. */
  gzip?: Buffer;
}

export interface AnalyzePool {
  readonly threads: number;
  /** Analyse one message (and gzip it when `pack`) in a worker, with what its envelope tells the
   *  decode stage (plan.ts decodeContextOf). Rejects only when its worker died: err.code
   *  'ERR_WORKER_OUT_OF_MEMORY' (the message needs more than a worker's heap) or another. */
  run(raw: Buffer, pack?: boolean, context?: DecodeContext): Promise<PoolResult>;
  /** Workers started to replace one that died or was terminated. */
  restarts(): number;
  /** Let the queued messages finish, then stop the workers. */
  close(): Promise<void>;
}

function fmtSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

export interface PoolOptions {
  /** The worker script (tests pass stand-ins); default analyze-worker.js. */
  workerUrl?: URL;
  /** Abandon a message a worker has been on this long: the worker is terminated and replaced. */
  deadlineMs?: number;
  /** The worker's old-generation heap (MB); default WORKER_OLD_MB. */
  heapMb?: number;
  /** Called when a message is abandoned (over the deadline, out of heap, the worker died), after the worker is replaced. */
  onAbandon?: (why: AbandonReason, ms: number) => void;
}

export type AbandonReason = 'deadline' | 'memory' | 'crash';

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
  /** When the worker began the first of inflight (performance.now()); with a deadline the worker
   *  answers each message as it finishes, so this is when the previous answer came. */
  startedAt: number;
  /** The worker said it has loaded its modules ({ready}): its first message's clock starts then,
   *  not while a busy machine loads the parser (a worker that never says so has no deadline). */
  ready: boolean;
}

/** Worker threads for a backfill on this machine: one core stays with the reader and the writer. */
export function defaultThreads(): number {
  return Math.max(1, Math.min(8, availableParallelism() - 1));
}

export function startAnalyzePool(threads: number, opts: PoolOptions = {}): AnalyzePool {
  const url = opts.workerUrl ?? new URL('./analyze-worker.js', import.meta.url);
  const deadlineMs = opts.deadlineMs;
  const heapMb = opts.heapMb ?? WORKER_OLD_MB;
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
    const worker = new Worker(url, {
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_MB, maxOldGenerationSizeMb: heapMb },
      // With a deadline the pool must know when each message starts: one answer per message.
      workerData: { flushEvery: deadlineMs === undefined ? undefined : 1 },
    });
    const slot: Slot = { worker, inflight: [], startedAt: performance.now(), ready: false };
    worker.on('message', (m: { ready?: true; results?: { id: number; analysis: Analysis; gzip?: Uint8Array }[] }) => {
      if (m.ready) {
        slot.ready = true;
        slot.startedAt = performance.now();
        return;
      }
      for (const res of m.results ?? []) {
        slot.startedAt = performance.now();
        const t = slot.inflight.shift();
        if (!t || t.id !== res.id) continue; // cannot happen: the worker answers in order
        const r: PoolResult = { analysis: res.analysis };
        if (res.gzip) r.gzip = Buffer.from(res.gzip.buffer, res.gzip.byteOffset, res.gzip.byteLength);
        t.resolve(r);
      }
      pump();
    });
    const died = (err: Error & { code?: string }): void => {
      if (!slots.includes(slot)) return;
      const code = err.code ?? 'ERR_WORKER_DIED';
      replace(slot, Object.assign(new Error(`analysis worker died: ${err.message}`), { code }), code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'memory' : 'crash');
    };
    worker.on('error', died);
    worker.on('exit', (code) => died(new Error(`exit code ${code}`)));
    return slot;
  };

  /** Take a worker out (dead, or being terminated): fail the message it was on, requeue the rest, start another. */
  const replace = (slot: Slot, err: Error, why: AbandonReason): void => {
    const i = slots.indexOf(slot);
    if (i < 0) return;
    slots.splice(i, 1);
    const [current, ...rest] = slot.inflight;
    slot.inflight = [];
    const ms = performance.now() - slot.startedAt;
    current?.reject(err);
    // The messages behind it did not run: they go first to another worker.
    queue.unshift(...rest);
    if (!closing) {
      slots.push(spawn());
      restarts++;
    }
    if (current) opts.onAbandon?.(why, ms);
    pump();
  };

  // The deadline: a quarter of it between checks, so a message is abandoned within 1.25 times it.
  let restarts = 0;
  const watchdog =
    deadlineMs === undefined
      ? undefined
      : setInterval(
          () => {
            const now = performance.now();
            for (const slot of [...slots]) {
              if (!slot.ready || slot.inflight.length === 0 || now - slot.startedAt < deadlineMs) continue;
              const err = Object.assign(new Error(`over the ${fmtSeconds(deadlineMs)} analysis deadline; abandoned (the worker was restarted)`), {
                code: 'ERR_ANALYSIS_DEADLINE',
              });
              replace(slot, err, 'deadline');
              void slot.worker.terminate();
            }
          },
          Math.max(10, Math.floor(deadlineMs / 4)),
        );
  watchdog?.unref();

  const pump = (): void => {
    scheduled = false;
    for (const slot of slots) {
      // Many messages per postMessage, both ways: each message between threads wakes the other
      // one up, which cost more than the copy (~100 us each on the 2-core test machine).
      const jobs: { id: number; raw: Uint8Array; pack: boolean; context: DecodeContext | undefined }[] = [];
      const transfer: ArrayBuffer[] = [];
      if (slot.inflight.length === 0 && queue.length > 0) slot.startedAt = performance.now();
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
    restarts: () => restarts,
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
      if (watchdog) clearInterval(watchdog);
      await Promise.all(slots.splice(0).map((s) => s.worker.terminate()));
    },
  };
}

/** What the daemon's analysis budget did so far (health, metrics). */
export interface AnalysisStats {
  deadlineMs: number;
  heapMb: number;
  /** Messages abandoned, by why: over the deadline, out of the worker's heap, the worker crashed. */
  abandoned: Record<AbandonReason, number>;
  /** Workers started to replace one that was terminated or died. */
  restarts: number;
  /** The last abandoned message: why, when (ms since the epoch) and how long it had run (ms). */
  last: { why: AbandonReason; at: number; ms: number } | null;
}

export function emptyAnalysisStats(deadlineMs: number, heapMb: number): AnalysisStats {
  return { deadlineMs, heapMb, abandoned: { deadline: 0, memory: 0, crash: 0 }, restarts: 0, last: null };
}

export interface PoolAnalyzer {
  /** The store's analysis step (StoreOptions.analyze): a message over its budget rejects, and
   *  planMessage stores it marked failed with the reason. */
  analyze: (raw: Buffer, env: Envelope) => Promise<Analysis>;
  stats(): AnalysisStats;
  close(): Promise<void>;
}

/**
 * The daemon's analysis step: analyzeMessage in a worker thread of its own (one per store
 * connection that runs the pipeline), so that parsing never runs on a thread that commits or
 * acknowledges, with a per-message deadline and a heap cap (config analysis.deadlineSeconds,
 * analysis.maxHeapMb). The worker starts on the first message.
 */
export function poolAnalyzer(budget: { deadlineMs: number; heapMb: number }, opts: { workerUrl?: URL; onAbandon?: (why: AbandonReason, ms: number) => void } = {}): PoolAnalyzer {
  const stats = emptyAnalysisStats(budget.deadlineMs, budget.heapMb);
  let pool: AnalyzePool | null = null;
  const onAbandon = (why: AbandonReason, ms: number): void => {
    stats.abandoned[why]++;
    stats.restarts = pool?.restarts() ?? stats.restarts + 1;
    stats.last = { why, at: Date.now(), ms: Math.round(ms) };
    opts.onAbandon?.(why, ms);
  };
  return {
    async analyze(raw, env) {
      pool ??= startAnalyzePool(1, { workerUrl: opts.workerUrl, deadlineMs: budget.deadlineMs, heapMb: budget.heapMb, onAbandon });
      try {
        return (await pool.run(raw, false, decodeContextOf(env))).analysis;
      } catch (err) {
        if ((err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
          throw new Error(`over the ${budget.heapMb} MB heap of the analysis worker; abandoned (the worker was restarted)`);
        }
        throw err;
      }
    },
    stats: () => ({ ...stats, abandoned: { ...stats.abandoned }, last: stats.last && { ...stats.last } }),
    async close() {
      await pool?.close();
    },
  };
}

/** Metrics for what changed between two reports of an analysis budget. */
export function countAbandoned(before: AnalysisStats, after: AnalysisStats): void {
  for (const why of ['deadline', 'memory', 'crash'] as const) {
    const n = after.abandoned[why] - before.abandoned[why];
    if (n > 0) metrics.analysisAbandoned.inc({ why }, n);
  }
  if (after.restarts > before.restarts) metrics.analysisRestarts.inc({}, after.restarts - before.restarts);
}
