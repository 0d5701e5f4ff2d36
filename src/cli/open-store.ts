/**
 * cli/open-store - what every store command shares: the `--db PATH` and `-c, --config PATH`
 * options and opening the store from them (arguments: args.ts; output: format.ts). The store
 * commands take the configured backend behind the one asynchronous seam (withStoreApi: a SQLite
 * file, or the PostgreSQL store of store.backend/store.url), with no branch on the backend.
 *
 * Config keys: store.backend; store.path (overridden by --db), store.busyTimeoutMs; or store.url,
 * store.tls, store.tlsCa and the password (PostgreSQL); state.*; verp.* (judges the return paths
 * of messages stored before intake kept its verdicts: store/messages.ts). The file comes from
 * -c, else $REBOUND_CONFIG, else the built-in defaults. A relative store.path is relative to the
 * current directory, as for the daemon. Commands open the same file as a running daemon; WAL and
 * the busy timeout make that safe, and each command's writes are short transactions.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig, resolveConfigPath } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { StoreApi } from '../store/index.js';
import { openStoreApi, type StoreApiOptions } from '../store/open.js';
import type { PgStoreOptions } from '../store/postgresql/index.js';

export interface StoreCliOptions {
  db?: string;
  config?: string;
}

export function addStoreOptions(cmd: Command): Command {
  return cmd
    .option('--db <path>', 'SQLite database (default: store.path from the config, ./data/rebound.db)')
    .option('-c, --config <path>', 'config file (default: $REBOUND_CONFIG, else built-in defaults)');
}

/**
 * The store the config names, behind the one seam (store/api.ts StoreApi), whichever the backend:
 * `--db FILE` (or store.backend = "sqlite") opens that SQLite file, store.backend = "postgresql"
 * the database of store.url (the password, TLS, the state rules as the daemons have them). With
 * `readonly` SQLite opens read-only and PostgreSQL checks the schema instead of migrating it.
 */
export async function openStoreApiFromCli(
  opts: StoreCliOptions,
  how: { readonly?: boolean; mustExist?: boolean; applicationName?: string; lazy?: boolean } = {},
): Promise<{ store: StoreApi; config: Config }> {
  const config = loadConfig(resolveConfigPath(opts.config));
  const state = { suspendHours: config.state.suspendHours, escalation: { ...config.state.escalation } };
  let o: StoreApiOptions;
  if (config.store.backend === 'postgresql' && (opts.db === undefined || opts.db === '')) {
    o = { backend: 'postgresql', ...(await pgOptions(config, { readonly: how.readonly ?? false, applicationName: how.applicationName ?? 'rebound cli' })), lazy: how.lazy ?? false };
  } else {
    const path = opts.db !== undefined && opts.db !== '' ? opts.db : config.store.path;
    // A query run from the wrong directory must not quietly create an empty ./data/rebound.db.
    if (how.mustExist && !existsSync(path)) throw new Error(`no database at ${resolve(path)} (give --db PATH, or store.path in the config)`);
    o = { backend: 'sqlite', path, busyTimeoutMs: config.store.busyTimeoutMs, readonly: how.readonly ?? false, state, legacyVerp: config.verp };
  }
  return { store: await openStoreApi(o), config };
}

/** Run `fn` with the configured store (openStoreApiFromCli) and always close it. */
export async function withStoreApi<T>(
  opts: StoreCliOptions,
  fn: (store: StoreApi, config: Config) => T | Promise<T>,
  how: { readonly?: boolean; mustExist?: boolean } = {},
): Promise<Awaited<T>> {
  const { store, config } = await openStoreApiFromCli(opts, how);
  try {
    return await fn(store, config);
  } finally {
    await store.close();
  }
}

/** The PostgreSQL store's options from a config: store.url, TLS, the password (resolved here, from
 *  store.passwordFile / store.passwordEnv), the state rules. */
async function pgOptions(config: Config, how: { readonly?: boolean; applicationName?: string; poolSize?: number }): Promise<PgStoreOptions> {
  const { storePassword } = await import('../config/load.js');
  const cs = config.store;
  const password = storePassword(cs);
  return {
    url: cs.url!,
    poolSize: how.poolSize ?? 2,
    tls: cs.tls,
    ...(cs.tlsCa ? { tlsCa: cs.tlsCa } : {}),
    ...(password !== undefined ? { password } : {}),
    applicationName: how.applicationName ?? 'rebound cli',
    readonly: how.readonly ?? false,
    state: { suspendHours: config.state.suspendHours, escalation: { ...config.state.escalation } },
    legacyVerp: config.verp,
  };
}
