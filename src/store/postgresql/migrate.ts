/**
 * store/postgresql/migrate - bring a PostgreSQL database to the current schema from the one list
 * of steps (../migrations/steps.ts) that SQLite uses too. The version lives in table
 * rebound_schema (one row), the counterpart of SQLite's PRAGMA user_version.
 *
 * Several daemons may start at once: every migration runs in one transaction that first takes a
 * transaction-scoped advisory lock, so the second daemon waits, then finds the new version and
 * does nothing. PostgreSQL's DDL is transactional: a failed step leaves the previous version.
 * A database written by a newer rebound is refused, as SQLite's file is.
 */
import type pg from 'pg';
import { MIGRATIONS, SCHEMA_VERSION, stepSql } from '../migrations/steps.js';

/** Any constant both sides agree on: "rebound migrations" as two 32-bit halves. */
const MIGRATION_LOCK = 0x72626e64;

export class PgSchemaTooNewError extends Error {
  constructor(where: string, found: number) {
    super(
      `${where}: database schema version ${found} is newer than this rebound understands ` +
        `(${SCHEMA_VERSION}); upgrade rebound on every host sharing this database`,
    );
    this.name = 'PgSchemaTooNewError';
  }
}

/** Migrate forward; returns the version found before (0 = a new database). */
export async function migratePg(pool: pg.Pool, where: string, opts: { readonly?: boolean } = {}): Promise<number> {
  const client = await pool.connect();
  try {
    if (opts.readonly) {
      const v = await readVersion(client);
      if (v > SCHEMA_VERSION) throw new PgSchemaTooNewError(where, v);
      if (v < SCHEMA_VERSION) throw new Error(`${where}: database schema is at version ${v}, needs ${SCHEMA_VERSION}; start rebound read-write once to migrate`);
      return v;
    }
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await client.query('CREATE TABLE IF NOT EXISTS rebound_schema (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)');
      await client.query('INSERT INTO rebound_schema (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING');
      const before = await readVersion(client);
      if (before > SCHEMA_VERSION) throw new PgSchemaTooNewError(where, before);
      for (let v = before; v < SCHEMA_VERSION; v++) {
        const sql = stepSql(MIGRATIONS[v]!, 'postgresql');
        if (sql.trim() !== '') await client.query(sql);
      }
      if (before < SCHEMA_VERSION) await client.query('UPDATE rebound_schema SET version = $1 WHERE id = 1', [SCHEMA_VERSION]);
      await client.query('COMMIT');
      return before;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  } finally {
    client.release();
  }
}

async function readVersion(client: pg.PoolClient): Promise<number> {
  const t = await client.query<{ t: string | null }>(`SELECT to_regclass('rebound_schema')::text AS t`);
  if (t.rows[0]?.t == null) return 0;
  const r = await client.query<{ version: number }>('SELECT version FROM rebound_schema WHERE id = 1');
  return r.rows[0]?.version ?? 0;
}
