/**
 * store/postgresql/store - the PostgreSQL backend (issue 17): the same tables (one list of
 * migration steps), the same rules (the fold and decideSend of ../addresses.ts, imported, never
 * copied) and the same outcomes as the SQLite store, for several rebound daemons sharing one
 * database. Asynchronous: every call is a round trip to the server.
 *
 * In: Envelope + raw bytes from intake; ids and addresses from the pipeline, CLI and socket.
 * Out: SaveResult, ProcessOutcome, MayISend, AddressState, history, stats, IMAP cursors and leases.
 * Config keys: store.url, store.poolSize, store.tls, store.tlsCa, store.password (pool.ts);
 * state.* (StateRules).
 *
 * What several daemons on one database rely on:
 * - A saved message is committed when saveMessages resolves (one statement, autocommit, with the
 *   server's synchronous_commit, which must not be `off`: durabilityWarning()). The intake answers
 *   250 only after that.
 * - The same bytes delivered to two hosts are stored once: the key is the sha256 of the raw
 *   message, UNIQUE, as in SQLite; the second insert waits for the first's commit and finds its row.
 * - Each pending message is processed once: a batch is claimed with SELECT ... FOR UPDATE SKIP
 *   LOCKED and processed in the same transaction, so another daemon skips it; a daemon killed
 *   mid-batch loses its connection, PostgreSQL rolls back, and the messages are pending again.
 * - Address rows change under a transaction-scoped advisory lock per address, taken for the whole
 *   batch in one order (sorted lock keys), before the rows are read. Two events for one address
 *   from two daemons are applied one after the other, the second seeing the first's commit, so
 *   neither is lost; a row is always the fold of every committed event and action of its address.
 * - Message stored_at (the fold order) is the database server's clock, one clock for all hosts.
 * - An IMAP mailbox folder is polled by the holder of its lease only (imap_leases), with the
 *   database server's clock for expiry; the cursor is written only by the lease holder.
 */
import type pg from 'pg';
import { DaemonError } from '../../errors.js';
import { defaultAnalyze, planMessage, type AnalyzeFn, type AttributeFn, type ProcessOutcome, type ProcessPlan } from '../../pipeline.js';
import type { Envelope } from '../../types.js';
import {
  appendsTo,
  decideSend,
  defaultStateRules,
  emptyFold,
  emptyState,
  foldAll,
  foldDifferences,
  stepFold,
  type AddressFold,
  type AddressState,
  type Effect,
  type FoldItem,
  type MayISend,
  type StateRules,
} from '../addresses.js';
import { eventCause, eventItem, rowToFold, rowToState, storedFold, type AddressRow, type HistoryEntry } from '../events.js';
import type { StateDifference, VerifyOptions, VerifySummary } from '../verify.js';
import { packRaw, prepareMessage, toStored, type MessageState, type StoredMessage } from '../messages.js';
import { normaliseAddress } from '../normalise.js';
import type {
  AddressStatus,
  ImapCursor,
  ImapHealth,
  ImapHealthUpdate,
  ImportResult,
  ImportRow,
  ListEntry,
  ListKind,
  ReprocessFilter,
  ResetResult,
  ResetWhat,
  SaveResult,
  Stats,
} from '../index.js';
import { SCHEMA_VERSION } from '../migrations/steps.js';
import { migratePg } from './migrate.js';
import { createPool, describeUrl, isRetryable, pgBackupHint, type PgConnectOptions } from './pool.js';
import type { Category, Reason } from '../../types.js';

export interface PgStoreOptions extends PgConnectOptions {
  /** Milliseconds since the epoch, injectable for tests. Without it, message stored_at and lease
   *  times come from the database server's clock (one clock for every host). */
  clock?: () => number;
  state?: Partial<StateRules> & { escalation?: Partial<StateRules['escalation']> };
  analyze?: AnalyzeFn;
  attribute?: AttributeFn;
  /** Check the schema is current instead of migrating (CLI read-only commands). */
  readonly?: boolean;
}

/** Messages claimed and processed per transaction. */
const BATCH = 50;
/** Claims processPending keeps in flight. */
const LANES = 2;
const PRUNE_CHUNK = 5000;
/** ms since the epoch by the server's clock. */
const DB_NOW = `(extract(epoch from clock_timestamp()) * 1000)::bigint`;

type MessageRow = Parameters<typeof toStored>[0];

export async function openPgStore(opts: PgStoreOptions): Promise<PgStore> {
  const pool = createPool(opts);
  const where = describeUrl(opts.url);
  try {
    await migratePg(pool, where, { readonly: opts.readonly });
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  const rules: StateRules = {
    suspendHours: opts.state?.suspendHours ?? defaultStateRules.suspendHours,
    escalation: { ...defaultStateRules.escalation, ...(opts.state?.escalation ?? {}) },
  };
  return new PgStore(pool, where, opts.clock, rules, opts.analyze ?? defaultAnalyze, opts.attribute);
}

export class PgStore {
  readonly backend = 'postgresql' as const;
  private closed = false;

  constructor(
    readonly pool: pg.Pool,
    /** The URL without password: what logs and errors name. */
    readonly path: string,
    private readonly injectedClock: (() => number) | undefined,
    readonly rules: StateRules,
    private readonly analyze: AnalyzeFn,
    private readonly attribute: AttributeFn | undefined,
  ) {}

  private clock(): number {
    return this.injectedClock ? this.injectedClock() : Date.now();
  }

  /** A reason not to trust a commit with a 250, or '' (checked by the daemon at start). */
  async durabilityWarning(): Promise<string> {
    const r = await this.pool.query<{ s: string }>('SHOW synchronous_commit');
    const s = r.rows[0]?.s ?? '';
    return s === 'off'
      ? `${this.path}: synchronous_commit = off: a commit may be lost in a server crash after rebound answered 250; set it to on (or remote_write/remote_apply with a standby)`
      : '';
  }

  // ---- intake ----

  async saveMessage(env: Envelope, raw: Buffer): Promise<SaveResult> {
    return (await this.saveMessages([{ env, raw }]))[0]!;
  }

  /**
   * Store the messages; resolves once they are committed (the 250 may be sent then). One INSERT
   * for the batch; a message whose sha256 is already there (from any host) returns that row's id
   * with duplicate = true. Gzipped as SQLite's saveMessages does; `compress: false` stores the
   * bytes as received (the daemon's intake: gzip off the acknowledgement's path, the pipeline
   * packs them later, as SQLite's saveMessagesUnsynced).
   */
  async saveMessages(items: { env: Envelope; raw: Buffer }[], opts: { compress?: boolean } = {}): Promise<SaveResult[]> {
    if (items.length === 0) return [];
    const prepared = items.map((it) => prepareMessage(it.env, it.raw, opts.compress ?? true));
    const storedAt = this.injectedClock ? String(this.injectedClock()) : null;
    return this.write('save messages', async () => {
      const ins = await this.pool.query<{ id: number; sha256: string }>(
        `INSERT INTO messages (sha256, source, origin, mail_from, rcpt_to, received_at, stored_at, size, raw, compression)
         SELECT t.sha256, t.source, t.origin, t.mail_from, t.rcpt_to, t.received_at, coalesce($11::bigint, ${DB_NOW}), t.size, t.raw, t.compression
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::bytea[], $9::text[], $10::int[])
             AS t(sha256, source, origin, mail_from, rcpt_to, received_at, size, raw, compression, n)
          ORDER BY t.n
         ON CONFLICT (sha256) DO NOTHING RETURNING id, sha256`,
        [
          prepared.map((p) => p.sha256),
          prepared.map((p) => p.env.source),
          prepared.map((p) => p.env.origin),
          prepared.map((p) => p.env.mailFrom),
          prepared.map((p) => JSON.stringify(p.env.rcptTo)),
          prepared.map((p) => Math.floor(p.env.receivedAt)),
          prepared.map((p) => p.size),
          prepared.map((p) => p.body),
          prepared.map((p) => p.compression),
          prepared.map((_, i) => i),
          storedAt,
        ],
      );
      const fresh = new Map(ins.rows.map((r) => [r.sha256, r.id]));
      const missing = prepared.filter((p) => !fresh.has(p.sha256)).map((p) => p.sha256);
      const old = new Map<string, number>();
      if (missing.length > 0) {
        const r = await this.pool.query<{ id: number; sha256: string }>('SELECT id, sha256 FROM messages WHERE sha256 = ANY($1::text[])', [missing]);
        for (const row of r.rows) old.set(row.sha256, row.id);
      }
      const seen = new Set<string>();
      return prepared.map((p) => {
        const id = fresh.get(p.sha256);
        if (id !== undefined && !seen.has(p.sha256)) {
          seen.add(p.sha256);
          return { id, duplicate: false };
        }
        const again = id ?? old.get(p.sha256);
        if (again === undefined) throw new DaemonError('internal', 'store: message insert lost without a conflicting row');
        return { id: again, duplicate: true };
      });
    });
  }

  async getMessage(id: number): Promise<StoredMessage | undefined> {
    const r = await this.pool.query<MessageRow>('SELECT * FROM messages WHERE id = $1', [id]);
    return r.rows[0] ? toStored(r.rows[0]) : undefined;
  }

  // ---- processing ----

  /**
   * Claim up to `limit` pending messages (oldest first, skipping those another daemon holds) and
   * process them, BATCH per transaction; returns how many were processed. Stops when none is left
   * that nobody else holds.
   */
  async processPending(limit = Number.MAX_SAFE_INTEGER): Promise<number> {
    // Two claims at a time: while one batch's analyses keep this thread busy, the other's writes
    // run on the server, instead of each waiting for the other (docs/BENCHMARKS.md).
    let claimed = 0;
    let done = 0;
    const lane = async (): Promise<void> => {
      while (claimed < limit) {
        const want = Math.min(BATCH, limit - claimed);
        claimed += want;
        const outcomes = await this.claimAndProcess(want);
        claimed -= want - outcomes.length;
        done += outcomes.length;
        if (outcomes.length < want) return;
      }
    };
    await Promise.all(Array.from({ length: LANES }, lane));
    return done;
  }

  /** One claimed batch, processed and committed; [] when nothing is pending and unclaimed. */
  async claimAndProcess(limit = BATCH): Promise<ProcessOutcome[]> {
    return this.transaction('process messages', async (c) => {
      const rows = await c.query<MessageRow>(
        `SELECT * FROM messages WHERE state = 'pending' ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit],
      );
      if (rows.rows.length === 0) return [];
      return this.processRows(c, rows.rows.map(toStored), false);
    });
  }

  /**
   * The daemon's pipeline for the messages its intake just committed: those still pending and not
   * held by another daemon are claimed and processed; the others (finished, or being processed
   * elsewhere right now) come back skipped. One outcome per id, in order.
   */
  async processClaimIds(ids: number[]): Promise<ProcessOutcome[]> {
    // In up to LANES transactions at once (see processPending), each one outcome per id, in order.
    const size = Math.max(1, Math.min(BATCH, Math.ceil(ids.length / LANES)));
    const slices: number[][] = [];
    for (let i = 0; i < ids.length; i += size) slices.push(ids.slice(i, i + size));
    const results: ProcessOutcome[][] = new Array(slices.length);
    let next = 0;
    const lane = async (): Promise<void> => {
      for (let k = next++; k < slices.length; k = next++) results[k] = await this.claimIds(slices[k]!);
    };
    await Promise.all(Array.from({ length: LANES }, lane));
    return results.flat();
  }

  private claimIds(slice: number[]): Promise<ProcessOutcome[]> {
    return this.transaction('process messages', async (c) => {
      const rows = await c.query<MessageRow>(
        `SELECT * FROM messages WHERE id = ANY($1::bigint[]) AND state = 'pending' ORDER BY id FOR UPDATE SKIP LOCKED`,
        [slice],
      );
      const got = rows.rows.length > 0 ? await this.processRows(c, rows.rows.map(toStored), false) : [];
      const byId = new Map(got.map((o) => [o.id, o]));
      return slice.map((id) => byId.get(id) ?? { id, state: 'pending' as MessageState, skipped: true, events: 0, addresses: [], categories: [] });
    });
  }

  async processMessage(id: number, opts: { force?: boolean } = {}): Promise<ProcessOutcome> {
    return (await this.processIds([id], opts))[0]!;
  }

  /** Process these messages (waiting for a daemon that holds one); `force` reprocesses finished ones. */
  async processIds(ids: number[], opts: { force?: boolean } = {}): Promise<ProcessOutcome[]> {
    const out: ProcessOutcome[] = [];
    for (let i = 0; i < ids.length; i += BATCH) {
      const slice = ids.slice(i, i + BATCH);
      const done = await this.transaction('process messages', async (c) => {
        const rows = await c.query<MessageRow>('SELECT * FROM messages WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE', [slice]);
        const byId = new Map(rows.rows.map((r) => [Number(r.id), toStored(r)]));
        const msgs = slice.map((id) => {
          const m = byId.get(id);
          if (!m) throw new DaemonError('internal', `store: no message with id ${id}`);
          return m;
        });
        return this.processRows(c, msgs, opts.force ?? false);
      });
      out.push(...done);
    }
    return out;
  }

  async reprocess(filter: ReprocessFilter): Promise<ProcessOutcome[]> {
    const where: string[] = ['raw IS NOT NULL'];
    const args: unknown[] = [];
    const p = (v: unknown): string => {
      args.push(v);
      return `$${args.length}`;
    };
    if (!filter.all) {
      if (filter.ids && filter.ids.length > 0) where.push(`id = ANY(${p(filter.ids)}::bigint[])`);
      if (filter.states && filter.states.length > 0) where.push(`state = ANY(${p(filter.states)}::text[])`);
    }
    if (filter.since !== undefined) where.push(`received_at >= ${p(filter.since)}`);
    if (filter.until !== undefined) where.push(`received_at < ${p(filter.until)}`);
    if (!filter.all && !(filter.ids?.length || filter.states?.length) && filter.since === undefined && filter.until === undefined) {
      throw new Error('reprocess: give ids, states, a time range, or all');
    }
    const r = await this.pool.query<{ id: number }>(`SELECT id FROM messages WHERE ${where.join(' AND ')} ORDER BY id`, args);
    return this.processIds(r.rows.map((x) => x.id), { force: true });
  }

  /**
   * Plan, then write the batch (caller holds the transaction and the messages' row locks): events
   * replaced and inserted, address rows locked, stepped or folded again, written back, messages
   * finished. The same steps, in the same order, as the SQLite store's processIds/commitPlan, so
   * both give the same rows.
   */
  private async processRows(c: pg.PoolClient, msgs: StoredMessage[], force: boolean): Promise<ProcessOutcome[]> {
    // The results are derived from raw messages already durable: this commit need not wait for
    // the disk (as the SQLite pipeline commits with synchronous=NORMAL). A crash can only lose
    // whole processing transactions, whose messages are then pending again and processed anew.
    await c.query('SET LOCAL synchronous_commit = off');
    const plans: (ProcessPlan | ProcessOutcome)[] = [];
    const packs: { id: number; gz: Buffer }[] = [];
    const storedAt = new Map<number, number>();
    for (const msg of msgs) {
      storedAt.set(msg.id, msg.storedAt);
      if (msg.raw && msg.compression === 'none') packs.push({ id: msg.id, gz: packRaw(msg.raw) });
      if (msg.state !== 'pending' && !force) plans.push(skipped(msg));
      else if (msg.raw === null && msg.state !== 'pending') plans.push(skipped(msg));
      else plans.push(await planMessage(msg, this.analyze, this.attribute));
    }
    const todo = plans.filter((p): p is ProcessPlan => !('skipped' in p));
    if (packs.length > 0) {
      await c.query(
        `UPDATE messages m SET raw = t.gz, compression = 'gzip' FROM unnest($1::bigint[], $2::bytea[]) AS t(id, gz)
          WHERE m.id = t.id AND m.compression = 'none' AND m.raw IS NOT NULL`,
        [packs.map((p) => p.id), packs.map((p) => p.gz)],
      );
    }
    if (todo.length === 0) return plans as ProcessOutcome[];
    const now = this.clock();

    // Events this batch replaces (a forced reprocess): their addresses are folded again.
    // Each message's addresses in the order of their first event (as SQLite lists them).
    const old = await c.query<{ message_id: number; address: string }>(
      `SELECT message_id, address FROM events WHERE message_id = ANY($1::bigint[])
        GROUP BY message_id, address ORDER BY message_id, min(id)`,
      [todo.map((p) => p.id)],
    );
    const replacedOf = new Map<number, string[]>();
    for (const r of old.rows) replacedOf.set(r.message_id, [...(replacedOf.get(r.message_id) ?? []), r.address]);
    const refold = new Set<string>();
    for (const r of old.rows) if (r.address !== '') refold.add(r.address);

    // Lock every address the batch touches, in one order for every daemon.
    const addresses = new Set<string>(refold);
    for (const p of todo) for (const e of p.events) if (e.address !== '') addresses.add(e.address);
    await lockAddresses(c, [...addresses]);

    if (old.rows.length > 0) await c.query('DELETE FROM events WHERE message_id = ANY($1::bigint[])', [[...replacedOf.keys()]]);

    // Insert every event with ids taken from the sequence first (the fold's tie-breaker).
    const events = todo.flatMap((p) => p.events.map((e) => ({ messageId: p.id, e })));
    let ids: number[] = [];
    if (events.length > 0) {
      const seq = await c.query<{ id: number }>(
        `SELECT nextval(pg_get_serial_sequence('events', 'id')) AS id FROM generate_series(1, $1::int)`,
        [events.length],
      );
      ids = seq.rows.map((r) => r.id).sort((a, b) => a - b);
      const col = <T>(f: (x: (typeof events)[number]) => T): T[] => events.map(f);
      await c.query(
        `INSERT INTO events (id, message_id, address, raw_address, at, received_at, message_type, action, status, reply_code,
           reason, hard, category, likely_false_positive, evidence, diagnostic, remote_mta, feedback_type, effect)
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::text[], $8::text[],
           $9::text[], $10::text[], $11::text[], $12::bigint[], $13::bigint[], $14::bigint[], $15::text[], $16::text[], $17::text[],
           $18::text[], $19::text[])`,
        [
          ids,
          col((x) => x.messageId),
          col((x) => x.e.address),
          col((x) => x.e.rawAddress),
          col((x) => x.e.at),
          col((x) => x.e.receivedAt),
          col((x) => x.e.messageType),
          col((x) => x.e.result.action),
          col((x) => x.e.result.status),
          col((x) => x.e.result.replyCode),
          col((x) => x.e.result.reason),
          col((x) => (x.e.result.hard ? 1 : 0)),
          col((x) => x.e.result.category),
          col((x) => (x.e.result.likelyFalsePositive ? 1 : 0)),
          col((x) => x.e.result.evidence),
          col((x) => x.e.result.diagnostic),
          col((x) => x.e.result.remoteMta),
          col((x) => x.e.result.feedbackType),
          col((x) => x.e.effect),
        ],
      );
    }

    // Step each address row by its new events in order (read once, written once), or fold again.
    const folds = await loadFolds(c, [...addresses]);
    const changed = new Set<string>();
    events.forEach(({ messageId, e }, i) => {
      const a = e.address;
      if (a === '' || refold.has(a)) return;
      const f = folds.get(a);
      const item = eventItem(ids[i]!, storedAt.get(messageId)!, e);
      if (f === null || (f !== undefined && !appendsTo(item, f.last))) {
        refold.add(a);
        return;
      }
      const g = f ?? emptyFold(a);
      stepFold(g, item, this.rules);
      folds.set(a, g);
      changed.add(a);
    });
    const gone: string[] = [];
    for (const a of refold) {
      const f = await foldHistoryPg(c, a, this.rules);
      if (f === null) {
        gone.push(a);
        folds.delete(a);
      } else folds.set(a, f);
      changed.add(a);
    }
    if (gone.length > 0) await c.query('DELETE FROM addresses WHERE address = ANY($1::text[])', [gone]);
    await writeFolds(
      c,
      [...changed].map((a) => folds.get(a)).filter((f): f is AddressFold => f !== null && f !== undefined),
      now,
    );

    await c.query(
      `UPDATE messages m SET state = t.state, error = t.error, message_type = t.message_type, decoded_by = t.decoded_by,
         problems = t.problems, bounce_at = t.bounce_at, attempts = m.attempts + 1, processed_at = $8
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[])
           AS t(id, state, error, message_type, decoded_by, problems, bounce_at)
        WHERE m.id = t.id`,
      [
        todo.map((p) => p.id),
        todo.map((p) => p.state),
        todo.map((p) => p.error),
        todo.map((p) => p.analysis?.type ?? null),
        todo.map((p) => p.analysis?.decodedBy ?? null),
        todo.map((p) => (p.analysis && p.analysis.problems.length > 0 ? JSON.stringify(p.analysis.problems) : null)),
        todo.map((p) => p.bounceAt),
        now,
      ],
    );

    return plans.map((p) => {
      if ('skipped' in p) return p;
      const touched = new Set<string>(replacedOf.get(p.id) ?? []);
      for (const e of p.events) touched.add(e.address);
      touched.delete('');
      const o: ProcessOutcome = {
        id: p.id,
        state: p.state,
        skipped: false,
        events: p.events.length,
        addresses: [...touched],
        categories: p.events.filter((e) => e.effect !== 'none' && e.effect !== 'delivered' && e.effect !== 'complaint').map((e) => e.result.category),
      };
      if (p.analysis) o.messageType = p.analysis.type;
      if (p.error !== null) o.error = p.error;
      return o;
    });
  }

  // ---- address state ----

  private async state(address: string): Promise<{ s: AddressState; known: boolean }> {
    const r = await this.pool.query<AddressRow>('SELECT * FROM addresses WHERE address = $1', [address]);
    return r.rows[0] ? { s: rowToState(r.rows[0]), known: true } : { s: emptyState(address), known: false };
  }

  /** "May I send?": the columns decideSend reads, one indexed lookup; the same decision function. */
  async mayISend(address: string, now?: number): Promise<MayISend> {
    const a = normaliseAddress(address) || address;
    const r = await this.pool.query<Pick<AddressRow, 'email_invalid' | 'email_invalid_cause' | 'complained' | 'email_suspended' | 'email_suspended_cause' | 'email_suspended_at'>>(
      `SELECT email_invalid, email_invalid_cause, complained, email_suspended, email_suspended_cause, email_suspended_at
         FROM addresses WHERE address = $1`,
      [a],
    );
    const row = r.rows[0];
    const s: AddressState = row
      ? {
          ...emptyState(a),
          emailInvalid: row.email_invalid === 1,
          emailInvalidCause: row.email_invalid_cause,
          complained: row.complained === 1,
          emailSuspended: row.email_suspended === 1,
          emailSuspendedCause: row.email_suspended_cause,
          emailSuspendedAt: row.email_suspended_at,
        }
      : emptyState(a);
    return decideSend(s, this.rules, now ?? this.clock());
  }

  async addressStatus(address: string, now?: number): Promise<AddressStatus> {
    const a = normaliseAddress(address) || address;
    const { s, known } = await this.state(a);
    return { ...s, known, mayISend: decideSend(s, this.rules, now ?? this.clock()) };
  }

  async history(address: string, limit = 100): Promise<HistoryEntry[]> {
    const a = normaliseAddress(address) || address;
    const r = await this.pool.query<HistoryRow>(
      `SELECT 0 AS k, id, at, message_id, received_at, message_type, action, status, reply_code, reason, hard, category,
         likely_false_positive, evidence, diagnostic, remote_mta, feedback_type, effect, NULL::text AS what, NULL::text AS why, NULL::text AS who
         FROM events WHERE address = $1
       UNION ALL
       SELECT 1, id, at, NULL, NULL, NULL, action, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, what, reason, who
         FROM address_actions WHERE address = $1
       ORDER BY at DESC, id DESC, k LIMIT $2`,
      [a, limit],
    );
    return r.rows.map(historyEntry);
  }

  async list(kind: ListKind, since?: number, now?: number): Promise<ListEntry[]> {
    const col = kind === 'invalid' ? 'email_invalid' : kind === 'suspended' ? 'email_suspended' : 'complained';
    const atCol = kind === 'complained' ? 'complained_at' : `${col}_at`;
    const causeCol = kind === 'complained' ? "''" : `${col}_cause`;
    const r = await this.pool.query<{ address: string; at: number | null; cause: string }>(
      `SELECT address, ${atCol} AS at, ${causeCol} AS cause FROM addresses WHERE ${col} = 1 AND ($1::bigint IS NULL OR ${atCol} >= $1)
        ORDER BY ${atCol}, address COLLATE "C"`,
      [since ?? null],
    );
    const t = now ?? this.clock();
    return r.rows.map((row) => {
      const e: ListEntry = { address: row.address, at: row.at, cause: row.cause };
      if (kind === 'suspended' && row.at !== null) {
        e.until = row.at + this.rules.suspendHours * 3_600_000;
        e.active = t < e.until;
      }
      return e;
    });
  }

  /** Every known address (or the flagged ones) in address order (byte order, as SQLite sorts). */
  async exportAddresses(opts: { flagged?: boolean } = {}): Promise<AddressState[]> {
    const where = opts.flagged ? ' WHERE email_invalid = 1 OR email_suspended = 1 OR complained = 1' : '';
    const r = await this.pool.query<AddressRow>(`SELECT * FROM addresses${where} ORDER BY address COLLATE "C"`);
    return r.rows.map(rowToState);
  }

  async reset(address: string, what: ResetWhat, reason: string, who: string): Promise<ResetResult> {
    const a = normaliseAddress(address);
    if (a === '') throw new Error(`reset: not an email address: ${JSON.stringify(address)}`);
    if (reason.trim() === '') throw new Error('reset: a reason is required (it is audited)');
    return this.transaction('reset', async (c) => {
      await lockAddresses(c, [a]);
      const now = this.clock();
      const row = (await c.query<AddressRow>('SELECT * FROM addresses WHERE address = $1', [a])).rows[0];
      const before = row ? rowToState(row) : emptyState(a);
      const cur = row ? rowToFold(row) : undefined;
      const ins = await c.query<{ id: number }>(
        `INSERT INTO address_actions (address, action, what, reason, who, at, before, after) VALUES ($1, 'reset', $2, $3, $4, $5, $6, NULL) RETURNING id`,
        [a, what, reason, who, now, JSON.stringify(before)],
      );
      const actionId = ins.rows[0]!.id;
      const after = await this.applyAction(c, a, { kind: 'action', id: actionId, order: now, action: 'reset', what, reason }, cur, now);
      await c.query('UPDATE address_actions SET after = $1 WHERE id = $2', [JSON.stringify(after), actionId]);
      const changed =
        before.emailInvalid !== after.emailInvalid ||
        before.emailSuspended !== after.emailSuspended ||
        before.complained !== after.complained ||
        before.softBounces !== after.softBounces;
      return { address: a, changed, before, after, actionId };
    });
  }

  async importSuppressions(rows: ImportRow[], who: string): Promise<ImportResult> {
    const result: ImportResult = { imported: 0, skipped: [] };
    const now = this.clock();
    for (let i = 0; i < rows.length; i += 1000) {
      const chunk = rows.slice(i, i + 1000);
      const ok: { r: ImportRow; a: string }[] = [];
      chunk.forEach((r, j) => {
        const a = normaliseAddress(r.address);
        if (a === '') result.skipped.push({ line: i + j + 1, address: r.address, why: 'not an email address' });
        else ok.push({ r, a });
      });
      await this.transaction('import', async (c) => {
        await lockAddresses(c, ok.map((x) => x.a));
        const folds = await loadFolds(c, ok.map((x) => x.a));
        for (const { r, a } of ok) {
          const at = r.at ?? now;
          const ins = await c.query<{ id: number }>(
            `INSERT INTO address_actions (address, action, what, reason, who, at, before, after) VALUES ($1, 'import', $2, $3, $4, $5, NULL, NULL) RETURNING id`,
            [a, r.what, r.cause ?? '', who, at],
          );
          const item: FoldItem = { kind: 'action', id: ins.rows[0]!.id, order: at, action: 'import', what: r.what, reason: r.cause ?? '' };
          await this.applyAction(c, a, item, folds.get(a), now);
          folds.set(a, (await loadFolds(c, [a])).get(a));
        }
      });
      result.imported += ok.length;
    }
    return result;
  }

  /** Apply one action (already inserted) to its address row under its lock: a step, or a fold. */
  private async applyAction(c: pg.PoolClient, a: string, item: FoldItem, cur: AddressFold | null | undefined, now: number): Promise<AddressState> {
    if (cur !== null && (cur === undefined || appendsTo(item, cur.last))) {
      const f = cur ?? emptyFold(a);
      stepFold(f, item, this.rules);
      await writeFolds(c, [f], now);
      return f.state;
    }
    const f = await foldHistoryPg(c, a, this.rules);
    if (f === null) {
      await c.query('DELETE FROM addresses WHERE address = $1', [a]);
      return emptyState(a);
    }
    await writeFolds(c, [f], now);
    return f.state;
  }

  /**
   * `rebound verify-state` on PostgreSQL, as store/verify.ts does it on SQLite: every address (or
   * the ones given) in address order, a chunk per transaction, its whole history folded again and
   * compared with its row; `repair` replaces a differing row under the address's lock (so no
   * daemon's step in between is lost).
   */
  async *verifyState(opts: VerifyOptions = {}): AsyncGenerator<StateDifference, VerifySummary> {
    const summary: VerifySummary = { checked: 0, differing: 0, repaired: 0 };
    const chunk = Math.max(1, opts.chunk ?? 500);
    const list = opts.addresses ? [...new Set(opts.addresses.map((a) => normaliseAddress(a) || a))].sort() : null;
    let cursor = '';
    let listAt = 0;
    for (;;) {
      let addresses: string[];
      if (list) {
        addresses = list.slice(listAt, listAt + chunk);
        listAt += addresses.length;
      } else {
        const r = await this.pool.query<{ a: string }>(
          `SELECT a FROM (SELECT address AS a FROM addresses WHERE address COLLATE "C" > $1
             UNION SELECT address FROM events WHERE address COLLATE "C" > $1
             UNION SELECT address FROM address_actions WHERE address COLLATE "C" > $1) s
           ORDER BY a COLLATE "C" LIMIT $2`,
          [cursor, chunk],
        );
        addresses = r.rows.map((x) => x.a);
        if (addresses.length > 0) cursor = addresses[addresses.length - 1]!;
      }
      if (addresses.length === 0) return summary;
      const found = await this.transaction('verify state', async (c) => {
        if (opts.repair) await lockAddresses(c, addresses);
        const rows = await c.query<AddressRow>('SELECT * FROM addresses WHERE address = ANY($1::text[])', [addresses]);
        const byAddress = new Map(rows.rows.map((r) => [r.address, r]));
        const out: StateDifference[] = [];
        const now = this.clock();
        for (const address of addresses) {
          summary.checked++;
          const row = byAddress.get(address);
          const stored = row ? storedFold(row) : null;
          const computed = await foldHistoryPg(c, address, this.rules);
          if (stored === null && computed === null) continue;
          const fields = stored === null || computed === null ? ['row'] : foldDifferences(stored, computed);
          if (fields.length === 0) continue;
          summary.differing++;
          let repaired = false;
          if (opts.repair) {
            if (computed === null) await c.query('DELETE FROM addresses WHERE address = $1', [address]);
            else await writeFolds(c, [computed], now);
            summary.repaired++;
            repaired = true;
          }
          out.push({ address, fields, stored, computed, repaired });
        }
        return out;
      });
      opts.onProgress?.(summary.checked, summary.differing);
      yield* found;
      if (list && listAt >= list.length) return summary;
    }
  }

  /** Fold one address's whole history (read only): what verify-state compares a row with. */
  async foldAddress(address: string): Promise<AddressFold | null> {
    const c = await this.pool.connect();
    try {
      return await foldHistoryPg(c, address, this.rules);
    } finally {
      c.release();
    }
  }

  // ---- reporting ----

  async stats(now?: number): Promise<Stats> {
    const t = now ?? this.clock();
    const messages = { pending: 0, processed: 0, 'not-a-bounce': 0, failed: 0, total: 0, rawBytes: 0, pruned: 0 };
    for (const r of (await this.pool.query<{ state: MessageState; n: number }>('SELECT state, count(*) AS n FROM messages GROUP BY state')).rows) {
      messages[r.state] = r.n;
      messages.total += r.n;
    }
    const raw = (await this.pool.query<{ b: number; p: number }>(
      'SELECT coalesce(sum(length(raw)), 0) AS b, count(*) FILTER (WHERE raw IS NULL) AS p FROM messages',
    )).rows[0]!;
    messages.rawBytes = raw.b;
    messages.pruned = raw.p;
    const group = async (col: string): Promise<Record<string, number>> => {
      const o: Record<string, number> = {};
      for (const r of (await this.pool.query<{ k: string | number; n: number }>(`SELECT ${col} AS k, count(*) AS n FROM events GROUP BY ${col} ORDER BY ${col}`)).rows) o[String(r.k)] = r.n;
      return o;
    };
    const byCategory = await group('category');
    const total = Object.values(byCategory).reduce((x, y) => x + y, 0);
    const addr = (await this.pool.query<Stats['addresses']>(
      `SELECT count(*) AS known, coalesce(sum(email_invalid), 0) AS invalid, coalesce(sum(email_suspended), 0) AS suspended,
         count(*) FILTER (WHERE email_suspended = 1 AND email_suspended_at + $1 > $2) AS "suspendedNow",
         coalesce(sum(complained), 0) AS complained FROM addresses`,
      [this.rules.suspendHours * 3_600_000, t],
    )).rows[0]!;
    const v = (await this.pool.query<{ version: number }>('SELECT version FROM rebound_schema WHERE id = 1')).rows[0]?.version ?? SCHEMA_VERSION;
    return {
      messages,
      events: { total, byCategory, byReason: await group('reason'), byEffect: await group('effect') },
      addresses: addr,
      imap: await this.getImapHealth(),
      schemaVersion: v,
    };
  }

  // ---- IMAP: leases and cursors ----

  /**
   * Take or renew the lease of one mailbox folder for `owner` (e.g. host:pid) for `ttlMs`, by the
   * database server's clock. True when `owner` holds it now: it was free, expired, or already ours.
   */
  async acquireImapLease(account: string, folder: string, owner: string, ttlMs: number): Promise<boolean> {
    const r = await this.pool.query<{ owner: string }>(
      `INSERT INTO imap_leases AS l (account, folder, owner, acquired_at, expires_at)
       VALUES ($1, $2, $3, ${DB_NOW}, ${DB_NOW} + $4)
       ON CONFLICT (account, folder) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at,
         acquired_at = CASE WHEN l.owner = excluded.owner THEN l.acquired_at ELSE excluded.acquired_at END
       WHERE l.owner = excluded.owner OR l.expires_at <= excluded.acquired_at
       RETURNING owner`,
      [account, folder, owner, Math.max(1, Math.floor(ttlMs))],
    );
    return r.rows[0]?.owner === owner;
  }

  async releaseImapLease(account: string, folder: string, owner: string): Promise<void> {
    await this.pool.query('DELETE FROM imap_leases WHERE account = $1 AND folder = $2 AND owner = $3', [account, folder, owner]);
  }

  /** Who holds the lease now (null: nobody, or it expired). */
  async imapLeaseHolder(account: string, folder: string): Promise<string | null> {
    const r = await this.pool.query<{ owner: string }>(
      `SELECT owner FROM imap_leases WHERE account = $1 AND folder = $2 AND expires_at > ${DB_NOW}`,
      [account, folder],
    );
    return r.rows[0]?.owner ?? null;
  }

  /**
   * Save the cursor. With `owner`, only while that owner holds an unexpired lease (a fence: a
   * daemon that lost its lease while stalled cannot move the cursor the new holder uses); returns
   * whether it was written.
   */
  async setImapCursor(account: string, folder: string, cursor: ImapCursor, owner?: string): Promise<boolean> {
    const r = await this.pool.query(
      `INSERT INTO imap_cursors (account, folder, uid_validity, last_uid, updated_at)
       SELECT $1, $2, $3, $4, $5
        WHERE $6::text IS NULL OR EXISTS (SELECT 1 FROM imap_leases WHERE account = $1 AND folder = $2 AND owner = $6 AND expires_at > ${DB_NOW})
       ON CONFLICT (account, folder) DO UPDATE SET uid_validity = excluded.uid_validity, last_uid = excluded.last_uid,
         updated_at = excluded.updated_at`,
      [account, folder, cursor.uidValidity, cursor.lastUid, this.clock(), owner ?? null],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async getImapCursor(account: string, folder: string): Promise<ImapCursor | undefined> {
    const r = await this.pool.query<{ uidValidity: number; lastUid: number }>(
      'SELECT uid_validity AS "uidValidity", last_uid AS "lastUid" FROM imap_cursors WHERE account = $1 AND folder = $2',
      [account, folder],
    );
    return r.rows[0] ? { uidValidity: r.rows[0].uidValidity, lastUid: r.rows[0].lastUid } : undefined;
  }

  async saveImapHealth(h: ImapHealthUpdate): Promise<ImapHealth> {
    return this.transaction('imap health', async (c) => {
      await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 1))', [`imap-health:${h.mailbox}`]);
      const cur = (await getHealth(c, h.mailbox))[0];
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
      await c.query(
        `INSERT INTO imap_health (mailbox, last_run_at, last_success_at, last_error, last_error_at, backlog, messages_last_run, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (mailbox) DO UPDATE SET last_run_at = excluded.last_run_at, last_success_at = excluded.last_success_at,
           last_error = excluded.last_error, last_error_at = excluded.last_error_at, backlog = excluded.backlog,
           messages_last_run = excluded.messages_last_run, updated_at = excluded.updated_at`,
        [row.mailbox, row.lastRunAt, row.lastSuccessAt, row.lastError, row.lastErrorAt, row.backlog, row.messagesLastRun, row.updatedAt],
      );
      return row;
    });
  }

  async getImapHealth(mailbox?: string): Promise<ImapHealth[]> {
    const c = await this.pool.connect();
    try {
      return await getHealth(c, mailbox);
    } finally {
      c.release();
    }
  }

  // ---- maintenance ----

  /** `rebound backup` on PostgreSQL points to pg_dump (pool.ts pgBackupHint). */
  backupHint(): string {
    return pgBackupHint(this.path);
  }

  /** Drop raw bodies of finished messages older than messagesOlderThanMs; with eventsOlderThanMs
   *  delete old events that cannot affect state and fold their addresses again (as SQLite does). */
  async prune(messagesOlderThanMs: number, eventsOlderThanMs?: number): Promise<{ rawDropped: number; eventsDeleted: number }> {
    const now = this.clock();
    let rawDropped = 0;
    for (;;) {
      const r = await this.pool.query(
        `UPDATE messages SET raw = NULL WHERE id IN (SELECT id FROM messages
           WHERE raw IS NOT NULL AND state IN ('processed', 'not-a-bounce') AND received_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
        [now - messagesOlderThanMs, PRUNE_CHUNK],
      );
      rawDropped += r.rowCount ?? 0;
      if ((r.rowCount ?? 0) < PRUNE_CHUNK) break;
    }
    let eventsDeleted = 0;
    if (eventsOlderThanMs !== undefined) {
      const effects = this.rules.escalation.enabled ? ['none'] : ['none', 'delivered', 'soft'];
      for (;;) {
        const n = await this.transaction('prune', async (c) => {
          const rows = await c.query<{ id: number; address: string }>(
            'SELECT id, address FROM events WHERE at < $1 AND effect = ANY($2::text[]) LIMIT $3',
            [now - eventsOlderThanMs, effects, PRUNE_CHUNK],
          );
          const touched = [...new Set(rows.rows.map((r) => r.address).filter((a) => a !== ''))];
          await lockAddresses(c, touched);
          await c.query('DELETE FROM events WHERE id = ANY($1::bigint[])', [rows.rows.map((r) => r.id)]);
          const gone: string[] = [];
          const folds: AddressFold[] = [];
          for (const a of touched) {
            const f = await foldHistoryPg(c, a, this.rules);
            if (f === null) gone.push(a);
            else folds.push(f);
          }
          if (gone.length > 0) await c.query('DELETE FROM addresses WHERE address = ANY($1::text[])', [gone]);
          await writeFolds(c, folds, this.clock());
          return rows.rows.length;
        });
        eventsDeleted += n;
        if (n < PRUNE_CHUNK) break;
      }
    }
    return { rawDropped, eventsDeleted };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  // ---- plumbing ----

  /** Run fn in a transaction on one pooled connection; a deadlock or serialization failure runs it
   *  again (up to 3 times); other failures become DaemonError('store-write'), a temporary error. */
  async transaction<T>(what: string, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let c: pg.PoolClient;
      try {
        c = await this.pool.connect();
      } catch (err) {
        throw storeError(what, err);
      }
      let broken = false;
      try {
        await c.query('BEGIN');
        const out = await fn(c);
        await c.query('COMMIT');
        return out;
      } catch (err) {
        try {
          await c.query('ROLLBACK');
        } catch {
          broken = true;
        }
        if (isRetryable(err) && attempt < 3) continue;
        throw storeError(what, err);
      } finally {
        c.release(broken);
      }
    }
  }

  private async write<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw storeError(what, err);
    }
  }
}

function storeError(what: string, err: unknown): unknown {
  if (err instanceof DaemonError) return err;
  if (!(err instanceof Error)) return err;
  const code = String((err as { code?: unknown }).code ?? '');
  // Not ours to wrap: programming errors (a TypeError) stay what they are.
  if (code === '' && !/connect|terminat|timeout|Connection/i.test(err.message)) return err;
  if (code === '53100') return new DaemonError('disk-full', `store: ${what}: disk full on the database server`, { cause: err });
  return new DaemonError('store-write', `store: ${what}: ${err.message}${code ? ` (${code})` : ''}`, { cause: err });
}

/**
 * Take the transaction-scoped advisory lock of each address, in the order of the lock keys (the
 * same for every daemon, so two batches never wait on each other in a circle). Released at
 * COMMIT or ROLLBACK, also when the connection dies.
 */
async function lockAddresses(c: pg.PoolClient, addresses: string[]): Promise<void> {
  if (addresses.length === 0) return;
  await c.query(
    `SELECT pg_advisory_xact_lock(k) FROM (SELECT DISTINCT hashtextextended(a, 0) AS k FROM unnest($1::text[]) AS a ORDER BY 1) s`,
    [addresses],
  );
}

/** The stored folds of these addresses: absent = no row; null = a row without a position. */
async function loadFolds(c: pg.PoolClient, addresses: string[]): Promise<Map<string, AddressFold | null | undefined>> {
  const out = new Map<string, AddressFold | null | undefined>();
  if (addresses.length === 0) return out;
  const r = await c.query<AddressRow>('SELECT * FROM addresses WHERE address = ANY($1::text[])', [addresses]);
  for (const row of r.rows) out.set(row.address, rowToFold(row));
  return out;
}

/** Every fold item of one address, read from its events and actions. */
async function foldHistoryPg(c: pg.PoolClient, address: string, rules: StateRules): Promise<AddressFold | null> {
  const items: FoldItem[] = [];
  const ev = await c.query<{ id: number; at: number; stored_at: number; effect: string; diagnostic: string; reply_code: string; status: string; reason: string }>(
    `SELECT e.id, e.at, m.stored_at, e.effect, e.diagnostic, e.reply_code, e.status, e.reason
       FROM events e JOIN messages m ON m.id = e.message_id WHERE e.address = $1`,
    [address],
  );
  for (const e of ev.rows) {
    items.push({
      kind: 'event',
      id: e.id,
      order: e.stored_at,
      at: e.at,
      effect: e.effect as Effect,
      cause: eventCause({ diagnostic: e.diagnostic, replyCode: e.reply_code, status: e.status, reason: e.reason }),
    });
  }
  const ac = await c.query<{ id: number; action: 'reset' | 'import'; what: string; reason: string; at: number }>(
    'SELECT id, action, what, reason, at FROM address_actions WHERE address = $1',
    [address],
  );
  for (const a of ac.rows) items.push({ kind: 'action', id: a.id, order: a.at, action: a.action, what: a.what, reason: a.reason });
  return items.length === 0 ? null : foldAll(address, items, rules);
}

/** Upsert address rows from their folds, one statement. */
async function writeFolds(c: pg.PoolClient, folds: AddressFold[], now: number): Promise<void> {
  if (folds.length === 0) return;
  const col = <T>(f: (x: AddressFold) => T): T[] => folds.map(f);
  await c.query(
    `INSERT INTO addresses (address, email_suspended, email_suspended_cause, email_suspended_at, email_invalid,
       email_invalid_cause, email_invalid_at, complained, complained_at, soft_bounces, soft_days, last_soft_at,
       first_bounce_at, last_bounce_at, events, updated_at, soft_day_list, fold_order, fold_rank, fold_id)
     SELECT t.address, t.es, t.esc, t.esa, t.ei, t.eic, t.eia, t.c, t.ca, t.sb, t.sd, t.lsa, t.fba, t.lba, t.ev, $16::bigint,
            t2.sdl, t2.fo, t2.fr, t2.fi FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::bigint[],
       $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[], $14::bigint[], $15::bigint[])
       WITH ORDINALITY AS t(address, es, esc, esa, ei, eic, eia, c, ca, sb, sd, lsa, fba, lba, ev, n)
       JOIN unnest($17::text[], $18::bigint[], $19::bigint[], $20::bigint[]) WITH ORDINALITY AS t2(sdl, fo, fr, fi, n2) ON t2.n2 = t.n
     ON CONFLICT (address) DO UPDATE SET email_suspended = excluded.email_suspended,
       email_suspended_cause = excluded.email_suspended_cause, email_suspended_at = excluded.email_suspended_at,
       email_invalid = excluded.email_invalid, email_invalid_cause = excluded.email_invalid_cause,
       email_invalid_at = excluded.email_invalid_at, complained = excluded.complained,
       complained_at = excluded.complained_at, soft_bounces = excluded.soft_bounces, soft_days = excluded.soft_days,
       last_soft_at = excluded.last_soft_at, first_bounce_at = excluded.first_bounce_at,
       last_bounce_at = excluded.last_bounce_at, events = excluded.events, updated_at = excluded.updated_at,
       soft_day_list = excluded.soft_day_list, fold_order = excluded.fold_order, fold_rank = excluded.fold_rank,
       fold_id = excluded.fold_id`,
    [
      col((f) => f.state.address),
      col((f) => (f.state.emailSuspended ? 1 : 0)),
      col((f) => f.state.emailSuspendedCause),
      col((f) => f.state.emailSuspendedAt),
      col((f) => (f.state.emailInvalid ? 1 : 0)),
      col((f) => f.state.emailInvalidCause),
      col((f) => f.state.emailInvalidAt),
      col((f) => (f.state.complained ? 1 : 0)),
      col((f) => f.state.complainedAt),
      col((f) => f.state.softBounces),
      col((f) => f.state.softDays),
      col((f) => f.state.lastSoftAt),
      col((f) => f.state.firstBounceAt),
      col((f) => f.state.lastBounceAt),
      col((f) => f.state.events),
      now,
      col((f) => f.softDayList.join(',')),
      col((f) => f.last?.order ?? null),
      col((f) => f.last?.rank ?? null),
      col((f) => f.last?.id ?? null),
    ],
  );
}

async function getHealth(c: pg.PoolClient, mailbox?: string): Promise<ImapHealth[]> {
  const r = await c.query<ImapHealth>(
    `SELECT mailbox, last_run_at AS "lastRunAt", last_success_at AS "lastSuccessAt", last_error AS "lastError",
       last_error_at AS "lastErrorAt", backlog, messages_last_run AS "messagesLastRun", updated_at AS "updatedAt"
     FROM imap_health WHERE $1::text IS NULL OR mailbox = $1 ORDER BY mailbox COLLATE "C"`,
    [mailbox ?? null],
  );
  return r.rows;
}

interface HistoryRow {
  k: number;
  id: number;
  at: number;
  message_id: number | null;
  received_at: number | null;
  message_type: string | null;
  action: string;
  status: string | null;
  reply_code: string | null;
  reason: string | null;
  hard: number | null;
  category: number | null;
  likely_false_positive: number | null;
  evidence: string | null;
  diagnostic: string | null;
  remote_mta: string | null;
  feedback_type: string | null;
  effect: string | null;
  what: string | null;
  why: string | null;
  who: string | null;
}

function historyEntry(e: HistoryRow): HistoryEntry {
  if (e.k === 1) return { kind: e.action as 'reset' | 'import', id: e.id, at: e.at, what: e.what ?? '', why: e.why ?? '', who: e.who ?? '' };
  return {
    kind: 'event',
    id: e.id,
    at: e.at,
    messageId: e.message_id ?? 0,
    receivedAt: e.received_at ?? 0,
    messageType: e.message_type ?? '',
    action: e.action,
    status: e.status ?? '',
    replyCode: e.reply_code ?? '',
    reason: (e.reason ?? '') as Reason,
    hard: e.hard === 1,
    category: (e.category ?? 0) as Category,
    likelyFalsePositive: e.likely_false_positive === 1,
    evidence: e.evidence ?? '',
    diagnostic: e.diagnostic ?? '',
    remoteMta: e.remote_mta ?? '',
    feedbackType: e.feedback_type ?? '',
    effect: (e.effect ?? 'none') as Effect,
  };
}

function skipped(msg: StoredMessage): ProcessOutcome {
  const o: ProcessOutcome = { id: msg.id, state: msg.state, skipped: true, events: 0, addresses: [], categories: [] };
  if (msg.raw === null) o.error = 'raw message pruned';
  return o;
}
