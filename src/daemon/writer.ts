/**
 * daemon/writer - the one way SMTP/LMTP intake commits on SQLite (built by daemon/backends/sqlite.ts):
 * the main thread's side of the writer thread (writer-thread.ts). add() hands a finished message to the thread, which commits each
 * turn's messages in one transaction and fdatasyncs the WAL (intake/group-commit.ts) before it
 * answers; only then does the session send 250. The same thread runs the pipeline on what it
 * committed (pipeline/scheduler.ts), so this object is also the daemon's processing queue.
 *
 * In: (envelope, raw bytes, done) per message; ids to process.
 * Out: done(null, {id, duplicate}) once durable, or done(err) - 451 upstream. Outcomes of the
 * pipeline go to the metrics of this thread (recordOutcomes).
 * Config keys: store.path, store.busyTimeoutMs, state.*, verp.* (the legacy rows' judge, passed to the thread).
 */
import { Worker } from 'node:worker_threads';
import type { Config } from '../config/schema.js';
import { DaemonError, type ErrorCode } from '../errors.js';
import type { Committer, SaveOutcome } from '../intake/group-commit.js';
import { child } from '../log.js';
import { recordOutcomes, WriteHealth, type QueuedItem, type ReportedOutcome, type SweepReport, type WriteState } from '../pipeline/scheduler.js';
import type { Envelope, SourceKind } from '../types.js';
import type { SaveItem, SaveResultMsg } from './writer-thread.js';
import type { CheckOptions } from '../verp/sign.js';
import { countAbandoned, emptyAnalysisStats, type AnalysisStats } from '../pipeline/analyze-pool.js';

const log = child('daemon');
/** The writer thread's young generation (V8 scavenger space), MB. */
const WRITER_YOUNG_GENERATION_MB = 8;

/**
 * The main thread's side of the writer thread (writer-thread.ts): a committer for the SMTP/LMTP
 * listeners (add: the message is copied to the thread, committed and synced there, then done())
 * and the pipeline's queue. Messages added during one event-loop turn travel in one postMessage.
 * If the thread dies, every message it had not answered gets the error (451 upstream: the
 * sender retries) and a new thread starts, which sweeps pending rows.
 */
export class WriterThread implements Committer {
  private worker: Worker;
  private queued = 0;
  private seq = 0;
  private waiting = new Map<number, (err: unknown, r?: SaveOutcome) => void>();
  private outbox: { seq: number; env: Envelope; raw: Buffer }[] = [];
  private outboxBytes = 0;
  private scheduled = false;
  private idle: (() => void)[] = [];
  private stopped: Promise<void> | undefined;
  /** The pipeline's writes, as the thread last reported them. */
  private writeState: WriteState = new WriteHealth().state();
  /** The thread's analysis budget, as it last reported it (after each abandoned message). */
  private analysis: AnalysisStats;

  constructor(
    private storeOptions: {
      path: string;
      busyTimeoutMs: number;
      state: Config['state'];
      legacyVerp?: CheckOptions;
      walAutocheckpoint?: number;
      analysis: { deadlineMs: number; heapMb: number };
    },
  ) {
    this.analysis = emptyAnalysisStats(storeOptions.analysis.deadlineMs, storeOptions.analysis.heapMb);
    this.worker = this.spawn();
  }

  private spawn(): Worker {
    const w = new Worker(new URL('./writer-thread.js', import.meta.url), {
      workerData: this.storeOptions,
      // V8 grows a busy thread's young generation to ~48 MB; what the writer allocates per message
      // dies young either way, so 8 MB costs no rate and saves ~26 MB of peak RSS in bench:smtp
      // (docs/BENCHMARKS.md). The main thread's is set by --max-semi-space-size (systemd unit, npm start).
      resourceLimits: { maxYoungGenerationSizeMb: WRITER_YOUNG_GENERATION_MB },
    });
    w.on('message', (m: WriterMessage) => {
      if (m.type === 'saved') {
        for (const r of m.results) {
          const done = this.waiting.get(r.seq);
          if (!done) continue;
          this.waiting.delete(r.seq);
          if ('error' in r) done(new DaemonError(toCode(r.error.code), r.error.message, { temporary: r.error.temporary }));
          else done(null, { id: r.id, duplicate: r.duplicate });
        }
        this.checkIdle();
      } else if (m.type === 'done') {
        this.queued = Math.max(0, this.queued - m.outcomes.length);
        recordOutcomes(m.outcomes, m.items, m.sweep);
      } else if (m.type === 'error') {
        this.queued = 0;
        log.error({ err: m.message }, 'processing failed; messages stay pending');
      } else if (m.type === 'writes') {
        this.writeState = m.state;
      } else if (m.type === 'analysis') {
        // Counted here, where the metrics live: the difference since the thread's last report.
        countAbandoned(this.analysis, m.stats);
        this.analysis = m.stats;
      }
    });
    w.on('error', (err) => {
      // A crashed writer must not take intake down: fail what it held, start a new one.
      log.error({ err }, 'writer thread crashed; restarting it');
      this.queued = 0;
      const lost = [...this.waiting.values()];
      this.waiting.clear();
      for (const done of lost) done(new DaemonError('internal', 'writer thread crashed', { temporary: true }));
      this.checkIdle();
      if (!this.stopped) this.worker = this.spawn();
    });
    return w;
  }

  add(env: Envelope, raw: Buffer, done: (err: unknown, r?: SaveOutcome) => void): void {
    const seq = ++this.seq;
    this.waiting.set(seq, done);
    this.outbox.push({ seq, env, raw });
    this.outboxBytes += raw.length;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.post);
    }
  }

  /** One message per turn, all raw bytes in one buffer that is moved, not copied, to the thread. */
  private readonly post = (): void => {
    this.scheduled = false;
    const items = this.outbox;
    if (items.length === 0) return;
    const all = new Uint8Array(this.outboxBytes);
    const meta: SaveItem[] = [];
    let at = 0;
    for (const it of items) {
      all.set(it.raw, at);
      meta.push({ seq: it.seq, env: it.env, offset: at, length: it.raw.length });
      at += it.raw.length;
    }
    this.outbox = [];
    this.outboxBytes = 0;
    this.worker.postMessage({ type: 'save', items: meta, bytes: all }, [all.buffer]);
  };

  drained(): Promise<void> {
    if (this.waiting.size === 0) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  private checkIdle(): void {
    if (this.waiting.size === 0) for (const r of this.idle.splice(0)) r();
  }

  enqueue(ids: number[], source: SourceKind): void {
    if (ids.length === 0 || this.stopped) return;
    this.queued += ids.length;
    this.worker.postMessage({ type: 'process', ids, source });
  }

  sweepPending(): void {
    this.worker.postMessage({ type: 'sweep' });
  }

  /** After the listeners have stopped: what was sent is answered, the pipeline batch finishes. */
  stop(): Promise<void> {
    this.stopped ??= this.drained().then(
      () =>
        new Promise<void>((resolve) => {
          const w = this.worker;
          const t = setTimeout(() => void w.terminate(), 10_000);
          w.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
          w.postMessage({ type: 'stop' });
        }),
    );
    return this.stopped;
  }

  backlog(): number {
    return this.queued;
  }

  /** The pipeline's writes as last reported by the thread. */
  writeHealth(): WriteState {
    return this.writeState;
  }

  /** The analysis budget as last reported by the thread. */
  analysisStats(): AnalysisStats {
    return this.analysis;
  }
}

type WriterMessage =
  | { type: 'saved'; results: SaveResultMsg[] }
  | { type: 'done'; outcomes: ReportedOutcome[]; items: QueuedItem[]; sweep?: SweepReport }
  | { type: 'error'; message: string }
  | { type: 'writes'; state: WriteState }
  | { type: 'analysis'; stats: AnalysisStats }
  | { type: 'stopped' };

function toCode(code: string | undefined): ErrorCode {
  return (code ?? 'internal') as ErrorCode;
}

