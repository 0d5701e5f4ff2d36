/**
 * pipeline/scheduler - runs the pipeline (parse -> decode -> classify -> record, run.ts through the
 * store) on messages intake has committed, a batch per turn, yielding between batches; rows left
 * pending (a crash, another process) are swept first. Used in the daemon's writer thread on
 * SQLite (daemon/writer-thread.ts) and in its main thread on PostgreSQL (daemon/backends/postgresql.ts).
 *
 * In: ids of committed messages (enqueue) and "sweep" requests. Out: processed rows in the store,
 * and one report per batch (metrics + debug log, or whatever the caller passes): the outcomes of
 * queued messages, or for a sweep batch how many pending rows it took and how long.
 * Metrics: rebound_messages_total, rebound_recipients_total, rebound_processing_seconds (source
 * "pending" for the sweep), recorded by recordOutcomes in the thread that owns the metrics.
 * Why throttled: acknowledgements come first. While intake is busy the pipeline trickles, and
 * the backlog - durable, `pending` in the store - is caught up when the burst ends.
 * After a failed batch (disk full, a read-only file, a busy lock) the rows stay pending and a sweep
 * of them is retried after 1 s, then 2, 4, 8 and at most RETRY_MAX_MS between tries, without a
 * restart; WriteHealth says meanwhile that writes fail (health, metrics).
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { child } from '../log.js';
import { metrics } from '../metrics.js';
import type { ProcessOutcome } from '../store/index.js';
import type { Pipeline } from './run.js';
import type { SourceKind } from '../types.js';

const log = child('daemon');

/** Messages per pipeline turn (one transaction). The analyses (~0.5 ms of CPU each, most of it in
 *  mailparser) yield to the event loop as they go; the turn's commit blocks for a few ms. */
const PROCESS_BATCH = 40;
/** Pause between pipeline turns while intake is busy (a commit in the last INTAKE_BUSY_MS): a
 *  trickle, so a long burst still sees some progress; the rest waits for the end of the burst. */
const BUSY_PAUSE_MS = 1000;
export const INTAKE_BUSY_MS = 200;
/** Messages per pipeline turn while intake is busy. */
const BUSY_BATCH = 10;
/** Event-loop utilisation between two batches under which the loop counts as having time to spare. */
const SPARE_UTILIZATION = 0.5;
/** How long a committed message may wait for the pipeline before spare event-loop time is used. */
const MAX_DEFER_MS = 10_000;
/** Retry of the pending rows after a failed batch: the first wait, doubled per failure up to the last. */
export const RETRY_FIRST_MS = 1000;
export const RETRY_MAX_MS = 16_000;

/** Whether the last writes of one kind (intake commits, pipeline commits) succeeded. */
export interface WriteState {
  ok: boolean;
  /** When the current run of failures began (ms), null while ok. */
  since: number | null;
  /** The last failure's message ('' while ok). */
  error: string;
  /** Failures in the current run. */
  failures: number;
}

/** Tracks one kind of store write; calls back on every change between ok and failing (and on each
 *  new failure, so that the error shown is the latest). */
export class WriteHealth {
  private s: WriteState = { ok: true, since: null, error: '', failures: 0 };
  constructor(private readonly onChange: (s: WriteState) => void = () => undefined) {}

  succeeded(): void {
    if (this.s.ok) return;
    this.s = { ok: true, since: null, error: '', failures: 0 };
    this.onChange(this.state());
  }

  failed(err: unknown, now = Date.now()): void {
    const error = err instanceof Error ? err.message : String(err);
    this.s = { ok: false, since: this.s.since ?? now, error, failures: this.s.failures + 1 };
    this.onChange(this.state());
  }

  state(): WriteState {
    return { ...this.s };
  }
}

/**
 * Runs the pipeline on committed messages a batch at a time, yielding to the event loop between
 * batches so that parsing never holds up SMTP replies for long. While intake is committing (a
 * burst), it runs one batch per BUSY_PAUSE_MS only, so acks keep the CPU; what waits is durable
 * (pending) and is caught up back to back as soon as the burst ends. Its commits skip the fsync
 * (relaxed): the results are derived from the stored raw message, and the next intake sync or
 * checkpoint writes them out anyway.
 */
export class Scheduler {
  private queue: { id: number; source: SourceKind | 'pending'; at: number }[] = [];
  private running = false;
  private stopped = false;
  private pendingSweep = true;
  private idle: (() => void)[] = [];
  /** Event-loop utilisation when the last batch ended (null: start of a run). */
  private sinceBatch: EventLoopUtilization | null = null;
  private lastBatchAt = 0;
  /** The wait before the next retry after a failed batch (0: the last batch succeeded). */
  private retryMs = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    /** The pipeline (pipeline/run.ts), over either backend's store. */
    private readonly pipeline: Pick<Pipeline, 'processPending' | 'processClaimIds'>,
    /** True while intake is committing: processing then runs at a reduced duty cycle. */
    private readonly intakeBusy: () => boolean = () => false,
    private readonly batch = PROCESS_BATCH,
    /** Where outcomes go: the metrics and the debug log of this thread by default; the writer
     *  thread sends them to the main thread instead (metrics live there). */
    private readonly report: (outcomes: ProcessOutcome[], items: QueuedItem[], sweep?: SweepReport) => void = recordOutcomes,
    /** Whether the pipeline's writes succeed (the daemon's health shows it). */
    readonly writes: WriteHealth = new WriteHealth(),
  ) {}

  enqueue(ids: number[], source: SourceKind): void {
    const at = Date.now();
    for (const id of ids) this.queue.push({ id, source, at });
    this.kick();
  }

  /** Process rows left pending (crash, or IMAP/CLI writers) before new arrivals. */
  sweepPending(): void {
    this.pendingSweep = true;
    this.kick();
  }

  private kick(): void {
    if (this.running || this.stopped) return;
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    this.running = true;
    this.sinceBatch = null;
    // During a burst a new arrival does not start a batch before the pause after the last one.
    const wait = this.intakeBusy() ? this.lastBatchAt + BUSY_PAUSE_MS - Date.now() : 0;
    if (wait > 0) setTimeout(this.step, wait);
    else setImmediate(this.step);
  }

  private readonly step = (): void => {
    void this.runStep();
  };

  /** One batch: its analyses await mailparser (intake commits run in between), then its plans
   *  commit (pipeline/run.ts processClaimIds; on SQLite one synchronous transaction). Never rejects. */
  private async runStep(): Promise<void> {
    if (this.stopped) return this.finish();
    try {
      if (this.pendingSweep) {
        const t0 = performance.now();
        const n = await this.pipeline.processPending(this.batch, { relaxed: true });
        // Through the report: in the writer thread this thread's metrics are nobody's.
        if (n > 0) this.report([], [], { messages: n, seconds: (performance.now() - t0) / 1000 });
        if (n < this.batch) this.pendingSweep = false;
      } else {
        // A small batch while intake is busy: its commit blocks the acks for a few ms only.
        const items = this.queue.splice(0, this.intakeBusy() ? BUSY_BATCH : this.batch);
        // Those another daemon (PostgreSQL) is processing right now come back skipped.
        const outcomes = await this.pipeline.processClaimIds(
          items.map((i) => i.id),
          { relaxed: true },
        );
        this.report(outcomes, items);
      }
      if (this.retryMs > 0) log.info({ afterMs: this.retryMs }, 'processing writes again; pending rows are being caught up');
      this.retryMs = 0;
      this.writes.succeeded();
    } catch (err) {
      // The rows stay pending (what was queued is among them): a sweep retries them after a pause
      // that doubles while the store keeps failing (disk full, read-only, locked), without a restart.
      this.queue.length = 0;
      this.pendingSweep = true;
      this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs === 0 ? RETRY_FIRST_MS : this.retryMs * 2);
      this.writes.failed(err);
      log.error({ err, retryInMs: this.retryMs }, 'processing failed; messages stay pending and are retried');
      this.lastBatchAt = Date.now();
      this.finish();
      if (!this.stopped) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.kick();
        }, this.retryMs);
      }
      return;
    }
    // Acks come first: while intake is busy, wait BUSY_PAUSE_MS between batches; what is not
    // processed yet is safe in the store (pending) and is caught up back to back when the burst
    // ends. Once the oldest waiting message is MAX_DEFER_MS old (traffic that never pauses), the
    // pipeline also runs whenever the event loop had time to spare since the last batch, so a
    // backlog cannot grow for ever behind steady traffic the daemon could keep up with.
    const overdue = this.pendingSweep || (this.queue.length > 0 && Date.now() - this.queue[0]!.at > MAX_DEFER_MS);
    const spare =
      overdue && (this.sinceBatch === null || performance.eventLoopUtilization(this.sinceBatch).utilization < SPARE_UTILIZATION);
    this.sinceBatch = performance.eventLoopUtilization();
    this.lastBatchAt = Date.now();
    if (this.stopped) return this.finish();
    if (this.pendingSweep || this.queue.length > 0) {
      if (this.intakeBusy() && !spare) setTimeout(this.step, BUSY_PAUSE_MS);
      else setImmediate(this.step);
    } else this.finish();
  }

  private finish(): void {
    this.running = false;
    for (const r of this.idle.splice(0)) r();
  }

  /** Stop after the current batch; what is not processed stays pending in the store. */
  stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (!this.running) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  /** Resolves when nothing is queued (tests). */
  drained(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  backlog(): number {
    return this.queue.length;
  }

  /** Milliseconds until the next retry after a failed batch (0: none waiting). */
  retryPending(): number {
    return this.retryTimer ? this.retryMs : 0;
  }
}

/** What a report needs of an outcome: small enough to post from the writer thread. */
export type ReportedOutcome = Pick<ProcessOutcome, 'id' | 'state' | 'skipped' | 'categories' | 'error'>;

/** Which queue item an outcome belongs to: its source and when it was queued. */
export interface QueuedItem {
  source: SourceKind | 'pending';
  at: number;
}

/** One pending-sweep batch: rows processed and the time the batch took (seconds). */
export interface SweepReport {
  messages: number;
  seconds: number;
}

/** The slice of outcomes a report carries across threads (the rest stays in the writer). */
export function reportable(outcomes: ProcessOutcome[]): ReportedOutcome[] {
  return outcomes.map((o) => ({ id: o.id, state: o.state, skipped: o.skipped, categories: o.categories, error: o.error }));
}

/** The default report: metrics and one debug line per message; for a sweep batch, its time per
 *  row in the latency histogram (source "pending"). The writer thread posts its reports to the
 *  main thread, which calls this (the metrics live there). */
export function recordOutcomes(outcomes: ReportedOutcome[], items: QueuedItem[], sweep?: SweepReport): void {
  if (sweep && sweep.messages > 0) metrics.latency.observe({ source: 'pending' }, sweep.seconds / sweep.messages);
  const now = Date.now();
  outcomes.forEach((o, i) => {
    const it = items[i]!;
    if (!o.skipped) metrics.recordOutcome(it.source, o.state, (now - it.at) / 1000, o.categories);
    log.debug({ id: o.id, state: o.state, error: o.error }, 'processed');
  });
}
