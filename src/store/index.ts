/**
 * store - the one API the rest of rebound uses to remember bounces (better-sqlite3 stays in this
 * folder). Opens the SQLite file (db.ts), stores raw messages (messages.ts), runs the pipeline on
 * them (../pipeline.ts), records events (events.ts) and keeps Marketo address state (addresses.ts).
 *
 * In: Envelope + raw bytes from intake; addresses from the CLI, control socket and policy server.
 * Out: message ids, ProcessOutcome, MayISend, AddressState, history, lists, stats (including the
 * per-mailbox IMAP health rows the poller saves, so CLI processes can see them).
 * Config keys: store.path, store.busyTimeoutMs, state.suspendHours, state.escalation.*,
 * jobs.prune.messagesDays / eventsDays (via prune()). Schema: docs/SCHEMA.md; rules: docs/STATE-RULES.md.
 *
 * Every write is a short transaction so the daemon and CLI commands can share the file (WAL +
 * busy timeout). SQLite errors from writes are rethrown as DaemonError ('db-busy', 'disk-full',
 * 'store-write') so intake can answer 451 4.3.0.
 */
import type Database from 'better-sqlite3';
import { closeSync, fdatasync, fdatasyncSync, openSync } from 'node:fs';
import { resolve } from 'node:path';
import { DaemonError } from '../errors.js';
import { defaultAnalyze, planMessage, type AnalyzeFn, type AttributeFn, type ProcessOutcome, type ProcessPlan } from '../pipeline.js';
import type { Envelope } from '../types.js';
import {
  decideSend,
  defaultStateRules,
  emptyState,
  type AddressState,
  type MayISend,
  type StateRules,
} from './addresses.js';
import { openDb, type Db } from './db.js';
import {
  applyItem,
  eventItem,
  eventStatements,
  diagnosticIds,
  insertEvent,
  iterateHistory,
  recomputeAddress,
  rowToState,
  type EventStatements,
  type HistoryEntry,
} from './events.js';
import {
  hashRaw,
  insertMessage,
  loadMessage,
  packRaw,
  prepareMessage,
  type PreparedMessage,
  messageStatements,
  type MessageState,
  type MessageStatements,
  type StoredMessage,
} from './messages.js';
import { capText, MAX_STORED_PROBLEMS } from './limits.js';
import { normaliseAddress } from './normalise.js';
import { verifyAddresses, type StateDifference, type VerifyOptions, type VerifySummary } from './verify.js';

export type { AddressState, MayISend, SendVerdict, StateRules, Effect } from './addresses.js';
export type { HistoryEntry } from './events.js';
export type { StateDifference, VerifyOptions, VerifySummary } from './verify.js';
export type { AddressFold } from './addresses.js';
export type { MessageState, StoredMessage } from './messages.js';
export type { ProcessOutcome, ProcessPlan, AnalyzeFn, AttributeFn } from '../pipeline.js';
export { DamagedStoreError, SchemaTooNewError, SCHEMA_VERSION } from './db.js';
export { normaliseAddress } from './normalise.js';
export { defaultStateRules } from './addresses.js';

export interface StoreOptions {
  /** SQLite file (created with its directory), or ':memory:' for tests. Config: store.path. */
  path: string;
  /** Config: store.busyTimeoutMs (default 5000). */
  busyTimeoutMs?: number;
  readonly?: boolean;
  /** Milliseconds since the epoch; injectable so tests can move time. Default Date.now. */
  clock?: () => number;
  /** Config slice `state` (suspendHours, escalation). Missing keys take the defaults. */
  state?: Partial<StateRules> & { escalation?: Partial<StateRules['escalation']> };
  /** Replace analyzeMessage (tests feed hand-built Analysis objects through this). */
  analyze?: AnalyzeFn;
  /** Recipient for results whose report names none (e.g. from the VERP return path). */
  attribute?: AttributeFn;
  /** See OpenDbOptions.walAutocheckpoint (store/db.ts). */
  walAutocheckpoint?: number;
  /** Run PRAGMA quick_check at open (the daemon's start); a damaged file is refused either way. */
  check?: boolean;
}

export interface IngestCheck {
  sha256: string;
  /** Stored and processed already (a re-run, a resumed backfill): nothing left to do. */
  done: boolean;
}

export interface IngestItem {
  env: Envelope;
  raw: Buffer;
  sha256: string;
  /** From planMessage; null when ingestCheck said done. */
  plan: ProcessPlan | null;
  /** The raw bytes already gzipped (packRaw), e.g. by a worker thread. */
  gzip?: Buffer;
}

export interface SaveResult {
  id: number;
  duplicate: boolean;
}

export type ListKind = 'invalid' | 'suspended' | 'complained';

export interface ListEntry {
  address: string;
  /** invalid_at / suspended_at / complained_at. */
  at: number | null;
  cause: string;
  /** Suspended only: when mailing may resume, and whether that is still in the future. */
  until?: number;
  active?: boolean;
}

export type ResetWhat = 'invalid' | 'suspended' | 'complained' | 'all';

export interface ResetResult {
  address: string;
  /** False when the address had nothing to reset (still audited). */
  changed: boolean;
  before: AddressState;
  after: AddressState;
  actionId: number;
}

export interface ImportRow {
  address: string;
  what: 'invalid' | 'suspended' | 'complained';
  cause?: string;
  /** When the suppression happened (ms); default now. */
  at?: number;
}

export interface ImportResult {
  imported: number;
  skipped: { line: number; address: string; why: string }[];
}

export interface ReprocessFilter {
  ids?: number[];
  states?: MessageState[];
  /** received_at >= since (ms). */
  since?: number;
  until?: number;
  /** Every message (ids/states ignored). */
  all?: boolean;
}

export interface Stats {
  messages: Record<MessageState, number> & { total: number; rawBytes: number; pruned: number };
  events: { total: number; byCategory: Record<string, number>; byReason: Record<string, number>; byEffect: Record<string, number> };
  addresses: { known: number; invalid: number; suspended: number; suspendedNow: number; complained: number };
  /** Per IMAP mailbox, as the poller last saved it (table imap_health), in mailbox name order. */
  imap: ImapHealth[];
  schemaVersion: number;
}

/** One IMAP mailbox's latest pass outcomes (table imap_health). null = never / unknown. */
export interface ImapHealth {
  /** imap.mailboxes[].name */
  mailbox: string;
  lastRunAt: number | null;
  lastSuccessAt: number | null;
  /** The most recent failure's message (kept after a later success; compare the times). */
  lastError: string | null;
  lastErrorAt: number | null;
  /** Found but not handled at the end of the last successful pass. */
  backlog: number | null;
  /** Messages fetched by the last pass; null when it failed (a partial count is not known). */
  messagesLastRun: number | null;
  /** When the row was last written (the store's clock). */
  updatedAt: number;
}

/** What saveImapHealth takes: fields left undefined keep their stored value (null clears). */
export type ImapHealthUpdate = { mailbox: string } & Partial<Omit<ImapHealth, 'mailbox' | 'updatedAt'>>;

export interface ImapCursor {
  uidValidity: number;
  lastUid: number;
}

export interface AddressStatus extends AddressState {
  /** False when no event or action mentions the address. */
  known: boolean;
  mayISend: MayISend;
}

export interface Store {
  readonly path: string;
  saveMessage(env: Envelope, raw: Buffer): SaveResult;
  saveMessages(items: { env: Envelope; raw: Buffer }[]): SaveResult[];
  /**
   * saveMessages whose commit does not wait for the disk (synchronous=NORMAL for this one
   * transaction: written to the WAL, not yet fsynced), so the event loop is not blocked by an
   * fsync; syncWal() then makes every commit so far durable from the libuv thread pool. The caller
   * must not tell anyone a message is safe before syncWal's callback. Returns null when the store
   * is not a WAL file (':memory:', read-only): use saveMessages then.
   */
  saveMessagesUnsynced(items: { env: Envelope; raw: Buffer }[]): SaveResult[] | null;
  /** fdatasync the WAL file off the event loop: with the commits before it, this is what
   *  synchronous=FULL does after each commit. Calls back with null when there is no WAL. */
  syncWal(cb: (err: Error | null) => void): void;
  /** The same, blocking the calling thread (for a thread that does nothing else meanwhile: no
   *  thread-pool handoff, which costs more CPU than the sync itself on a small VM). Throws on error. */
  syncWalNow(): void;
  getMessage(id: number): StoredMessage | undefined;
  /** Save and process a batch in one go (CLI ingest, bench): analysis runs before the write
   *  transaction, and the raw bytes are not read back. Same results as saveMessages + processIds. */
  ingestMessages(items: { env: Envelope; raw: Buffer }[]): Promise<(SaveResult & { outcome: ProcessOutcome })[]>;
  /** ingestMessages in two steps, for a pipelined ingest (cli/ingest.ts): the content hash and
   *  whether the message is already stored and finished (then it needs no analysis)... */
  ingestCheck(raw: Buffer): IngestCheck;
  /** ...then one transaction that stores each message (a duplicate is found, not stored twice) and
   *  commits its plan (null: already finished, nothing to do). Plans commit in the order given.
   *  `relaxed`: without an fsync (synchronous=NORMAL; atomic all the same) - for a backfill from
   *  files, which calls syncWalNow() at the end: a power loss meanwhile loses the last batches,
   *  which running the same command again redoes. */
  commitIngest(items: IngestItem[], opts?: { relaxed?: boolean }): (SaveResult & { outcome: ProcessOutcome })[];
  /** The plan of a message not stored yet: its analysis (this store's analyzer, or `analyze`, e.g.
   *  a worker thread's) and this store's attribution. */
  planIngest(item: { env: Envelope; raw: Buffer }, analyze?: AnalyzeFn): Promise<ProcessPlan>;
  processMessage(id: number, opts?: { force?: boolean }): Promise<ProcessOutcome>;
  /** Process up to `limit` pending messages (oldest first), in batches; returns how many. */
  processPending(limit?: number, opts?: { relaxed?: boolean }): Promise<number>;
  /** Like processPending but returns every outcome (for summaries). `relaxed`: commit without an
   *  fsync (synchronous=NORMAL): for the daemon's pipeline, whose results are derived from the
   *  durable raw message - a power loss can only put messages back to pending, to be redone.
   *  Asynchronous because the analysis is (mailparser); each batch's plans are made first, then
   *  committed in one synchronous transaction, so other writers of this connection (the group
   *  commit of intake) run between analyses but never inside a processing transaction. */
  processIds(ids: number[], opts?: { force?: boolean; relaxed?: boolean }): Promise<ProcessOutcome[]>;
  mayISend(address: string, now?: number): MayISend;
  addressStatus(address: string, now?: number): AddressStatus;
  history(address: string, limit?: number): HistoryEntry[];
  list(kind: ListKind, since?: number, now?: number): ListEntry[];
  /** list() read as iterated (flat memory on any number of addresses), oldest first. */
  listEntries(kind: ListKind, since?: number, now?: number): IterableIterator<ListEntry>;
  /** history() read as iterated, newest first (flat memory on any length of history). */
  historyEntries(address: string, limit?: number): IterableIterator<HistoryEntry>;
  /** Every known address (for export), in address order, read as iterated (one statement: a
   *  consistent snapshot). `flagged`: only invalid, suspended or complained ones. */
  exportAddresses(opts?: { flagged?: boolean }): IterableIterator<AddressState>;
  reset(address: string, what: ResetWhat, reason: string, who: string): ResetResult;
  /**
   * Fold every address's whole history again and compare with its stored row (`rebound
   * verify-state`); yields each difference, returns the counts. `repair` replaces differing rows
   * by the fold. Addresses given are normalised first. Flat memory: a chunk per transaction.
   */
  verifyState(opts?: VerifyOptions): Generator<StateDifference, VerifySummary>;
  importSuppressions(rows: ImportRow[], who: string): ImportResult;
  stats(now?: number): Stats;
  /** Re-run the pipeline on matching messages (force); returns the outcomes. */
  reprocess(filter: ReprocessFilter): Promise<ProcessOutcome[]>;
  setImapCursor(account: string, folder: string, cursor: ImapCursor): void;
  getImapCursor(account: string, folder: string): ImapCursor | undefined;
  /** Upsert one mailbox's health row (merge: undefined fields keep their stored value); returns the row. */
  saveImapHealth(h: ImapHealthUpdate): ImapHealth;
  /** Every mailbox's health row, or one (by name), in name order. */
  getImapHealth(mailbox?: string): ImapHealth[];
  checkpoint(): void;
  backup(file: string): Promise<void>;
  /** Drop raw bodies of finished messages older than messagesOlderThanMs (age, ms); with
   *  eventsOlderThanMs also delete old events that cannot affect state. */
  prune(messagesOlderThanMs: number, eventsOlderThanMs?: number): { rawDropped: number; eventsDeleted: number };
  close(): void;
}

const BATCH = 200;
const EMPTY = Buffer.alloc(0);
const PRUNE_CHUNK = 5000;

export function openStore(opts: StoreOptions): Store {
  const db = openDb(opts);
  const rules: StateRules = {
    suspendHours: opts.state?.suspendHours ?? defaultStateRules.suspendHours,
    escalation: { ...defaultStateRules.escalation, ...(opts.state?.escalation ?? {}) },
  };
  return new SqliteStore(db, opts.path, opts.clock ?? Date.now, rules, opts.analyze ?? defaultAnalyze, opts.attribute);
}

class SqliteStore implements Store {
  private readonly m: MessageStatements;
  private readonly e: EventStatements;
  private closed = false;
  /** Pre-compiled synchronous switches; null when the file is not in WAL mode. */
  private readonly sync: { normal: Database.Statement; full: Database.Statement } | null;
  private walFd: number | null = null;

  constructor(
    private readonly db: Db,
    readonly path: string,
    private readonly clock: () => number,
    private readonly rules: StateRules,
    private readonly analyze: AnalyzeFn,
    private readonly attribute: AttributeFn | undefined,
  ) {
    this.m = messageStatements(db);
    this.e = eventStatements(db);
    if (!db.readonly) this.recomputeMigrated();
    const wal = !db.readonly && !db.memory && String(db.pragma('journal_mode', { simple: true })).toLowerCase() === 'wal';
    this.sync = wal ? { normal: db.prepare('PRAGMA synchronous = NORMAL'), full: db.prepare('PRAGMA synchronous = FULL') } : null;
  }

  /** Addresses that migration 0004 merged (two old keys, one normal form): fold them again from all
   *  their events and actions, with this store's rules, once. */
  private recomputeMigrated(): void {
    const pending = this.db.prepare('SELECT address FROM address_recompute').pluck().all() as string[];
    if (pending.length === 0) return;
    const now = this.clock();
    this.db
      .transaction(() => {
        for (const a of pending) recomputeAddress(this.e, a, this.rules, now);
        this.db.prepare('DELETE FROM address_recompute').run();
      })
      .immediate();
  }

  /** Run fn with synchronous=NORMAL (no fsync at commit), then back to the FULL default. */
  private relaxed<T>(fn: () => T): T {
    if (!this.sync) return fn();
    this.sync.normal.run();
    try {
      return fn();
    } finally {
      this.sync.full.run();
    }
  }

  // ---- intake ----

  saveMessage(env: Envelope, raw: Buffer): SaveResult {
    return this.saveMessages([{ env, raw }])[0]!;
  }

  saveMessages(items: { env: Envelope; raw: Buffer }[], compress = true): SaveResult[] {
    if (items.length === 0) return [];
    // Hash and compress before taking the write lock, so other writers wait only for the inserts.
    const prepared = items.map((it) => prepareMessage(it.env, it.raw, compress));
    const now = this.clock();
    return this.write('save messages', () =>
      this.db.transaction(() => prepared.map((p) => insertMessage(this.m, p, now))).immediate(),
    );
  }

  saveMessagesUnsynced(items: { env: Envelope; raw: Buffer }[]): SaveResult[] | null {
    if (!this.sync) return null;
    // Uncompressed: the pipeline gzips the raw bytes later, off the acknowledgement's path.
    return this.relaxed(() => this.saveMessages(items, false));
  }

  /** The WAL file, opened once. The daemon's own connection keeps it (same inode) for as long as
   *  it is open; checkpoints truncate or rewrite it in place, and sync it themselves before they copy. */
  private walFile(): number {
    return (this.walFd ??= openSync(`${resolve(this.path)}-wal`, 'r'));
  }

  syncWal(cb: (err: Error | null) => void): void {
    if (!this.sync || this.closed) return void queueMicrotask(() => cb(null));
    let fd: number;
    try {
      fd = this.walFile();
    } catch (err) {
      return void queueMicrotask(() => cb(err as Error));
    }
    fdatasync(fd, (err) => cb(err));
  }

  syncWalNow(): void {
    if (!this.sync || this.closed) return;
    fdatasyncSync(this.walFile());
  }

  getMessage(id: number): StoredMessage | undefined {
    return loadMessage(this.m, id);
  }

  async ingestMessages(items: { env: Envelope; raw: Buffer }[]): Promise<(SaveResult & { outcome: ProcessOutcome })[]> {
    // Analyse outside the write lock; skip the analysis of messages we already finished.
    const batch: IngestItem[] = [];
    for (const it of items) {
      const check = this.ingestCheck(it.raw);
      const plan = check.done ? null : await this.planIngest(it);
      batch.push({ env: it.env, raw: it.raw, sha256: check.sha256, plan });
    }
    // From here to the end of the transaction nothing awaits: the batch commits as one unit.
    return this.commitIngest(batch);
  }

  ingestCheck(raw: Buffer): IngestCheck {
    const sha256 = hashRaw(raw);
    const known = this.m.byHash.get(sha256);
    const state = known ? this.m.state.get(known.id)?.state : undefined;
    return { sha256, done: state !== undefined && state !== 'pending' };
  }

  planIngest(item: { env: Envelope; raw: Buffer }, analyze?: AnalyzeFn): Promise<ProcessPlan> {
    return planMessage({ id: 0, raw: item.raw, env: item.env }, analyze ?? this.analyze, this.attribute);
  }

  commitIngest(items: IngestItem[], opts: { relaxed?: boolean } = {}): (SaveResult & { outcome: ProcessOutcome })[] {
    // Compress outside the write lock; a message already finished is not stored again (its
    // bytes are not needed: the INSERT finds the row and changes nothing).
    const prepared = items.map((it): PreparedMessage =>
      it.plan === null
        ? { env: it.env, sha256: it.sha256, size: it.raw.length, body: EMPTY, compression: 'gzip' }
        : { env: it.env, sha256: it.sha256, size: it.raw.length, body: it.gzip ?? packRaw(it.raw), compression: 'gzip' },
    );
    const now = this.clock();
    const commit = () =>
      this.db
        .transaction(() => {
          const refold = new Set<string>();
          const out = items.map((it, i) => {
            const saved = insertMessage(this.m, prepared[i]!, now);
            const plan = it.plan;
            const outcome: ProcessOutcome =
              plan === null
                ? { id: saved.id, state: this.m.state.get(saved.id)!.state, skipped: true, events: 0, addresses: [], categories: [] }
                : this.commitPlan({ ...plan, id: saved.id }, false, refold);
            return { ...saved, outcome };
          });
          this.refold(refold);
          return out;
        })
        .immediate();
    return this.write('ingest messages', () => (opts.relaxed ? this.relaxed(commit) : commit()));
  }

  // ---- processing ----

  async processMessage(id: number, opts: { force?: boolean } = {}): Promise<ProcessOutcome> {
    return (await this.processIds([id], opts))[0]!;
  }

  async processPending(limit = Number.MAX_SAFE_INTEGER, opts: { relaxed?: boolean } = {}): Promise<number> {
    let done = 0;
    while (done < limit) {
      const ids = this.m.pending.all(Math.min(BATCH, limit - done)).map((r) => r.id);
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
        const msg = loadMessage(this.m, id);
        if (!msg) throw new DaemonError('internal', `store: no message with id ${id}`);
        if (msg.raw && msg.compression === 'none') packs.push([packRaw(msg.raw), msg.id]);
        if (msg.state !== 'pending' && !opts.force) plans.push(skipped(msg));
        // A pruned finished message keeps its events (reprocessing it would erase them); a pending
        // one without raw bytes becomes 'failed' (planMessage says why) rather than pending for ever.
        else if (msg.raw === null && msg.state !== 'pending') plans.push(skipped(msg));
        else plans.push(await planMessage(msg, this.analyze, this.attribute));
      }
      // No await from here to the commit: the plans are written in one synchronous transaction
      // (commitPlan re-checks each row's state, as another writer may have finished it meanwhile).
      const commit = () =>
        this.db
          .transaction(() => {
            for (const [gz, id] of packs) this.m.pack.run(gz, id);
            const refold = new Set<string>();
            const out = plans.map((p) => ('skipped' in p ? p : this.commitPlan(p, opts.force ?? false, refold)));
            this.refold(refold);
            return out;
          })
          .immediate();
      const committed = this.write('process messages', () => (opts.relaxed ? this.relaxed(commit) : commit()));
      out.push(...committed);
    }
    return out;
  }

  /** Write one plan (caller holds the transaction, and refolds the addresses left in `refold` before
   *  it commits). Re-checks the state: another process may have won. */
  private commitPlan(p: ProcessPlan, force: boolean, refold: Set<string>): ProcessOutcome {
    const cur = this.m.state.get(p.id);
    if (!cur) throw new DaemonError('internal', `store: message ${p.id} vanished`);
    if (cur.state !== 'pending' && !force) {
      return { id: p.id, state: cur.state, skipped: true, events: 0, addresses: [], categories: [] };
    }
    const now = this.clock();
    const touched = this.recordEvents(p, cur.stored_at, now, refold);
    this.m.finish.run({
      id: p.id,
      state: p.state,
      error: p.error,
      messageType: p.analysis?.type ?? null,
      decodedBy: p.analysis?.decodedBy ?? null,
      problems: p.analysis && p.analysis.problems.length > 0 ? storedProblems(p.analysis.problems) : null,
      bounceAt: p.bounceAt,
      now,
    });
    const outcome: ProcessOutcome = {
      id: p.id,
      state: p.state,
      skipped: false,
      events: p.events.length,
      addresses: touched,
      categories: p.events.filter((e) => e.effect !== 'none' && e.effect !== 'delivered' && e.effect !== 'complaint').map((e) => e.result.category),
    };
    if (p.analysis) outcome.messageType = p.analysis.type;
    if (p.error !== null) outcome.error = p.error;
    return outcome;
  }

  /**
   * Replace a message's events and bring its addresses' rows up to date (caller holds the
   * transaction); returns the addresses touched. A new event is stepped into its address's row
   * (applyItem: O(1) when it comes after everything folded there). An address that had events of
   * this message before (a forced reprocess) goes into `refold`: its old events' effects cannot be
   * taken back one by one, so its whole history is folded again - once per transaction, after all
   * of it (refold()), however many of the batch's messages name it; until then its new events are
   * only inserted.
   */
  private recordEvents(p: ProcessPlan, storedAt: number, now: number, refold: Set<string>): string[] {
    const replaced = this.e.addressesOfMessage.all(p.id).map((r) => r.address);
    if (replaced.length > 0) this.e.deleteOfMessage.run(p.id);
    this.e.deleteDiagnosticsOfMessage.run(p.id);
    const diagnosticId = diagnosticIds(this.e, p.id);
    for (const a of replaced) if (a !== '') refold.add(a);
    const touched = new Set<string>(replaced);
    for (const ev of p.events) {
      const id = insertEvent(this.e, p.id, ev, diagnosticId);
      touched.add(ev.address);
      if (ev.address !== '' && !refold.has(ev.address)) applyItem(this.e, eventItem(id, storedAt, ev), ev.address, this.rules, now);
    }
    touched.delete('');
    return [...touched];
  }

  /** Fold each address again from its whole history (caller holds the transaction). */
  private refold(addresses: Set<string>): void {
    if (addresses.size === 0) return;
    const now = this.clock();
    for (const a of addresses) recomputeAddress(this.e, a, this.rules, now);
  }

  async reprocess(filter: ReprocessFilter): Promise<ProcessOutcome[]> {
    const where: string[] = ['raw IS NOT NULL'];
    const args: (string | number)[] = [];
    if (!filter.all) {
      if (filter.ids && filter.ids.length > 0) {
        where.push(`id IN (${filter.ids.map(() => '?').join(',')})`);
        args.push(...filter.ids);
      }
      if (filter.states && filter.states.length > 0) {
        where.push(`state IN (${filter.states.map(() => '?').join(',')})`);
        args.push(...filter.states);
      }
    }
    if (filter.since !== undefined) {
      where.push('received_at >= ?');
      args.push(filter.since);
    }
    if (filter.until !== undefined) {
      where.push('received_at < ?');
      args.push(filter.until);
    }
    if (!filter.all && !(filter.ids?.length || filter.states?.length) && filter.since === undefined && filter.until === undefined) {
      throw new Error('reprocess: give ids, states, a time range, or all');
    }
    const ids = (this.db.prepare(`SELECT id FROM messages WHERE ${where.join(' AND ')} ORDER BY id`).all(...args) as { id: number }[]).map((r) => r.id);
    return this.processIds(ids, { force: true });
  }

  // ---- address state ----

  private state(address: string): { s: AddressState; known: boolean } {
    const row = this.e.getAddress.get(address);
    return row ? { s: rowToState(row), known: true } : { s: emptyState(address), known: false };
  }

  mayISend(address: string, now?: number): MayISend {
    const a = normaliseAddress(address);
    return decideSend(this.state(a === '' ? address : a).s, this.rules, now ?? this.clock());
  }

  addressStatus(address: string, now?: number): AddressStatus {
    const a = normaliseAddress(address);
    const { s, known } = this.state(a === '' ? address : a);
    return { ...s, known, mayISend: decideSend(s, this.rules, now ?? this.clock()) };
  }

  history(address: string, limit = 100): HistoryEntry[] {
    return [...this.historyEntries(address, limit)];
  }

  list(kind: ListKind, since?: number, now?: number): ListEntry[] {
    return [...this.listEntries(kind, since, now)];
  }

  *listEntries(kind: ListKind, since?: number, now?: number): IterableIterator<ListEntry> {
    const col = kind === 'invalid' ? 'email_invalid' : kind === 'suspended' ? 'email_suspended' : 'complained';
    const atCol = kind === 'complained' ? 'complained_at' : `${col}_at`;
    const causeCol = kind === 'complained' ? "''" : `${col}_cause`;
    // The partial index on (at) of a WITHOUT ROWID table holds the address too: no sort.
    const rows = this.db
      .prepare(
        `SELECT address, ${atCol} AS at, ${causeCol} AS cause FROM addresses WHERE ${col} = 1 AND (? IS NULL OR ${atCol} >= ?) ORDER BY ${atCol}, address`,
      )
      .iterate(since ?? null, since ?? null) as IterableIterator<{ address: string; at: number | null; cause: string }>;
    const t = now ?? this.clock();
    for (const r of rows) {
      const e: ListEntry = { address: r.address, at: r.at, cause: r.cause };
      if (kind === 'suspended' && r.at !== null) {
        e.until = r.at + this.rules.suspendHours * 3_600_000;
        e.active = t < e.until;
      }
      yield e;
    }
  }

  historyEntries(address: string, limit = 100): IterableIterator<HistoryEntry> {
    const a = normaliseAddress(address);
    return iterateHistory(this.e, a === '' ? address : a, limit);
  }

  *exportAddresses(opts: { flagged?: boolean } = {}): IterableIterator<AddressState> {
    const where = opts.flagged ? ' WHERE email_invalid = 1 OR email_suspended = 1 OR complained = 1' : '';
    const it = this.db.prepare(`SELECT * FROM addresses${where} ORDER BY address`).iterate() as IterableIterator<Parameters<typeof rowToState>[0]>;
    for (const r of it) yield rowToState(r);
  }

  reset(address: string, what: ResetWhat, reason: string, who: string): ResetResult {
    const a = normaliseAddress(address);
    if (a === '') throw new Error(`reset: not an email address: ${JSON.stringify(address)}`);
    if (reason.trim() === '') throw new Error('reset: a reason is required (it is audited)');
    return this.write('reset', () =>
      this.db
        .transaction(() => {
          const now = this.clock();
          const before = this.state(a).s;
          const info = this.e.insertAction.run({
            address: a,
            action: 'reset',
            what,
            reason,
            who,
            at: now,
            before: JSON.stringify(before),
            after: null,
          });
          const actionId = Number(info.lastInsertRowid);
          const after = applyItem(this.e, { kind: 'action', id: actionId, order: now, action: 'reset', what, reason }, a, this.rules, now);
          this.e.setActionAfter.run(JSON.stringify(after), actionId);
          const changed =
            before.emailInvalid !== after.emailInvalid ||
            before.emailSuspended !== after.emailSuspended ||
            before.complained !== after.complained ||
            before.softBounces !== after.softBounces;
          return { address: a, changed, before, after, actionId };
        })
        .immediate(),
    );
  }

  verifyState(opts: VerifyOptions = {}): Generator<StateDifference, VerifySummary> {
    const o = { ...opts };
    if (opts.addresses) o.addresses = opts.addresses.map((a) => normaliseAddress(a) || a);
    return verifyAddresses(this.db, this.e, this.rules, this.clock, o);
  }

  importSuppressions(rows: ImportRow[], who: string): ImportResult {
    const result: ImportResult = { imported: 0, skipped: [] };
    const now = this.clock();
    for (let i = 0; i < rows.length; i += 1000) {
      this.write('import', () =>
        this.db
          .transaction(() => {
            rows.slice(i, i + 1000).forEach((r, j) => {
              const a = normaliseAddress(r.address);
              if (a === '') {
                result.skipped.push({ line: i + j + 1, address: r.address, why: 'not an email address' });
                return;
              }
              const at = r.at ?? now;
              const info = this.e.insertAction.run({
                address: a,
                action: 'import',
                what: r.what,
                reason: r.cause ?? '',
                who,
                at,
                before: null,
                after: null,
              });
              // An import dated in the past sorts before later items: applyItem folds again then.
              const id = Number(info.lastInsertRowid);
              applyItem(this.e, { kind: 'action', id, order: at, action: 'import', what: r.what, reason: r.cause ?? '' }, a, this.rules, now);
              result.imported++;
            });
          })
          .immediate(),
      );
    }
    return result;
  }

  // ---- reporting ----

  stats(now?: number): Stats {
    const t = now ?? this.clock();
    const messages = { pending: 0, processed: 0, 'not-a-bounce': 0, failed: 0, total: 0, rawBytes: 0, pruned: 0 };
    for (const r of this.db.prepare('SELECT state, count(*) AS n FROM messages GROUP BY state').all() as { state: MessageState; n: number }[]) {
      messages[r.state] = r.n;
      messages.total += r.n;
    }
    const raw = this.db.prepare('SELECT coalesce(sum(length(raw)), 0) AS b, sum(raw IS NULL) AS p FROM messages').get() as { b: number; p: number | null };
    messages.rawBytes = raw.b;
    messages.pruned = raw.p ?? 0;
    const group = (col: string): Record<string, number> => {
      const o: Record<string, number> = {};
      for (const r of this.db.prepare(`SELECT ${col} AS k, count(*) AS n FROM events GROUP BY ${col} ORDER BY ${col}`).all() as { k: string | number; n: number }[]) o[String(r.k)] = r.n;
      return o;
    };
    const byCategory = group('category');
    const total = Object.values(byCategory).reduce((x, y) => x + y, 0);
    const addr = this.db
      .prepare(
        `SELECT count(*) AS known, coalesce(sum(email_invalid), 0) AS invalid, coalesce(sum(email_suspended), 0) AS suspended,
           coalesce(sum(email_suspended = 1 AND email_suspended_at + ? > ?), 0) AS suspendedNow,
           coalesce(sum(complained), 0) AS complained FROM addresses`,
      )
      .get(this.rules.suspendHours * 3_600_000, t) as Stats['addresses'];
    return {
      messages,
      events: { total, byCategory, byReason: group('reason'), byEffect: group('effect') },
      addresses: addr,
      imap: this.getImapHealth(),
      schemaVersion: this.db.pragma('user_version', { simple: true }) as number,
    };
  }

  // ---- IMAP cursor ----

  setImapCursor(account: string, folder: string, cursor: ImapCursor): void {
    this.write('imap cursor', () =>
      this.db
        .prepare(
          `INSERT INTO imap_cursors (account, folder, uid_validity, last_uid, updated_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (account, folder) DO UPDATE SET uid_validity = excluded.uid_validity, last_uid = excluded.last_uid,
             updated_at = excluded.updated_at`,
        )
        .run(account, folder, cursor.uidValidity, cursor.lastUid, this.clock()),
    );
  }

  getImapCursor(account: string, folder: string): ImapCursor | undefined {
    const r = this.db
      .prepare('SELECT uid_validity AS uidValidity, last_uid AS lastUid FROM imap_cursors WHERE account = ? AND folder = ?')
      .get(account, folder) as ImapCursor | undefined;
    return r ? { uidValidity: Number(r.uidValidity), lastUid: Number(r.lastUid) } : undefined;
  }

  // ---- IMAP mailbox health ----

  saveImapHealth(h: ImapHealthUpdate): ImapHealth {
    return this.write('imap health', () =>
      this.db
        .transaction(() => {
          // Read-merge-write in one IMMEDIATE transaction: `rebound poll` and the daemon may both
          // write the same mailbox, and a failure must not erase the last success (or vice versa).
          const cur = this.getImapHealth(h.mailbox)[0];
          const keep = <T>(v: T | null | undefined, old: T | null | undefined): T | null => (v !== undefined ? v : (old ?? null));
          const row: ImapHealth = {
            mailbox: h.mailbox,
            lastRunAt: keep(h.lastRunAt, cur?.lastRunAt),
            lastSuccessAt: keep(h.lastSuccessAt, cur?.lastSuccessAt),
            lastError: keep(h.lastError, cur?.lastError),
            lastErrorAt: keep(h.lastErrorAt, cur?.lastErrorAt),
            backlog: keep(h.backlog, cur?.backlog),
            messagesLastRun: keep(h.messagesLastRun, cur?.messagesLastRun),
            updatedAt: this.clock(),
          };
          this.db
            .prepare(
              `INSERT INTO imap_health (mailbox, last_run_at, last_success_at, last_error, last_error_at, backlog, messages_last_run, updated_at)
               VALUES (@mailbox, @lastRunAt, @lastSuccessAt, @lastError, @lastErrorAt, @backlog, @messagesLastRun, @updatedAt)
               ON CONFLICT (mailbox) DO UPDATE SET last_run_at = excluded.last_run_at, last_success_at = excluded.last_success_at,
                 last_error = excluded.last_error, last_error_at = excluded.last_error_at, backlog = excluded.backlog,
                 messages_last_run = excluded.messages_last_run, updated_at = excluded.updated_at`,
            )
            .run(row);
          return row;
        })
        .immediate(),
    );
  }

  getImapHealth(mailbox?: string): ImapHealth[] {
    return this.db
      .prepare(
        `SELECT mailbox, last_run_at AS lastRunAt, last_success_at AS lastSuccessAt, last_error AS lastError,
           last_error_at AS lastErrorAt, backlog, messages_last_run AS messagesLastRun, updated_at AS updatedAt
         FROM imap_health WHERE ? IS NULL OR mailbox = ? ORDER BY mailbox`,
      )
      .all(mailbox ?? null, mailbox ?? null) as ImapHealth[];
  }

  // ---- maintenance ----

  checkpoint(): void {
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  async backup(file: string): Promise<void> {
    await this.db.backup(file);
  }

  prune(messagesOlderThanMs: number, eventsOlderThanMs?: number): { rawDropped: number; eventsDeleted: number } {
    const now = this.clock();
    // Chunks of PRUNE_CHUNK rows, one short transaction each: a prune of a year of mail must not
    // hold the write lock long enough for SMTP intake to hit its busy timeout.
    const chunked = (sql: string, cutoff: number): number => {
      const stmt = this.db.prepare(sql);
      let total = 0;
      for (;;) {
        const n = this.write('prune', () => this.db.transaction(() => stmt.run(cutoff, PRUNE_CHUNK).changes).immediate());
        total += n;
        if (n < PRUNE_CHUNK) return total;
      }
    };
    // Failed and pending messages keep their bytes: they still need (re)processing.
    const rawDropped = chunked(
      `UPDATE messages SET raw = NULL WHERE id IN (SELECT id FROM messages
         WHERE raw IS NOT NULL AND state IN ('processed', 'not-a-bounce') AND received_at < ? LIMIT ?)`,
      now - messagesOlderThanMs,
    );
    let eventsDeleted = 0;
    if (eventsOlderThanMs !== undefined) eventsDeleted = this.pruneEvents(now - eventsOlderThanMs);
    return { rawDropped, eventsDeleted };
  }

  /**
   * Delete old events that cannot set a flag, PRUNE_CHUNK per transaction, and fold the addresses
   * they belonged to again, so every row stays the fold of the history that is kept (what
   * `rebound verify-state` checks): their counters (events, soft bounces) then count the kept
   * history only. Invalid, suspend and complaint events are kept for ever (they are few); with
   * escalation on, soft bounces and deliveries are kept too, since a run of soft bounces may have
   * set a flag and a delivery ends such a run.
   */
  private pruneEvents(cutoff: number): number {
    const effects = this.rules.escalation.enabled ? "('none')" : "('none', 'delivered', 'soft')";
    const pick = this.db.prepare<[number, number], { id: number; address: string; message_id: number }>(
      `SELECT id, address, message_id FROM events WHERE at < ? AND effect IN ${effects} LIMIT ?`,
    );
    const del = this.db.prepare<[number]>('DELETE FROM events WHERE id = ?');
    const dropTexts = this.db.prepare<[number]>(
      'DELETE FROM diagnostics WHERE message_id = ? AND NOT EXISTS (SELECT 1 FROM events e WHERE e.diagnostic_id = diagnostics.id)',
    );
    let total = 0;
    for (;;) {
      const n = this.write('prune', () =>
        this.db
          .transaction(() => {
            const rows = pick.all(cutoff, PRUNE_CHUNK);
            const touched = new Set<string>();
            const messages = new Set<number>();
            for (const r of rows) {
              del.run(r.id);
              messages.add(r.message_id);
              if (r.address !== '') touched.add(r.address);
            }
            const now = this.clock();
            for (const a of touched) recomputeAddress(this.e, a, this.rules, now);
            // Texts no event refers to any more (the message row itself stays).
            for (const m of messages) dropTexts.run(m);
            return rows.length;
          })
          .immediate(),
      );
      total += n;
      if (n < PRUNE_CHUNK) return total;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
    if (this.walFd !== null) closeSync(this.walFd);
    this.walFd = null;
  }

  /** Run a write; turn SQLite failures into DaemonError with a code intake understands. */
  private write<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof DaemonError) throw err;
      const code = String((err as { code?: unknown } | null)?.code ?? '');
      if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
        throw new DaemonError('db-busy', `store: ${what}: database busy`, { cause: err });
      }
      if (code === 'SQLITE_FULL' || code === 'ENOSPC') throw new DaemonError('disk-full', `store: ${what}: disk full`, { cause: err });
      if (code.startsWith('SQLITE_')) throw new DaemonError('store-write', `store: ${what}: ${(err as Error).message}`, { cause: err });
      throw err;
    }
  }
}

/** A message's problems as stored: JSON, at most MAX_STORED_PROBLEMS characters (the last entry
 *  says how many were left out). */
function storedProblems(problems: string[]): string {
  const kept: string[] = [];
  let size = 2;
  for (const [i, p] of problems.entries()) {
    const one = capText(p, 1000);
    if (size + one.length + 4 > MAX_STORED_PROBLEMS - 60) {
      kept.push(`... ${problems.length - i} more problems not stored`);
      break;
    }
    kept.push(one);
    size += JSON.stringify(one).length + 1;
  }
  return JSON.stringify(kept);
}

function skipped(msg: StoredMessage): ProcessOutcome {
  const o: ProcessOutcome = { id: msg.id, state: msg.state, skipped: true, events: 0, addresses: [], categories: [] };
  if (msg.raw === null) o.error = 'raw message pruned';
  return o;
}
