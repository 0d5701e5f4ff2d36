/**
 * store/postgresql - the PostgreSQL backend of the store (docs/SCALE-OUT.md): the same tables (one
 * list of migration steps), the same rules (state-rules.ts, imported) and the same outcomes as the
 * SQLite store, for several rebound daemons sharing one database. openPgStore puts together the
 * modules - messages, results (processing, driven by pipeline/postgresql.ts), addresses, IMAP
 * state, maintenance - over one pool (context.ts), as store/index.ts does for SQLite. Every call is
 * a round trip to the server: the methods answer asynchronously.
 *
 * Config keys: store.url, store.poolSize, store.tls, store.tlsCa, the password (pool.ts);
 * state.* (the rules).
 */
import { stateRules, type StateRules } from '../state-rules.js';
import { PgAddresses } from './addresses.js';
import { PgContext } from './context.js';
import { PgImapState } from './imap-state.js';
import { PgMaintenance } from './maintenance.js';
import { PgMessages } from './messages.js';
import { migratePg } from './migrate.js';
import { createPool, describeUrl, type PgConnectOptions } from './pool.js';
import { PgResults } from './results.js';
import type { CheckOptions } from '../../verp/sign.js';

export { describeUrl, pgBackupHint } from './pool.js';
export { PgSchemaTooNewError } from './migrate.js';
export type { Planner } from './results.js';
export { BATCH as PG_BATCH } from './results.js';

export interface PgStoreOptions extends PgConnectOptions {
  /** Milliseconds since the epoch, injectable for tests. Without it, message stored_at and lease
   *  times come from the database server's clock (one clock for every host). */
  clock?: () => number;
  state?: Partial<StateRules> & { escalation?: Partial<StateRules['escalation']> };
  /** Check the schema is current instead of migrating (CLI read-only commands). */
  readonly?: boolean;
  /** As StoreOptions.legacyVerp: the verp.* config that judges rows stored before schema 8. */
  legacyVerp?: CheckOptions;
}

/** A class's public members (its private `ctx` left out, so the modules' types can be combined). */
type Public<T> = { [K in keyof T]: T[K] };

export type PgStore = Public<PgMessages> &
  Public<PgResults> &
  Public<PgAddresses> &
  Public<PgImapState> &
  Public<PgMaintenance> & {
    readonly backend: 'postgresql';
    readonly pool: PgContext['pool'];
    /** The URL without a password. */
    readonly path: string;
    readonly rules: StateRules;
    close(): Promise<void>;
  };

/** Every method of `o` (own and inherited, up to Object), bound to it, as own properties. */
function bound<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (let p = Object.getPrototypeOf(o) as object | null; p && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    for (const k of Object.getOwnPropertyNames(p)) {
      if (k === 'constructor' || k in out) continue;
      const v = (o as Record<string, unknown>)[k];
      if (typeof v === 'function') out[k] = (v as (...a: unknown[]) => unknown).bind(o);
    }
  }
  return out as T;
}

export async function openPgStore(opts: PgStoreOptions): Promise<PgStore> {
  const pool = createPool(opts);
  const where = describeUrl(opts.url);
  try {
    await migratePg(pool, where, { readonly: opts.readonly });
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  const ctx = new PgContext(pool, where, opts.clock, stateRules(opts.state), opts.legacyVerp);
  const imap = new PgImapState(ctx);
  let closed = false;
  return Object.assign(
    {
      backend: 'postgresql' as const,
      pool,
      path: where,
      rules: ctx.rules,
      close: async () => {
        if (closed) return;
        closed = true;
        await pool.end();
      },
    },
    bound(new PgMessages(ctx)),
    bound(new PgResults(ctx)),
    bound(new PgAddresses(ctx)),
    bound(imap),
    bound(new PgMaintenance(ctx, () => imap.getImapHealth())),
  );
}
