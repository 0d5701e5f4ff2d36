/**
 * store/postgresql/pool - the node-postgres Pool the PostgreSQL store uses, built from
 * the config keys store.url, store.poolSize, store.tls, store.tlsCa and the password resolved from
 * store.passwordFile / store.passwordEnv (config/load.ts). `pg` stays inside store/postgresql/.
 *
 * BIGINT (our ms times and ids) and NUMERIC (sums) come back as JavaScript numbers, as
 * better-sqlite3 gives them: every value we store is below 2^53. The password never appears in a
 * URL we log (describeUrl) and is passed to the driver apart from the URL.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import type { StoreTls } from '../../config/schema.js';

export interface PgConnectOptions {
  /** postgresql://user@host:port/database (config: store.url). */
  url: string;
  /** Config: store.poolSize (default 10). */
  poolSize?: number;
  /** Config: store.tls (default 'verify-full'). */
  tls?: StoreTls;
  /** Config: store.tlsCa: PEM file of the CA(s) to trust for 'verify-full'. */
  tlsCa?: string;
  /** Resolved from store.passwordFile / store.passwordEnv; never logged. */
  password?: string;
  /** Shown in pg_stat_activity (default 'rebound'). */
  applicationName?: string;
  /** How long to wait for a connection (ms, default 10000). */
  connectTimeoutMs?: number;
  /** Errors of idle connections (the server restarted, a failover): the pool drops the connection
   *  and makes a new one on next use; this only reports them. */
  onIdleError?: (err: Error) => void;
}

const INT8 = 20;
const NUMERIC = 1700;

const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8 || oid === NUMERIC) return (v: string) => (v === null ? null : Number(v));
    return (pg.types.getTypeParser as (oid: number, format?: string) => unknown)(oid, format);
  },
} as unknown as pg.CustomTypesConfig;

export function createPool(o: PgConnectOptions): pg.Pool {
  const tls = o.tls ?? 'verify-full';
  const ssl: pg.PoolConfig['ssl'] =
    tls === 'off' ? false : tls === 'require' ? { rejectUnauthorized: false } : { rejectUnauthorized: true, ...(o.tlsCa ? { ca: readFileSync(o.tlsCa, 'utf8') } : {}) };
  const pool = new pg.Pool({
    connectionString: o.url,
    ...(o.password !== undefined ? { password: o.password } : {}),
    max: o.poolSize ?? 10,
    ssl,
    types,
    application_name: o.applicationName ?? 'rebound',
    connectionTimeoutMillis: o.connectTimeoutMs ?? 10_000,
    idleTimeoutMillis: 30_000,
  });
  pool.on('error', (err) => o.onIdleError?.(err));
  return pool;
}

/** The URL without any password, for logs and error messages. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    for (const k of [...u.searchParams.keys()]) if (k.toLowerCase() === 'password') u.searchParams.delete(k);
    return u.toString();
  } catch {
    return '(unparsable store.url)';
  }
}

/** Error codes after which the whole transaction may simply be run again. */
export function isRetryable(err: unknown): boolean {
  const code = String((err as { code?: unknown } | null)?.code ?? '');
  return code === '40P01' || code === '40001';
}

/** What `rebound backup` says on PostgreSQL: the database is the operator's, and so is its backup. */
export function pgBackupHint(url: string): string {
  const u = describeUrl(url);
  return (
    `the store is PostgreSQL (${u}): rebound backup copies SQLite files only. Back it up with PostgreSQL's ` +
    `own tools: pg_dump --format=custom --file=rebound.dump '${u}' (a consistent snapshot while the daemons run), ` +
    `or base backups with WAL archiving for point-in-time recovery`
  );
}
