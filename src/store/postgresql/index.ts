/**
 * store/postgresql - the PostgreSQL backend of the store (docs/SCALE-OUT.md): the same tables (one
 * list of migration steps), the same rules (state-rules.ts, imported) and the same outcomes as the
 * SQLite store, for several rebound daemons sharing one database. openPgStore puts together the
 * modules - messages, results (processing: claims with a planner), addresses, IMAP state (with
 * leases), maintenance - over one pool (context.ts), as store/index.ts does for SQLite. The result
 * is the asynchronous seam itself (api.ts StoreApi, checked below with `satisfies`), plus what only
 * PostgreSQL has (the pool, backupHint, foldAddress); every call is a round trip to the server.
 *
 * Config keys: store.url, store.poolSize, store.tls, store.tlsCa, the password (pool.ts);
 * state.* (the rules).
 */
import type { StoreApi } from '../api.js';
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
import { bound } from '../bound.js';

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
  /** Neither migrate nor check at open: nothing reaches the server before the first query (a
   *  command that may need no database at all, as `rebound backup` pointing to pg_dump). */
  lazy?: boolean;
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
    /** Nothing to do: every commit of the PostgreSQL store is durable when it answers. */
    sync(): Promise<void>;
  };

export async function openPgStore(opts: PgStoreOptions): Promise<PgStore> {
  const pool = createPool(opts);
  const where = describeUrl(opts.url);
  try {
    if (!opts.lazy) await migratePg(pool, where, { readonly: opts.readonly });
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  const ctx = new PgContext(pool, where, opts.clock, stateRules(opts.state), opts.legacyVerp);
  const imap = new PgImapState(ctx);
  const messages = new PgMessages(ctx);
  let closed = false;
  const store: PgStore = Object.assign(
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
      sync: async () => undefined,
    },
    bound(messages),
    bound(new PgResults(ctx, (items) => messages.saveMessages(items))),
    bound(new PgAddresses(ctx)),
    bound(imap),
    bound(new PgMaintenance(ctx, () => imap.getImapHealth())),
  );
  // The PostgreSQL store is the seam itself (store/api.ts StoreApi), with a few more members.
  return store satisfies StoreApi;
}
