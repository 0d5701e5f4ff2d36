/**
 * store/postgresql/copy - `rebound migrate-store`: copy a SQLite store into an empty PostgreSQL
 * store: messages (raw bytes as stored), events, address state, the audit trail of
 * resets and imports, IMAP cursors and health. Ids are kept, so history, `reprocess --id` and the
 * fold order (stored_at, event and action ids) mean the same afterwards; the identity sequences
 * continue after the highest id.
 *
 * The columns copied are the ones both schemas have (one list of migration steps makes them the
 * same), read from SQLite's table_info: a column added by a later step is copied without a change
 * here. The SQLite side is one read transaction (a consistent snapshot: stop the daemon first, or
 * what arrives meanwhile is not copied); the PostgreSQL side is one transaction: a failure or a
 * count that does not match leaves the target as empty as it was. IMAP leases are not copied
 * (they belong to running daemons).
 */
import { openDb } from '../db.js';
import { migratePg } from './migrate.js';
import { createPool, describeUrl, type PgConnectOptions } from './pool.js';

/** Copied in this order (foreign keys: events need their messages). */
const TABLES = ['messages', 'diagnostics', 'events', 'address_actions', 'addresses', 'address_recompute', 'imap_cursors', 'imap_health'] as const;
const ID_TABLES = ['messages', 'diagnostics', 'events', 'address_actions'];
/** Rows per INSERT; messages also stop at about this many bytes of raw bodies. */
const CHUNK_ROWS = 1000;
const CHUNK_BYTES = 16 * 1024 * 1024;

export interface CopyCounts {
  table: string;
  sqlite: number;
  postgresql: number;
}

export interface CopyResult {
  from: string;
  to: string;
  counts: CopyCounts[];
  /** Checks beyond row counts: sums that must agree (message sizes, raw bytes, events per effect). */
  checks: { what: string; sqlite: string; postgresql: string }[];
}

export class CopyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CopyError';
  }
}

export async function copySqliteToPostgres(
  sqlitePath: string,
  target: PgConnectOptions,
  opts: { progress?: (table: string, rows: number) => void } = {},
): Promise<CopyResult> {
  const lite = openDb({ path: sqlitePath, readonly: true });
  const pool = createPool({ ...target, poolSize: 1 });
  const to = describeUrl(target.url);
  try {
    await migratePg(pool, to);
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      for (const t of TABLES) {
        const r = await c.query<{ n: number }>(`SELECT count(*) AS n FROM ${t}`);
        if (r.rows[0]!.n !== 0) throw new CopyError(`${to}: table ${t} already has ${r.rows[0]!.n} rows; migrate-store copies into an empty store only`);
      }
      // One snapshot of the SQLite file for the whole copy.
      lite.exec('BEGIN');
      const counts: CopyCounts[] = [];
      for (const t of TABLES) {
        const pgCols = await c.query<{ column_name: string; udt_name: string }>(
          `SELECT column_name, udt_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`,
          [t],
        );
        const pgType = new Map(pgCols.rows.map((r) => [r.column_name, r.udt_name]));
        const cols = (lite.prepare(`PRAGMA table_info(${t})`).all() as { name: string }[]).map((x) => x.name);
        const missing = cols.filter((x) => !pgType.has(x));
        if (missing.length > 0) throw new CopyError(`${to}: table ${t} has no column ${missing.join(', ')}; both stores must be at the same schema version`);
        const casts = cols.map((x, i) => `$${i + 1}::${pgType.get(x)}[]`).join(', ');
        const insert = `INSERT INTO ${t} (${cols.join(', ')}) SELECT * FROM unnest(${casts})`;
        let rows: Record<string, unknown>[] = [];
        let bytes = 0;
        let n = 0;
        const flush = async (): Promise<void> => {
          if (rows.length === 0) return;
          await c.query(insert, cols.map((x) => rows.map((r) => r[x] ?? null)));
          n += rows.length;
          opts.progress?.(t, n);
          rows = [];
          bytes = 0;
        };
        const order = ID_TABLES.includes(t) ? ' ORDER BY id' : '';
        for (const r of lite.prepare(`SELECT ${cols.join(', ')} FROM ${t}${order}`).iterate() as IterableIterator<Record<string, unknown>>) {
          rows.push(r);
          if (Buffer.isBuffer(r.raw)) bytes += r.raw.length;
          if (rows.length >= CHUNK_ROWS || bytes >= CHUNK_BYTES) await flush();
        }
        await flush();
        const pgN = (await c.query<{ n: number }>(`SELECT count(*) AS n FROM ${t}`)).rows[0]!.n;
        const liteN = (lite.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
        counts.push({ table: t, sqlite: liteN, postgresql: pgN });
      }
      for (const t of ID_TABLES) {
        await c.query(`SELECT setval(pg_get_serial_sequence('${t}', 'id'), coalesce((SELECT max(id) FROM ${t}), 0) + 1, false)`);
      }
      const checks: CopyResult['checks'] = [];
      const check = async (what: string, sql: string): Promise<void> => {
        const a = JSON.stringify(lite.prepare(sql).all());
        const b = JSON.stringify((await c.query(sql)).rows);
        checks.push({ what, sqlite: a, postgresql: b });
      };
      await check('message sizes and raw bytes by state', 'SELECT state, count(*) AS n, sum(size) AS size, coalesce(sum(length(raw)), 0) AS raw FROM messages GROUP BY state ORDER BY state');
      await check('events by effect', 'SELECT effect, count(*) AS n, sum(message_id) AS m FROM events GROUP BY effect ORDER BY effect');
      await check('address flags', 'SELECT sum(email_invalid) AS i, sum(email_suspended) AS s, sum(complained) AS c, sum(events) AS e FROM addresses');
      lite.exec('COMMIT');
      const bad = counts.filter((x) => x.sqlite !== x.postgresql).map((x) => `${x.table} ${x.sqlite} -> ${x.postgresql}`);
      bad.push(...checks.filter((x) => x.sqlite !== x.postgresql).map((x) => `${x.what}: ${x.sqlite} -> ${x.postgresql}`));
      if (bad.length > 0) throw new CopyError(`copy does not match, nothing kept: ${bad.join('; ')}`);
      await c.query('COMMIT');
      return { from: sqlitePath, to, counts, checks };
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  } finally {
    if (lite.inTransaction) lite.exec('ROLLBACK');
    lite.close();
    await pool.end();
  }
}
