/**
 * store/sqlite-api - the SQLite store behind the asynchronous seam (StoreApi, api.ts): a thin
 * adapter over the synchronous modules (the `Store` openStore puts together), so the CLI, the
 * socket, the IMAP poller and the pipeline ask SQLite and PostgreSQL the same questions. The
 * SQLite daemon's writer thread and reader processes keep using the synchronous modules directly
 * (no promise per call on the hot path).
 *
 * Processing: a batch's messages are read and planned first (the planner is asynchronous, and may
 * be slow), then committed in one synchronous write transaction that checks each row's state again
 * (commitPlans). A claim holds its messages in this handle while it plans them, so concurrent
 * claims take different messages, as on PostgreSQL; one daemon writes a SQLite file, so no other
 * process's claim needs skipping. IMAP leases are granted at once and not stored, for that reason.
 *
 * Iterations (history, lists, export) step a statement that stays open between rows: nothing else
 * may use this handle until the loop ends (the CLI commands do one thing each).
 */
import { DaemonError } from '../errors.js';
import type { Envelope } from '../types.js';
import type {
  AddressStatus,
  ImapCursor,
  ImapHealth,
  ImapHealthUpdate,
  ImportResult,
  ImportRow,
  IngestCheck,
  IngestItem,
  ListEntry,
  ListKind,
  Planner,
  ProcessOutcome,
  ProcessPlan,
  ReprocessFilter,
  ResetResult,
  ResetWhat,
  SaveResult,
  Stats,
  Store,
  StoreApi,
} from './api.js';
import type { HistoryEntry } from './events.js';
import { packRaw, type StoredMessage } from './messages.js';
import type { AddressState, MayISend } from './state-rules.js';
import type { StateDifference, VerifyOptions, VerifySummary } from './verify.js';

/** Messages per write transaction (as pipeline/run.ts). */
const BATCH = 200;

export class SqliteStoreApi implements StoreApi {
  readonly backend = 'sqlite' as const;
  readonly path: string;

  constructor(
    /** The synchronous store this adapts (its owner: close() closes it). */
    readonly syncStore: Store,
  ) {
    this.path = syncStore.path;
  }

  private closed = false;
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.syncStore.close();
  }

  // ---- messages ----
  async saveMessage(env: Envelope, raw: Buffer): Promise<SaveResult> {
    return this.syncStore.saveMessage(env, raw);
  }
  async saveMessages(items: { env: Envelope; raw: Buffer }[], opts: { compress?: boolean } = {}): Promise<SaveResult[]> {
    return this.syncStore.saveMessages(items, opts.compress ?? true);
  }
  async getMessage(id: number): Promise<StoredMessage | undefined> {
    return this.syncStore.getMessage(id);
  }
  async pendingIds(limit: number): Promise<number[]> {
    return this.syncStore.pendingIds(limit);
  }
  async selectIds(filter: ReprocessFilter): Promise<number[]> {
    return this.syncStore.selectIds(filter);
  }
  async ingestChecks(raws: readonly Buffer[]): Promise<IngestCheck[]> {
    return raws.map((r) => this.syncStore.ingestCheck(r));
  }
  async commitIngest(items: IngestItem[], opts: { relaxed?: boolean } = {}): Promise<(SaveResult & { outcome: ProcessOutcome })[]> {
    return this.syncStore.commitIngest(items, opts);
  }
  async sync(): Promise<void> {
    this.syncStore.syncWalNow();
  }
  async durabilityWarning(): Promise<string> {
    return '';
  }

  // ---- processing ----
  /** Messages a claim of this handle is planning now: another claim skips them, as PostgreSQL's
   *  FOR UPDATE SKIP LOCKED skips the rows another daemon holds (a pipeline keeps two claims in
   *  flight; without this both would plan the same messages and one would find them finished). */
  private readonly held = new Set<number>();

  async claimPending(limit: number, plan: Planner, opts: { relaxed?: boolean } = {}): Promise<ProcessOutcome[]> {
    const ids = this.syncStore
      .pendingIds(limit + this.held.size)
      .filter((id) => !this.held.has(id))
      .slice(0, limit);
    return ids.length === 0 ? [] : this.holding(ids, () => this.processIds(ids, plan, { relaxed: opts.relaxed }));
  }
  async claimIds(ids: number[], plan: Planner, opts: { relaxed?: boolean } = {}): Promise<ProcessOutcome[]> {
    const free = [...new Set(ids.filter((id) => !this.held.has(id)))];
    const got = free.length === 0 ? [] : await this.holding(free, () => this.processIds(free, plan, { relaxed: opts.relaxed }));
    const byId = new Map(got.map((o) => [o.id, o]));
    return ids.map((id) => byId.get(id) ?? { id, state: 'pending' as const, skipped: true, events: 0, addresses: [], categories: [] });
  }
  private async holding<T>(ids: number[], fn: () => Promise<T>): Promise<T> {
    for (const id of ids) this.held.add(id);
    try {
      return await fn();
    } finally {
      for (const id of ids) this.held.delete(id);
    }
  }
  async processIds(ids: number[], plan: Planner, opts: { force?: boolean; relaxed?: boolean } = {}): Promise<ProcessOutcome[]> {
    const out: ProcessOutcome[] = [];
    for (let i = 0; i < ids.length; i += BATCH) {
      // Plan outside the transaction (CPU-bound, may be slow) so the write lock is held only for
      // the inserts; then commit the batch in one IMMEDIATE transaction (group commit).
      const plans: (ProcessPlan | ProcessOutcome)[] = [];
      // Raw bytes stored uncompressed (the SMTP intake's), gzipped here outside the transaction.
      const packs: [Buffer, number][] = [];
      for (const id of ids.slice(i, i + BATCH)) {
        const msg = this.syncStore.getMessage(id);
        if (!msg) throw new DaemonError('internal', `store: no message with id ${id}`);
        if (msg.raw && msg.compression === 'none') packs.push([packRaw(msg.raw), msg.id]);
        if (msg.state !== 'pending' && !opts.force) plans.push(skipped(msg));
        // A pruned finished message keeps its events (reprocessing it would erase them); a pending
        // one without raw bytes becomes 'failed' (the planner says why) rather than pending for ever.
        else if (msg.raw === null && msg.state !== 'pending') plans.push(skipped(msg));
        else plans.push(await plan(msg));
      }
      // No await from here: the batch's plans commit in one synchronous transaction.
      out.push(...this.syncStore.commitPlans(plans, packs, opts));
    }
    return out;
  }

  // ---- addresses ----
  async mayISend(address: string, now?: number): Promise<MayISend> {
    return this.syncStore.mayISend(address, now);
  }
  async addressStatus(address: string, now?: number): Promise<AddressStatus> {
    return this.syncStore.addressStatus(address, now);
  }
  async history(address: string, limit?: number): Promise<HistoryEntry[]> {
    return this.syncStore.history(address, limit);
  }
  async *historyEntries(address: string, limit?: number): AsyncIterable<HistoryEntry> {
    yield* this.syncStore.historyEntries(address, limit);
  }
  async list(kind: ListKind, since?: number, now?: number): Promise<ListEntry[]> {
    return this.syncStore.list(kind, since, now);
  }
  async *listEntries(kind: ListKind, since?: number, now?: number): AsyncIterable<ListEntry> {
    yield* this.syncStore.listEntries(kind, since, now);
  }
  async *exportAddresses(opts: { flagged?: boolean } = {}): AsyncIterable<AddressState> {
    yield* this.syncStore.exportAddresses(opts);
  }
  async reset(address: string, what: ResetWhat, reason: string, who: string): Promise<ResetResult> {
    return this.syncStore.reset(address, what, reason, who);
  }
  async importSuppressions(rows: ImportRow[], who: string): Promise<ImportResult> {
    return this.syncStore.importSuppressions(rows, who);
  }
  async *verifyState(opts?: VerifyOptions): AsyncGenerator<StateDifference, VerifySummary> {
    const it = this.syncStore.verifyState(opts);
    for (let r = it.next(); ; r = it.next()) {
      if (r.done) return r.value;
      yield r.value;
    }
  }

  // ---- IMAP state ----
  async getImapCursor(account: string, folder: string): Promise<ImapCursor | undefined> {
    return this.syncStore.getImapCursor(account, folder);
  }
  async setImapCursor(account: string, folder: string, cursor: ImapCursor): Promise<boolean> {
    this.syncStore.setImapCursor(account, folder, cursor);
    return true;
  }
  /** Granted at once: one daemon owns a SQLite file, and nothing else polls through it. */
  async acquireImapLease(): Promise<boolean> {
    return true;
  }
  async releaseImapLease(): Promise<void> {}
  async imapLeaseHolder(): Promise<string | null> {
    return null;
  }
  async saveImapHealth(h: ImapHealthUpdate): Promise<ImapHealth> {
    return this.syncStore.saveImapHealth(h);
  }
  async getImapHealth(mailbox?: string): Promise<ImapHealth[]> {
    return this.syncStore.getImapHealth(mailbox);
  }

  // ---- maintenance ----
  async stats(now?: number): Promise<Stats> {
    return this.syncStore.stats(now);
  }
  async prune(messagesOlderThanMs: number, eventsOlderThanMs?: number): Promise<{ rawDropped: number; eventsDeleted: number }> {
    return this.syncStore.prune(messagesOlderThanMs, eventsOlderThanMs);
  }
  async checkpoint(): Promise<void> {
    this.syncStore.checkpoint();
  }
  backup(file: string): Promise<void> {
    return this.syncStore.backup(file);
  }
}

/** Nothing to do for this message: already finished, or its raw bytes pruned. */
export function skipped(msg: StoredMessage): ProcessOutcome {
  const o: ProcessOutcome = { id: msg.id, state: msg.state, skipped: true, events: 0, addresses: [], categories: [] };
  if (msg.raw === null) o.error = 'raw message pruned';
  return o;
}
