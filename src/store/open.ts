/**
 * store/open - openStoreApi: the configured backend behind the one asynchronous seam (StoreApi,
 * api.ts). `backend: 'sqlite'` opens the file (index.ts openStore) and wraps it (sqlite-api.ts);
 * `backend: 'postgresql'` loads the driver (only then: a SQLite command never loads `pg`) and
 * opens the pool, migrating the schema unless `readonly`.
 *
 * The options are the store's own, not the config file's (store/ imports nothing above it): the
 * caller maps config.store and config.state to them and resolves the password (config/load.ts
 * storePassword).
 */
import type { StoreApi } from './api.js';
import { openStore, type StoreOptions } from './index.js';
import type { PgStoreOptions } from './postgresql/index.js';
import { SqliteStoreApi } from './sqlite-api.js';

export type StoreApiOptions = ({ backend: 'sqlite' } & StoreOptions) | ({ backend: 'postgresql' } & PgStoreOptions);

export async function openStoreApi(opts: StoreApiOptions): Promise<StoreApi> {
  if (opts.backend === 'postgresql') {
    const { backend: _, ...pgOpts } = opts;
    const { openPgStore } = await import('./postgresql/index.js');
    return openPgStore(pgOpts);
  }
  const { backend: _, ...sqliteOpts } = opts;
  return new SqliteStoreApi(openStore(sqliteOpts));
}

/** The SQLite store already opened (synchronously, e.g. by a test or the daemon) behind the seam. */
export function sqliteStoreApi(store: ConstructorParameters<typeof SqliteStoreApi>[0]): StoreApi {
  return new SqliteStoreApi(store);
}
