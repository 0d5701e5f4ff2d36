/**
 * cli/backup - `rebound backup FILE [--db PATH] [-c CONFIG] [--force]`: an online, consistent copy of the
 * SQLite database (SQLite backup API, safe while the daemon runs), written to FILE via a temporary
 * name and a rename. Refuses to overwrite FILE unless --force. On PostgreSQL (store.backend, no
 * --db) the store refuses and names pg_dump. Exit 0 ok, 1 failure, 2 config error.
 * Config keys: store.path, store.busyTimeoutMs. Scheduled backups: jobs.backup.* (jobs/schedule.ts).
 */
import type { Command } from 'commander';
import { backupTo } from '../jobs/schedule.js';
import { openStoreApiFromCli } from './open-store.js';

export function register(program: Command): void {
  program
    .command('backup')
    .description('write an online backup of the database to FILE (safe while the daemon runs)')
    .argument('<file>', 'backup file to write')
    .option('--db <path>', 'SQLite database (default: store.path from the config, ./data/rebound.db)')
    .option('-c, --config <file>', 'config file (default: $REBOUND_CONFIG, else built-in defaults)')
    .option('--force', 'overwrite FILE if it exists')
    .action(async (file: string, opts: { db?: string; config?: string; force?: boolean }) => {
      const written = await runBackup(file, opts);
      process.stdout.write(`backup written to ${written}\n`);
    });
}

export async function runBackup(file: string, opts: { db?: string; config?: string; force?: boolean }): Promise<string> {
  // Lazy: on PostgreSQL the store's backup() says to use pg_dump without reaching the server.
  const { store } = await openStoreApiFromCli(opts, { readonly: true, mustExist: true, lazy: true });
  try {
    return await backupTo(store, file, { overwrite: opts.force === true });
  } finally {
    await store.close();
  }
}
