/**
 * store/api - what the rest of rebound may ask of a store, and the values it takes and gives.
 *
 * StoreApi (at the end) is the one asynchronous seam both backends implement, and what the CLI,
 * the status socket, the IMAP poller and the pipeline use: PostgreSQL directly (postgresql/index.ts
 * openPgStore), SQLite through a thin adapter (sqlite-api.ts) over the synchronous modules;
 * open.ts openStoreApi opens the configured one (docs/ARCHITECTURE.md "The store seam").
 *
 * Store (the five narrow synchronous interfaces, one per job: messages, results, addresses, IMAP
 * state, maintenance) is SQLite's own, as better-sqlite3 is synchronous: messages.ts, results.ts,
 * addresses.ts, imap-state.ts and maintenance.ts over one connection (context.ts), put together by
 * openStore (index.ts). The SQLite daemon's writer thread and reader processes use it directly, for
 * speed. Nothing above store/ sees a statement.
 */
import type { Analysis, Envelope } from '../types.js';
import type { EventInput, HistoryEntry } from './events.js';
import type { MessageState, StoredMessage } from './messages.js';
import type { AddressState, MayISend } from './state-rules.js';
import type { StateDifference, VerifyOptions, VerifySummary } from './verify.js';

/** What processing decided about one message, before it is committed (pipeline/plan.ts makes it). */
export interface ProcessPlan {
  id: number;
  state: MessageState;
  error: string | null;
  analysis: Analysis | null;
  bounceAt: number | null;
  events: EventInput[];
}

export interface ProcessOutcome {
  id: number;
  state: MessageState;
  /** True when nothing was done (already processed, or raw pruned). */
  skipped: boolean;
  messageType?: string;
  /** Events recorded. */
  events: number;
  /** Normalised addresses whose state was recomputed. */
  addresses: string[];
  /** Categories of the recorded failures (for summaries). */
  categories: number[];
  error?: string;
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

/**
 * One mailbox's health row after an update, on either backend: a field the update leaves
 * undefined keeps its stored value (a failed pass must not erase the last success, nor a success
 * the last error); null clears it.
 */
export function mergeImapHealth(h: ImapHealthUpdate, cur: ImapHealth | undefined, updatedAt: number): ImapHealth {
  const keep = <T>(v: T | null | undefined, old: T | null | undefined): T | null => (v !== undefined ? v : (old ?? null));
  return {
    mailbox: h.mailbox,
    lastRunAt: keep(h.lastRunAt, cur?.lastRunAt),
    lastSuccessAt: keep(h.lastSuccessAt, cur?.lastSuccessAt),
    lastError: keep(h.lastError, cur?.lastError),
    lastErrorAt: keep(h.lastErrorAt, cur?.lastErrorAt),
    backlog: keep(h.backlog, cur?.backlog),
    messagesLastRun: keep(h.messagesLastRun, cur?.messagesLastRun),
    updatedAt,
  };
}

export interface ImapCursor {
  uidValidity: number;
  lastUid: number;
}

export interface AddressStatus extends AddressState {
  /** False when no event or action mentions the address. */
  known: boolean;
  mayISend: MayISend;
}

/** Raw messages: intake's durable commit, and what processing reads back. */
export interface MessageStore {
  readonly path: string;
  saveMessage(env: Envelope, raw: Buffer): SaveResult;
  /** `compress` false stores the bytes as received (processing gzips them later). */
  saveMessages(items: { env: Envelope; raw: Buffer }[], compress?: boolean): SaveResult[];
  /**
   * saveMessages whose commit does not wait for the disk (synchronous=NORMAL for this one
   * transaction: written to the WAL, not yet fsynced); syncWalNow() then makes every commit so far
   * durable. The caller must not tell anyone a message is safe before that. Returns null when the
   * store is not a WAL file (':memory:', read-only): use saveMessages then.
   */
  saveMessagesUnsynced(items: { env: Envelope; raw: Buffer }[]): SaveResult[] | null;
  /** fdatasync the WAL file, blocking the calling thread (the writer thread, which does nothing
   *  else meanwhile): with the commits before it, what synchronous=FULL does after each commit. */
  syncWalNow(): void;
  getMessage(id: number): StoredMessage | undefined;
  /** Ids of pending messages, oldest first, at most `limit`. */
  pendingIds(limit: number): number[];
  /** Ids of the messages a reprocess filter selects (raw bytes kept), in id order. */
  selectIds(filter: ReprocessFilter): number[];
  /** The content hash of a message and whether it is already stored and finished (then it needs
   *  no analysis: a re-run, a resumed backfill). */
  ingestCheck(raw: Buffer): IngestCheck;
}

/** Processing results: a batch of plans becomes events and address rows in one transaction. */
export interface ResultStore {
  /**
   * Commit plans made outside any transaction (an outcome in the list is a message skipped while
   * planning: passed through). `packs`: raw bytes stored uncompressed, gzipped by the caller, to
   * replace them in the same transaction. Each row's state is checked again (another writer may
   * have finished it meanwhile); `force` replaces a finished message's events (reprocess).
   * `relaxed`: commit without an fsync (synchronous=NORMAL): results derived from the durable raw
   * message, which a power loss can only put back to pending.
   */
  commitPlans(plans: (ProcessPlan | ProcessOutcome)[], packs: [Buffer, number][], opts?: { force?: boolean; relaxed?: boolean }): ProcessOutcome[];
  /** ...then one transaction that stores each message (a duplicate is found, not stored twice) and
   *  commits its plan (null: already finished, nothing to do). Plans commit in the order given.
   *  `relaxed`: without an fsync (synchronous=NORMAL; atomic all the same) - for a backfill from
   *  files, which calls syncWalNow() at the end: a power loss meanwhile loses the last batches,
   *  which running the same command again redoes. */
  commitIngest(items: IngestItem[], opts?: { relaxed?: boolean }): (SaveResult & { outcome: ProcessOutcome })[];
}

/** Per-address state: the one "may I send?" decision, history, lists, operator actions. */
export interface AddressStore {
  /** The one answer to "may I send to X now?": state-rules.ts decideSend over one row reader. */
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
}

/** The IMAP poller's cursors and per-mailbox health (so CLI processes see them too). */
export interface ImapStateStore {
  setImapCursor(account: string, folder: string, cursor: ImapCursor): void;
  getImapCursor(account: string, folder: string): ImapCursor | undefined;
  /** Upsert one mailbox's health row (merge: undefined fields keep their stored value); returns the row. */
  saveImapHealth(h: ImapHealthUpdate): ImapHealth;
  /** Every mailbox's health row, or one (by name), in name order. */
  getImapHealth(mailbox?: string): ImapHealth[];
}

/** Reporting and housekeeping. */
export interface MaintenanceStore {
  stats(now?: number): Stats;
  checkpoint(): void;
  backup(file: string): Promise<void>;
  /** Drop raw bodies of finished messages older than messagesOlderThanMs (age, ms); with
   *  eventsOlderThanMs also delete old events that cannot affect state. */
  prune(messagesOlderThanMs: number, eventsOlderThanMs?: number): { rawDropped: number; eventsDeleted: number };
}

export interface Store extends MessageStore, ResultStore, AddressStore, ImapStateStore, MaintenanceStore {
  close(): void;
}

// ---------------------------------------------------------------------------------------------
// StoreApi: the one asynchronous seam both backends implement.
// ---------------------------------------------------------------------------------------------

/** What processing asks of the pipeline for one message (pipeline/plan.ts planMessage): handed to
 *  the store, which calls it for each message it claimed (PostgreSQL: inside the claim's
 *  transaction; SQLite: before the one synchronous write transaction). */
export type Planner = (msg: StoredMessage) => Promise<ProcessPlan>;

export type StoreBackend = 'sqlite' | 'postgresql';

/**
 * Everything the CLI, the status socket, the IMAP poller and the pipeline need from a store, the
 * same for both backends: every method answers asynchronously, and long reads are AsyncIterables
 * (flat memory on any number of rows). PostgreSQL implements it directly (postgresql/index.ts
 * openPgStore); SQLite through a thin adapter over the synchronous modules (sqlite-api.ts), which
 * the SQLite daemon's writer thread and reader processes keep using directly (the `Store` above),
 * for speed. openStoreApi (open.ts) opens the configured one.
 */
export interface StoreApi {
  readonly backend: StoreBackend;
  /** The SQLite file, or the PostgreSQL URL without its password: what logs and errors name. */
  readonly path: string;
  close(): Promise<void>;

  // ---- messages ----
  saveMessage(env: Envelope, raw: Buffer): Promise<SaveResult>;
  /**
   * Store the messages; resolves once they are durably committed (a 250 may follow). A message
   * whose content is already stored (by any daemon) returns that row's id with duplicate = true.
   * `compress: false` stores the bytes as received; processing gzips them later.
   */
  saveMessages(items: { env: Envelope; raw: Buffer }[], opts?: { compress?: boolean }): Promise<SaveResult[]>;
  getMessage(id: number): Promise<StoredMessage | undefined>;
  /** Ids of pending messages, oldest first, at most `limit` (some may be held by another daemon). */
  pendingIds(limit: number): Promise<number[]>;
  /** Ids of the messages a reprocess filter selects (raw bytes kept), in id order. */
  selectIds(filter: ReprocessFilter): Promise<number[]>;
  /** Per raw message: its content hash, and whether it is already stored and finished (then it
   *  needs no analysis: a re-run, a resumed backfill). One answer per message, in order. */
  ingestChecks(raws: readonly Buffer[]): Promise<IngestCheck[]>;
  /**
   * Store each message (a duplicate is found, not stored twice) and commit its plan (null: already
   * finished). SQLite: one transaction for the batch; PostgreSQL: the messages committed first,
   * then their plans under each message's row lock (a message another daemon finished meanwhile
   * comes back skipped). `relaxed` (SQLite): without an fsync until sync().
   */
  commitIngest(items: IngestItem[], opts?: { relaxed?: boolean }): Promise<(SaveResult & { outcome: ProcessOutcome })[]>;
  /** Make every commit so far durable (SQLite: fdatasync the WAL after relaxed commits;
   *  PostgreSQL: nothing, its commits are durable when they answer). */
  sync(): Promise<void>;
  /** A reason not to trust a commit with a 250, or '' (PostgreSQL: synchronous_commit = off). */
  durabilityWarning(): Promise<string>;

  // ---- processing ----
  /** Claim up to `limit` pending messages nobody else holds (oldest first), plan and commit them;
   *  [] when none is left. `relaxed` (SQLite, the daemon's processing): commit without an fsync -
   *  results derived from the durable raw message, which a power loss can only put back to pending. */
  claimPending(limit: number, plan: Planner, opts?: { relaxed?: boolean }): Promise<ProcessOutcome[]>;
  /** Those of these messages still pending and held by nobody, processed; the others (finished,
   *  or being processed by another daemon) come back skipped. One outcome per id, in order.
   *  `relaxed` as for claimPending. */
  claimIds(ids: number[], plan: Planner, opts?: { relaxed?: boolean }): Promise<ProcessOutcome[]>;
  /** Process these messages (waiting for a daemon that holds one); `force` reprocesses finished
   *  ones, replacing their events. One outcome per id, in order. */
  processIds(ids: number[], plan: Planner, opts?: { force?: boolean; relaxed?: boolean }): Promise<ProcessOutcome[]>;

  // ---- addresses ----
  /** "May I send to X now?": the one decision function (state-rules.ts decideSend). */
  mayISend(address: string, now?: number): Promise<MayISend>;
  addressStatus(address: string, now?: number): Promise<AddressStatus>;
  /** Newest first, at most `limit` (default 100). */
  history(address: string, limit?: number): Promise<HistoryEntry[]>;
  /** history() read as iterated (flat memory on any length of history). */
  historyEntries(address: string, limit?: number): AsyncIterable<HistoryEntry>;
  /** The addresses with that flag, oldest first. */
  list(kind: ListKind, since?: number, now?: number): Promise<ListEntry[]>;
  /** list() read as iterated. */
  listEntries(kind: ListKind, since?: number, now?: number): AsyncIterable<ListEntry>;
  /** Every known address (or the flagged ones) in address order (byte order), from one
   *  consistent snapshot, read as iterated. */
  exportAddresses(opts?: { flagged?: boolean }): AsyncIterable<AddressState>;
  reset(address: string, what: ResetWhat, reason: string, who: string): Promise<ResetResult>;
  importSuppressions(rows: ImportRow[], who: string): Promise<ImportResult>;
  /** Fold every address's whole history again and compare with its row (`rebound verify-state`):
   *  yields each difference, returns the counts; `repair` replaces differing rows. */
  verifyState(opts?: VerifyOptions): AsyncGenerator<StateDifference, VerifySummary>;

  // ---- IMAP state ----
  getImapCursor(account: string, folder: string): Promise<ImapCursor | undefined>;
  /** Save the cursor. With `owner`, only while that owner holds the folder's lease (a fence);
   *  returns whether it was written. */
  setImapCursor(account: string, folder: string, cursor: ImapCursor, owner?: string): Promise<boolean>;
  /**
   * Take or renew the lease of one mailbox folder for `owner` for `ttlMs`; true when `owner`
   * holds it now. PostgreSQL: a row in imap_leases by the server's clock, so two daemons never
   * poll one folder. SQLite: always granted and nothing is stored - one daemon owns the file.
   */
  acquireImapLease(account: string, folder: string, owner: string, ttlMs: number): Promise<boolean>;
  releaseImapLease(account: string, folder: string, owner: string): Promise<void>;
  /** Who holds the lease now (null: nobody, it expired, or SQLite, which keeps no leases). */
  imapLeaseHolder(account: string, folder: string): Promise<string | null>;
  saveImapHealth(h: ImapHealthUpdate): Promise<ImapHealth>;
  getImapHealth(mailbox?: string): Promise<ImapHealth[]>;

  // ---- maintenance ----
  stats(now?: number): Promise<Stats>;
  /** Drop raw bodies of finished messages older than messagesOlderThanMs; with
   *  eventsOlderThanMs also delete old events that cannot affect state. */
  prune(messagesOlderThanMs: number, eventsOlderThanMs?: number): Promise<{ rawDropped: number; eventsDeleted: number }>;
  /** SQLite: checkpoint the WAL. PostgreSQL: nothing (the server checkpoints itself). */
  checkpoint(): Promise<void>;
  /** SQLite: an online copy to `file` (the backup API). PostgreSQL: rejects with a
   *  BackupNotSupportedError naming pg_dump, rather than pretending. */
  backup(file: string): Promise<void>;
}

/** `backup()` on a backend whose backups are the database server's job (PostgreSQL: pg_dump). */
export class BackupNotSupportedError extends Error {
  readonly exitCode = 1;
  constructor(message: string) {
    super(message);
    this.name = 'BackupNotSupportedError';
  }
}
