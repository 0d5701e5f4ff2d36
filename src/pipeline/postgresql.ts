/**
 * pipeline/postgresql - the pipeline over the PostgreSQL store (store/postgresql/): what
 * pipeline/run.ts is for SQLite. The store claims messages and writes results in one
 * transaction each; this hands it the planner (plan.ts: analyse, attribute by the envelope, decide the events)
 * and keeps two claims in flight, so that one batch's analyses (here) overlap the other's writes
 * (on the server) - docs/BENCHMARKS.md "PostgreSQL store".
 *
 * In: message ids, "pending", or a reprocess filter. Out: ProcessOutcome per message, as
 * Pipeline gives them. Used by the PostgreSQL daemon (daemon/postgresql.ts), its IMAP poller,
 * and `rebound reprocess` on PostgreSQL.
 */
import type { ProcessOutcome, ReprocessFilter } from '../store/index.js';
import { PG_BATCH, type Planner, type PgStore } from '../store/postgresql/index.js';
import { defaultAnalyze, planMessage, type AnalyzeFn } from './plan.js';
import type { PipelineOptions } from './run.js';

/** Claims in flight at once. */
const LANES = 2;

export class PgPipeline {
  private readonly plan: Planner;

  constructor(
    readonly store: PgStore,
    opts: PipelineOptions = {},
  ) {
    const analyze: AnalyzeFn = opts.analyze ?? defaultAnalyze;
    this.plan = (msg) => planMessage(msg, analyze);
  }

  /** Claim and process up to `limit` pending messages (oldest first, skipping those another daemon
   *  holds); returns how many were processed. Stops when none is left that nobody else holds. */
  async processPending(limit = Number.MAX_SAFE_INTEGER): Promise<number> {
    let claimed = 0;
    let done = 0;
    const lane = async (): Promise<void> => {
      while (claimed < limit) {
        const want = Math.min(PG_BATCH, limit - claimed);
        claimed += want;
        const outcomes = await this.store.claimPending(want, this.plan);
        claimed -= want - outcomes.length;
        done += outcomes.length;
        if (outcomes.length < want) return;
      }
    };
    await Promise.all(Array.from({ length: LANES }, lane));
    return done;
  }

  /** One claimed batch, processed and committed; [] when nothing is pending and unclaimed. */
  claimAndProcess(limit = PG_BATCH): Promise<ProcessOutcome[]> {
    return this.store.claimPending(limit, this.plan);
  }

  /**
   * The daemon's processing of what its intake just committed: the messages still pending and
   * held by nobody are claimed and processed; the others come back skipped. One outcome per id,
   * in order, in up to LANES transactions at once.
   */
  async processClaimIds(ids: number[]): Promise<ProcessOutcome[]> {
    const size = Math.max(1, Math.min(PG_BATCH, Math.ceil(ids.length / LANES)));
    const slices: number[][] = [];
    for (let i = 0; i < ids.length; i += size) slices.push(ids.slice(i, i + size));
    const results: ProcessOutcome[][] = new Array(slices.length);
    let next = 0;
    const lane = async (): Promise<void> => {
      for (let k = next++; k < slices.length; k = next++) results[k] = await this.store.claimIds(slices[k]!, this.plan);
    };
    await Promise.all(Array.from({ length: LANES }, lane));
    return results.flat();
  }

  /** Process these messages, waiting for a daemon that holds one; `force` reprocesses finished ones. */
  processIds(ids: number[], opts: { force?: boolean } = {}): Promise<ProcessOutcome[]> {
    return this.store.processIds(ids, this.plan, opts);
  }

  async processMessage(id: number, opts: { force?: boolean } = {}): Promise<ProcessOutcome> {
    return (await this.processIds([id], opts))[0]!;
  }

  /** Re-run the pipeline on matching messages (force); returns the outcomes. */
  async reprocess(filter: ReprocessFilter): Promise<ProcessOutcome[]> {
    return this.processIds(await this.store.selectIds(filter), { force: true });
  }
}
