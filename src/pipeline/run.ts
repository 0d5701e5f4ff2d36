/**
 * pipeline/run - the pipeline over stored messages, one driver for both store backends: it hands
 * the store its planner (pipeline/plan.ts: analyse, attribute by the envelope's return paths as
 * intake judged them, decide the events; asynchronous, no I/O) and the store claims messages, plans them and commits the plans (store/api.ts StoreApi:
 * SQLite plans a batch, then commits it in one synchronous transaction; PostgreSQL claims with
 * SKIP LOCKED and writes in the claim's transaction, under per-address locks). The store keeps no
 * pipeline: this is the one place that drives it, for the daemon's scheduler (scheduler.ts), the
 * IMAP poller, the CLI (reprocess, ingest, poll) and the benches.
 *
 * In: message ids (or "pending", or a reprocess filter), a StoreApi, the analysis.
 * Out: ProcessOutcome per message; every row ends processed, not-a-bounce or failed(+error).
 * Idempotent: a message that is no longer pending is skipped unless `force` (reprocess), and a
 * forced run replaces the message's events and recomputes the affected addresses.
 */
import type { Envelope } from '../types.js';
import type { IngestItem, Planner, ProcessOutcome, ProcessPlan, ReprocessFilter, SaveResult, StoreApi } from '../store/index.js';
import { defaultAnalyze, planMessage, type AnalyzeFn } from './plan.js';

/**
 * How a backend is best driven, the one thing the two differ in here. PostgreSQL: claims of 50
 * (a claim holds its rows' locks while it plans them: a daemon killed mid-claim leaves that much
 * for the others' sweep), two in flight, so that one batch's analyses (here) overlap the other's
 * writes (on the server) - docs/BENCHMARKS.md "PostgreSQL store". SQLite: one claim at a time of
 * up to 200 - a single writer, where a second claim would only plan the same pending rows again.
 */
const CLAIMS: Record<StoreApi['backend'], { lanes: number; batch: number }> = {
  sqlite: { lanes: 1, batch: 200 },
  postgresql: { lanes: 2, batch: 50 },
};

export interface PipelineOptions {
  /** Replace analyzeMessage (the daemon's budgeted worker; tests feed hand-built Analysis objects). */
  analyze?: AnalyzeFn;
}

/** `relaxed`: commit without an fsync (SQLite's daemon: results derived from the durable raw
 *  message, which a power loss can only put back to pending); PostgreSQL commits durably anyway. */
export interface CommitHow {
  relaxed?: boolean;
}

export class Pipeline {
  private readonly analyze: AnalyzeFn;
  private readonly lanes: number;
  private readonly batch: number;
  /** What the store asks for each message it claimed. */
  readonly plan: Planner;

  constructor(
    readonly store: StoreApi,
    opts: PipelineOptions = {},
  ) {
    this.analyze = opts.analyze ?? defaultAnalyze;
    ({ lanes: this.lanes, batch: this.batch } = CLAIMS[store.backend]);
    this.plan = (msg) => planMessage(msg, this.analyze);
  }

  /** Save and process a batch in one go (benches, tests): analysis runs before the write, and the
   *  raw bytes are not read back. Same results as saveMessages + processIds. */
  async ingestMessages(items: { env: Envelope; raw: Buffer }[]): Promise<(SaveResult & { outcome: ProcessOutcome })[]> {
    // Skip the analysis of messages already finished (a re-run).
    const checks = await this.store.ingestChecks(items.map((it) => it.raw));
    const batch: IngestItem[] = [];
    for (const [i, it] of items.entries()) {
      const check = checks[i]!;
      batch.push({ env: it.env, raw: it.raw, sha256: check.sha256, plan: check.done ? null : await this.planIngest(it) });
    }
    return this.store.commitIngest(batch);
  }

  /** The plan of a message not stored yet: its analysis (this pipeline's, or `analyze`, e.g. a
   *  worker thread's) and its envelope's attribution. */
  planIngest(item: { env: Envelope; raw: Buffer }, analyze?: AnalyzeFn): Promise<ProcessPlan> {
    return planMessage({ id: 0, raw: item.raw, env: item.env }, analyze ?? this.analyze);
  }

  async processMessage(id: number, opts: { force?: boolean } = {}): Promise<ProcessOutcome> {
    return (await this.processIds([id], opts))[0]!;
  }

  /** Claim and process up to `limit` pending messages (oldest first, skipping those another daemon
   *  holds); returns how many were processed. Stops when none is left that nobody else holds. */
  async processPending(limit = Number.MAX_SAFE_INTEGER, opts: CommitHow = {}): Promise<number> {
    let claimed = 0;
    let done = 0;
    const lane = async (): Promise<void> => {
      while (claimed < limit) {
        const want = Math.min(this.batch, limit - claimed);
        claimed += want;
        const outcomes = await this.store.claimPending(want, this.plan, opts);
        claimed -= want - outcomes.length;
        done += outcomes.length;
        if (outcomes.length < want) return;
      }
    };
    await Promise.all(Array.from({ length: this.lanes }, lane));
    return done;
  }

  /** One claimed batch, processed and committed; [] when nothing is pending and unclaimed. */
  claimAndProcess(limit = this.batch): Promise<ProcessOutcome[]> {
    return this.store.claimPending(limit, this.plan);
  }

  /**
   * The daemon's processing of what its intake just committed: the messages still pending and
   * held by nobody are claimed and processed; the others come back skipped. One outcome per id,
   * in order, in up to `lanes` claims at once.
   */
  async processClaimIds(ids: number[], opts: CommitHow = {}): Promise<ProcessOutcome[]> {
    const size = Math.max(1, Math.min(this.batch, Math.ceil(ids.length / this.lanes)));
    const slices: number[][] = [];
    for (let i = 0; i < ids.length; i += size) slices.push(ids.slice(i, i + size));
    const results: ProcessOutcome[][] = new Array(slices.length);
    let next = 0;
    const lane = async (): Promise<void> => {
      for (let k = next++; k < slices.length; k = next++) results[k] = await this.store.claimIds(slices[k]!, this.plan, opts);
    };
    await Promise.all(Array.from({ length: this.lanes }, lane));
    return results.flat();
  }

  /** Process these messages, waiting for a daemon that holds one; `force` reprocesses finished ones. */
  processIds(ids: number[], opts: { force?: boolean } & CommitHow = {}): Promise<ProcessOutcome[]> {
    return this.store.processIds(ids, this.plan, opts);
  }

  /** Re-run the pipeline on matching messages (force); returns the outcomes. */
  async reprocess(filter: ReprocessFilter): Promise<ProcessOutcome[]> {
    return this.processIds(await this.store.selectIds(filter), { force: true });
  }
}
