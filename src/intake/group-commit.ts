/**
 * intake/group-commit - group commit for SMTP/LMTP intake: messages finished at about the same
 * time share one SQLite transaction and one WAL fdatasync, and each is answered (done) only after
 * that sync. Used by the daemon's writer thread (daemon-worker.ts, blocking sync) or in the main
 * thread (sync in libuv's pool).
 * In: (envelope, raw bytes, done) per message. Out: done(null, {id, duplicate}) once durable, or
 * done(err) - answered 451 upstream. Config keys: none (store.path through the store).
 */
import type { Envelope } from '../types.js';

/** What intake needs from the store: one transaction for many messages. */
export interface IntakeStore {
  saveMessages(items: { env: Envelope; raw: Buffer }[]): { id: number; duplicate: boolean }[];
  /** Commit without waiting for the disk (null: not possible, use saveMessages); see syncWal. */
  saveMessagesUnsynced?(items: { env: Envelope; raw: Buffer }[]): { id: number; duplicate: boolean }[] | null;
  /** Make every commit so far durable (fdatasync of the WAL, off the event loop). */
  syncWal?(cb: (err: Error | null) => void): void;
  /** The same, blocking (GroupCommitter's blockingSync). */
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
 * Group commit. With a store that can split commit and fsync (a WAL file), WAL fdatasyncs run in
 * the thread pool, at most MAX_SYNCS at once; messages finished while they run wait, and when one
 * returns they are committed together in one transaction (synchronous=NORMAL: no fsync inside it)
 * and their sync starts at once. A message is answered only after the sync that covers its commit, as
 * synchronous=FULL would, but the event loop keeps serving other sessions while the disk works,
 * and under load each transaction and each fsync carries everything that arrived during the
 * previous fsync. Without that (':memory:', test stores) messages finished during one event-loop
 * turn share one plain durable saveMessages.
 */
/** WAL syncs allowed at once: with two, a batch committed while one runs starts its own sync
 *  at once instead of waiting for the first to return (measured: ~10 % more acks/s than one). */
const MAX_SYNCS = 2;

export class GroupCommitter implements Committer {
  private queue: Pending[] = [];
  private scheduled = false;
  /** Committed, waiting for a WAL sync. */
  private unsynced: { p: Pending; r: SaveOutcome }[] = [];
  /** WAL syncs running now (each covers every commit before it started). */
  private syncing = 0;
  private idle: (() => void)[] = [];
  /** Largest batch committed so far, for the bench and the logs. */
  maxBatch = 0;
  batches = 0;
  syncs = 0;
  /** When the last batch committed (ms); the daemon lets processing yield while this is recent. */
  lastCommitAt = 0;

  constructor(
    private readonly store: IntakeStore,
    /** New (non-duplicate) rows, with their envelopes, as soon as they are committed. */
    private readonly onCommitted: (ids: number[], envs: Envelope[]) => void = () => {},
    private readonly maxBatchSize = 500,
    /** Sync in this thread right after each commit instead of in the thread pool: for a thread
     *  that only commits (the daemon's writer thread), where messages arriving during the sync
     *  simply make the next batch larger, and the pool's two thread handoffs per batch are saved. */
    private readonly blockingSync = false,
  ) {}

  submit(env: Envelope, raw: Buffer): Promise<SaveOutcome> {
    return new Promise((resolve, reject) => this.add(env, raw, (err, r) => (err === null ? resolve(r!) : reject(err))));
  }

  /** Callback form of submit (no promise per message): done(null, outcome) after the commit is durable. */
  add(env: Envelope, raw: Buffer, done: (err: unknown, r?: SaveOutcome) => void): void {
    this.queue.push({ env, raw, done });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Resolves once nothing is queued or waiting for its sync (used when draining). */
  drained(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  private isIdle(): boolean {
    return this.queue.length === 0 && !this.scheduled && this.unsynced.length === 0 && this.syncing === 0;
  }

  private checkIdle(): void {
    if (this.isIdle()) for (const r of this.idle.splice(0)) r();
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    // Enough syncs running: the batch grows until one returns (startSync's callback flushes).
    if (this.syncing >= MAX_SYNCS) return;
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
      if (this.store.saveMessagesUnsynced && this.store.syncWal) {
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
    if (deferred && this.blockingSync && this.store.syncWalNow) {
      let failed: unknown = null;
      try {
        this.store.syncWalNow();
        this.syncs++;
      } catch (err) {
        failed = err;
      }
      // Committed but not known to be on disk: 451, the sender retries (a duplicate then).
      for (let i = 0; i < batch.length; i++) {
        if (failed === null) batch[i]!.done(null, results[i]!);
        else batch[i]!.done(failed);
      }
    } else if (deferred) {
      for (let i = 0; i < batch.length; i++) this.unsynced.push({ p: batch[i]!, r: results[i]! });
      this.startSync();
    } else {
      // Ack only now: the transaction has committed (durably: synchronous=FULL).
      for (let i = 0; i < batch.length; i++) batch[i]!.done(null, results[i]!);
    }
    try {
      // Processing may see the rows before their sync: its own commits come later in the same
      // WAL, so a power loss can drop them only together with (or after) the messages.
      const ids: number[] = [];
      const envs: Envelope[] = [];
      results.forEach((r, i) => {
        if (r.duplicate) return;
        ids.push(r.id);
        envs.push(batch[i]!.env);
      });
      this.onCommitted(ids, envs);
    } catch {
      // Processing is best effort here; pending rows are picked up again at start.
    }
  }

  private startSync(): void {
    if (this.syncing >= MAX_SYNCS || this.unsynced.length === 0) return;
    this.syncing++;
    const group = this.unsynced;
    this.unsynced = [];
    this.store.syncWal!((err) => {
      this.syncing--;
      this.syncs++;
      // Committed but not known to be on disk: 451, the sender retries (and the retry is
      // recognised as a duplicate by its sha256).
      if (err) for (const g of group) g.p.done(err);
      else for (const g of group) g.p.done(null, g.r);
      if (this.queue.length > 0 && !this.scheduled) this.flush();
      else this.startSync();
      this.checkIdle();
    });
  }
}
