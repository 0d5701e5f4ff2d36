/**
 * pipeline/run - the pipeline over stored messages: load each message, plan it (pipeline/plan.ts:
 * analyse, attribute by the envelope's return paths as intake judged them, decide the events; asynchronous, outside any transaction), then commit the
 * batch's plans through the store in one synchronous transaction (store.commitPlans). The store
 * keeps no pipeline: this is the one place that drives it, for the daemon's scheduler (scheduler.ts), the CLI
 * (reprocess, ingest, poll) and the benches.
 *
 * In: message ids (or "pending", or a reprocess filter), a Store, the analysis.
 * Out: ProcessOutcome per message; every row ends processed, not-a-bounce or failed(+error).
 * Idempotent: a message that is no longer pending is skipped unless `force` (reprocess), and a
 * forced run replaces the message's events and recomputes the affected addresses.
 */
import { DaemonError } from '../errors.js';
import type { Envelope } from '../types.js';
import { packRaw, type IngestItem, type ProcessOutcome, type ProcessPlan, type ReprocessFilter, type SaveResult, type Store, type StoredMessage } from '../store/index.js';
import { defaultAnalyze, planMessage, type AnalyzeFn } from './plan.js';

/** Messages per transaction. */
const BATCH = 200;

export interface PipelineOptions {
  /** Replace analyzeMessage (tests feed hand-built Analysis objects through this). */
  analyze?: AnalyzeFn;
}

export class Pipeline {
  private readonly analyze: AnalyzeFn;

  constructor(
    readonly store: Store,
    opts: PipelineOptions = {},
  ) {
    this.analyze = opts.analyze ?? defaultAnalyze;
  }

  /** Save and process a batch in one go (CLI ingest, bench): analysis runs before the write
   *  transaction, and the raw bytes are not read back. Same results as saveMessages + processIds. */
  async ingestMessages(items: { env: Envelope; raw: Buffer }[]): Promise<(SaveResult & { outcome: ProcessOutcome })[]> {
    // Analyse outside the write lock; skip the analysis of messages we already finished.
    const batch: IngestItem[] = [];
    for (const it of items) {
      const check = this.store.ingestCheck(it.raw);
      const plan = check.done ? null : await this.planIngest(it);
      batch.push({ env: it.env, raw: it.raw, sha256: check.sha256, plan });
    }
    // From here to the end of the transaction nothing awaits: the batch commits as one unit.
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

  async processPending(limit = Number.MAX_SAFE_INTEGER, opts: { relaxed?: boolean } = {}): Promise<number> {
    let done = 0;
    while (done < limit) {
      const ids = this.store.pendingIds(Math.min(BATCH, limit - done));
      if (ids.length === 0) break;
      await this.processIds(ids, opts);
      done += ids.length;
    }
    return done;
  }

  async processIds(ids: number[], opts: { force?: boolean; relaxed?: boolean } = {}): Promise<ProcessOutcome[]> {
    const out: ProcessOutcome[] = [];
    for (let i = 0; i < ids.length; i += BATCH) {
      // Analyse outside the transaction (CPU-bound, may be slow) so the write lock is held only
      // for the inserts; then commit the batch in one IMMEDIATE transaction (group commit).
      const plans: (ProcessPlan | ProcessOutcome)[] = [];
      // Raw bytes the SMTP intake stored uncompressed, gzipped here outside the transaction.
      const packs: [Buffer, number][] = [];
      for (const id of ids.slice(i, i + BATCH)) {
        const msg = this.store.getMessage(id);
        if (!msg) throw new DaemonError('internal', `store: no message with id ${id}`);
        if (msg.raw && msg.compression === 'none') packs.push([packRaw(msg.raw), msg.id]);
        if (msg.state !== 'pending' && !opts.force) plans.push(skipped(msg));
        // A pruned finished message keeps its events (reprocessing it would erase them); a pending
        // one without raw bytes becomes 'failed' (planMessage says why) rather than pending for ever.
        else if (msg.raw === null && msg.state !== 'pending') plans.push(skipped(msg));
        else plans.push(await planMessage(msg, this.analyze));
      }
      // No await from here: the batch's plans commit in one synchronous transaction.
      out.push(...this.store.commitPlans(plans, packs, opts));
    }
    return out;
  }

  /** Re-run the pipeline on matching messages (force); returns the outcomes. */
  async reprocess(filter: ReprocessFilter): Promise<ProcessOutcome[]> {
    return this.processIds(this.store.selectIds(filter), { force: true });
  }
}

/** The store with processIds running this pipeline: what IMAP intake takes (it stores a chunk,
 *  processes it, and only then moves the messages on the server). */
export function processingStore<S extends Store>(store: S, pipeline: Pipeline): S & Pick<Pipeline, 'processIds'> {
  return { ...store, processIds: (ids, opts) => pipeline.processIds(ids, opts) };
}

/** Nothing to do for this message: already finished, or its raw bytes pruned. */
function skipped(msg: StoredMessage): ProcessOutcome {
  const o: ProcessOutcome = { id: msg.id, state: msg.state, skipped: true, events: 0, addresses: [], categories: [] };
  if (msg.raw === null) o.error = 'raw message pruned';
  return o;
}
