/**
 * cli/open-store - what every store command shares: the `--db PATH` and `-c, --config PATH`
 * options and opening the store from them (arguments: args.ts; output: format.ts).
 *
 * Config keys: store.path (overridden by --db), store.busyTimeoutMs, state.*. The file comes from
 * -c, else $REBOUND_CONFIG, else the built-in defaults. A relative store.path is relative to the
 * current directory, as for the daemon. Commands open the same file as a running daemon; WAL and
 * the busy timeout make that safe, and each command's writes are short transactions.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig, resolveConfigPath } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { openStore, type Store } from '../store/index.js';

export interface StoreCliOptions {
  db?: string;
  config?: string;
}

export function addStoreOptions(cmd: Command): Command {
  return cmd
    .option('--db <path>', 'SQLite database (default: store.path from the config, ./data/rebound.db)')
    .option('-c, --config <path>', 'config file (default: $REBOUND_CONFIG, else built-in defaults)');
}

export function openStoreFromCli(
  opts: StoreCliOptions,
  how: { readonly?: boolean; mustExist?: boolean } = {},
): { store: Store; config: Config } {
  const config = loadConfig(resolveConfigPath(opts.config));
  const path = opts.db !== undefined && opts.db !== '' ? opts.db : config.store.path;
  // A query run from the wrong directory must not quietly create an empty ./data/rebound.db.
  if (how.mustExist && !existsSync(path)) {
    throw new Error(`no database at ${resolve(path)} (give --db PATH, or store.path in the config)`);
  }
  const store = openStore({
    path,
    busyTimeoutMs: config.store.busyTimeoutMs,
    readonly: how.readonly ?? false,
    state: { suspendHours: config.state.suspendHours, escalation: { ...config.state.escalation } },
  });
  return { store, config };
}

/** Run `fn` with an open store and always close it. */
export async function withStore<T>(
  opts: StoreCliOptions,
  fn: (store: Store, config: Config) => T | Promise<T>,
  how: { mustExist?: boolean } = {},
): Promise<T> {
  const { store, config } = openStoreFromCli(opts, how);
  try {
    return await fn(store, config);
  } finally {
    store.close();
  }
}
