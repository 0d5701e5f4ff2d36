/**
 * intake/group-commit - group commit for SMTP/LMTP intake: messages finished at about the same
 * time share one transaction, and each is answered (done) only once that is durable.
 * GroupCommitter is SQLite's: one transaction and one WAL fdatasync, in the daemon's writer thread
 * (daemon/writer-thread.ts), which does nothing else meanwhile, so the sync blocks it: what
 * arrives during a sync makes the next batch. AsyncGroupCommitter is for a store that answers
 * later (PostgreSQL, daemon/backends/postgresql.ts): a batch per event-loop turn, a few in flight.
 * In: (envelope, raw bytes, done) per message. Out: done(null, {id, duplicate}) once durable, or
 * done(err) - answered 451 upstream. Config keys: none (the store's, through the store).
 */
import { DaemonError } from '../errors.js';
import type { Envelope } from '../types.js';

/** What intake needs from the store: one transaction for many messages. */
export interface IntakeStore {
  saveMessages(items: { env: Envelope; raw: Buffer }[]): { id: number; duplicate: boolean }[];
  /** Commit without waiting for the disk (null: not possible, use saveMessages); see syncWalNow. */
  saveMessagesUnsynced?(items: { env: Envelope; raw: Buffer }[]): { id: number; duplicate: boolean }[] | null;
  /** Make every commit so far durable (fdatasync of the WAL), blocking the thread. */
  syncWalNow?(): void;
}

/** Where a finished message goes: done(null, outcome) only once it is durable. */
export interface Committer {
  add(env: Envelope, raw: Buffer, done: (err: unknown, r?: SaveOutcome) => void): void;
  /** Resolves once every message added so far has been answered. */
  drained(): Promise<void>;
}

export interface SaveOutcome {
  id: number;
  duplicate: boolean;
}

interface Pending {
  env: Envelope;
  raw: Buffer;
  done: (err: unknown, r?: SaveOutcome) => void;
}

/**
 * What both group committers share: messages added during one event-loop turn are queued and a
 * flush is scheduled for the end of the turn (setImmediate); drained() waits until every message
 * added so far has been answered.
 */
abstract class TurnBatcher implements Committer {
  protected queue: Pending[] = [];
  protected scheduled = false;
  private idle: (() => void)[] = [];
  /** When the last batch committed (ms); the daemon lets processing yield while this is recent. */
  lastCommitAt = 0;

  /** Commit (some of) the queue; answers each message once its commit is durable. */
  protected abstract readonly flush: () => void;

  /** Callback form (no promise per message): done(null, outcome) after the commit is durable. */
  add(env: Envelope, raw: Buffer, done: (err: unknown, r?: SaveOutcome) => void): void {
    this.queue.push({ env, raw, done });
    this.schedule();
  }

  /** Resolves once nothing is queued or waiting for its commit (used when draining). */
  drained(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  protected schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flush);
  }

  protected isIdle(): boolean {
    return this.queue.length === 0 && !this.scheduled;
  }

  protected checkIdle(): void {
    if (this.isIdle()) for (const r of this.idle.splice(0)) r();
  }
}

/**
 * Group commit. With a store that can split commit and fsync (a WAL file), the messages finished
 * during one event-loop turn are committed in one transaction (synchronous=NORMAL: no fsync
 * inside it), then the WAL is fdatasynced and only then is each answered, as synchronous=FULL
 * would; under load each transaction and each fsync carries everything that arrived during the
 * previous one. Without that (':memory:', test stores) they share one plain durable saveMessages.
 */
export class GroupCommitter extends TurnBatcher {
  /** Largest batch committed so far, for the bench and the logs. */
  maxBatch = 0;
  batches = 0;
  syncs = 0;

  constructor(
    private readonly store: IntakeStore,
    /** New (non-duplicate) rows, with their envelopes, as soon as they are committed. */
    private readonly onCommitted: (ids: number[], envs: Envelope[]) => void = () => {},
    private readonly maxBatchSize = 500,
  ) {
    super();
  }

  submit(env: Envelope, raw: Buffer): Promise<SaveOutcome> {
    return new Promise((resolve, reject) => this.add(env, raw, (err, r) => (err === null ? resolve(r!) : reject(err))));
  }

  protected readonly flush = (): void => {
    this.scheduled = false;
    const batch = this.queue.splice(0, this.maxBatchSize);
    if (this.queue.length > 0) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
    if (batch.length > 0) this.commit(batch);
    this.checkIdle();
  };

  private commit(batch: Pending[]): void {
    const items = batch.map(({ env, raw }) => ({ env, raw }));
    let results: SaveOutcome[] | null | undefined;
    let deferred = false;
    try {
      if (this.store.saveMessagesUnsynced && this.store.syncWalNow) {
        results = this.store.saveMessagesUnsynced(items);
        deferred = results !== null;
      }
      results ??= this.store.saveMessages(items);
    } catch (err) {
      for (const b of batch) b.done(err);
      return;
    }
    this.lastCommitAt = Date.now();
    this.batches++;
    this.maxBatch = Math.max(this.maxBatch, batch.length);
    if (deferred) {
      let failed: unknown = null;
      try {
        this.store.syncWalNow!();
        this.syncs++;
      } catch (err) {
        failed = err;
      }
      // Committed but not known to be on disk: 451, the sender retries (a duplicate then).
      for (let i = 0; i < batch.length; i++) {
        if (failed === null) batch[i]!.done(null, results[i]!);
        else batch[i]!.done(failed);
      }
    } else {
      // Ack only now: the transaction has committed (durably: synchronous=FULL).
      for (let i = 0; i < batch.length; i++) batch[i]!.done(null, results[i]!);
    }
    // Processing may see the rows before their sync: its own commits come later in the same
    // WAL, so a power loss can drop them only together with (or after) the messages.
    reportNew(results, batch, this.onCommitted);
  }
}

/** Hand the new (non-duplicate) rows of a committed batch to processing. Best effort: a row it
 *  misses stays pending and is swept up (at start, or by the sweep). */
function reportNew(results: SaveOutcome[], batch: { env: Envelope }[], onCommitted: (ids: number[], envs: Envelope[]) => void): void {
  try {
    const ids: number[] = [];
    const envs: Envelope[] = [];
    results.forEach((r, i) => {
      if (r.duplicate) return;
      ids.push(r.id);
      envs.push(batch[i]!.env);
    });
    onCommitted(ids, envs);
  } catch {
    // see above: pending rows are picked up again
  }
}

/** What intake needs from a store that answers later: one INSERT for many messages, durable
 *  when the promise resolves; `compress: false` keeps gzip off the acknowledgement path. */
export interface AsyncIntakeStore {
  saveMessages(items: { env: Envelope; raw: Buffer }[], opts: { compress: boolean }): Promise<SaveOutcome[]>;
}

/** Messages per INSERT; what finishes while one commits makes the next. */
const ASYNC_MAX_BATCH = 200;
/** Commits in flight at once (each holds one pooled connection). */
const ASYNC_MAX_INFLIGHT = 4;

/**
 * Group commit on a store that answers later (PostgreSQL): the messages finished during one
 * event-loop turn share one INSERT, up to ASYNC_MAX_INFLIGHT of them in flight; done(null,
 * {id, duplicate}) once the row is committed, so the 250 follows the COMMIT; done(err) (451
 * upstream) when the database fails or cannot be reached.
 */
export class AsyncGroupCommitter extends TurnBatcher {
  private inflight = 0;

  constructor(
    private readonly store: AsyncIntakeStore,
    private readonly onCommitted: (ids: number[], envs: Envelope[]) => void,
  ) {
    super();
  }

  protected override isIdle(): boolean {
    return super.isIdle() && this.inflight === 0;
  }

  protected readonly flush = (): void => {
    this.scheduled = false;
    while (this.queue.length > 0 && this.inflight < ASYNC_MAX_INFLIGHT) {
      const batch = this.queue.splice(0, ASYNC_MAX_BATCH);
      this.inflight++;
      void this.store
        .saveMessages(batch.map(({ env, raw }) => ({ env, raw })), { compress: false })
        .then(
          (results) => {
            this.lastCommitAt = Date.now();
            batch.forEach((b, i) => b.done(null, results[i]!));
            reportNew(results, batch, this.onCommitted);
          },
          (err: unknown) => {
            const e = err instanceof DaemonError ? err : new DaemonError('store-write', `store: ${(err as Error)?.message ?? String(err)}`, { cause: err });
            for (const b of batch) b.done(e);
          },
        )
        .finally(() => {
          this.inflight--;
          if (this.queue.length > 0) this.schedule();
          else this.checkIdle();
        });
    }
    this.checkIdle();
  };
}
