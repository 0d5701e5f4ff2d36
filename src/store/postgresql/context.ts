/**
 * store/postgresql/context - what the modules of the PostgreSQL store share (the counterpart of
 * store/context.ts): the pool, the clock, the state rules, transactions with retry and error
 * mapping, and the address-row helpers every writer uses - the per-address advisory locks, reading
 * and writing folds, folding one address's whole history. The fold itself and the decision are
 * state-rules.ts's (imported, never copied).
 */
import type pg from 'pg';
import { DaemonError } from '../../errors.js';
import { rowToFold, eventCause, type AddressRow } from '../events.js';
import { foldAll, type AddressFold, type Effect, type FoldItem, type StateRules } from '../state-rules.js';
import { isRetryable } from './pool.js';
import type { CheckOptions } from '../../verp/sign.js';

/** ms since the epoch by the database server's clock: one clock for every host. */
export const DB_NOW = `(extract(epoch from clock_timestamp()) * 1000)::bigint`;

export class PgContext {
  constructor(
    readonly pool: pg.Pool,
    /** The URL without password: what logs and errors name. */
    readonly path: string,
    /** Given by tests to move time; otherwise stored_at and lease times are the server's. */
    readonly injectedClock: (() => number) | undefined,
    readonly rules: StateRules,
    /** PgStoreOptions.legacyVerp: judges rows stored without intake's verdicts (../messages.ts). */
    readonly legacyVerp?: CheckOptions,
  ) {}

  clock(): number {
    return this.injectedClock ? this.injectedClock() : Date.now();
  }

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

  /**
   * The rows of one query read as iterated, `batch` at a time through a server-side cursor in a
   * read-only REPEATABLE READ transaction: one consistent snapshot, flat memory on any number of
   * rows. Leaving the loop early (a reader gone) rolls back and releases the connection.
   */
  async *rows<R extends pg.QueryResultRow>(what: string, sql: string, args: unknown[], batch = 500): AsyncGenerator<R> {
    let c: pg.PoolClient;
    try {
      c = await this.pool.connect();
    } catch (err) {
      throw storeError(what, err);
    }
    let open = false;
    let broken = false;
    try {
      await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      open = true;
      await c.query(`DECLARE rebound_rows NO SCROLL CURSOR FOR ${sql}`, args);
      for (;;) {
        const r = await c.query<R>(`FETCH ${batch} FROM rebound_rows`);
        yield* r.rows;
        if (r.rows.length < batch) break;
      }
      await c.query('COMMIT');
      open = false;
    } catch (err) {
      throw storeError(what, err);
    } finally {
      if (open) await c.query('ROLLBACK').catch(() => (broken = true));
      c.release(broken);
    }
  }

  async write<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw storeError(what, err);
    }
  }
}


export function storeError(what: string, err: unknown): unknown {
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
export async function lockAddresses(c: pg.PoolClient, addresses: string[]): Promise<void> {
  if (addresses.length === 0) return;
  await c.query(
    `SELECT pg_advisory_xact_lock(k) FROM (SELECT DISTINCT hashtextextended(a, 0) AS k FROM unnest($1::text[]) AS a ORDER BY 1) s`,
    [addresses],
  );
}

/** The stored folds of these addresses: absent = no row; null = a row without a position. */
export async function loadFolds(c: pg.PoolClient, addresses: string[]): Promise<Map<string, AddressFold | null | undefined>> {
  const out = new Map<string, AddressFold | null | undefined>();
  if (addresses.length === 0) return out;
  const r = await c.query<AddressRow>('SELECT * FROM addresses WHERE address = ANY($1::text[])', [addresses]);
  for (const row of r.rows) out.set(row.address, rowToFold(row));
  return out;
}

/** Every fold item of one address, read from its events and actions. */
export async function foldHistoryPg(c: pg.PoolClient, address: string, rules: StateRules): Promise<AddressFold | null> {
  const items: FoldItem[] = [];
  const ev = await c.query<{ id: number; at: number; stored_at: number; effect: string; diagnostic: string; reply_code: string; status: string; reason: string }>(
    `SELECT e.id, e.at, m.stored_at, e.effect, coalesce(d.text, e.diagnostic) AS diagnostic, e.reply_code, e.status, e.reason
       FROM events e JOIN messages m ON m.id = e.message_id LEFT JOIN diagnostics d ON d.id = e.diagnostic_id WHERE e.address = $1`,
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
export async function writeFolds(c: pg.PoolClient, folds: AddressFold[], now: number): Promise<void> {
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

