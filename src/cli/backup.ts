/**
 * cli/backup - `rebound backup FILE [--db PATH] [-c CONFIG] [--force]`: an online, consistent copy of the
 * SQLite database (SQLite backup API, safe while the daemon runs), written to FILE via a temporary
 * name and a rename. Refuses to overwrite FILE unless --force. Exit 0 ok, 1 failure, 2 config error.
 * Config keys: store.path, store.busyTimeoutMs. Scheduled backups: jobs.backup.* (jobs/schedule.ts).
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig, resolveConfigPath } from '../config/load.js';
import { backupTo } from '../jobs/schedule.js';
import { openStore } from '../store/index.js';
import { pgBackupHint } from '../store/postgresql/pool.js';

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
  const cfg = loadConfig(resolveConfigPath(opts.config));
  // PostgreSQL: say what does the job instead of pretending to.
  if (cfg.store.backend === 'postgresql' && (opts.db === undefined || opts.db === '')) throw Object.assign(new Error(pgBackupHint(cfg.store.url ?? '')), { exitCode: 1 });
  const db = opts.db !== undefined && opts.db !== '' ? opts.db : cfg.store.path;
  if (existsSync(file) && !opts.force) throw Object.assign(new Error(`${file} exists; use --force to overwrite`), { exitCode: 1 });
  if (!existsSync(db)) throw Object.assign(new Error(`no database at ${db} (${opts.db ? '--db' : 'store.path'})`), { exitCode: 1 });
  const store = openStore({ path: db, busyTimeoutMs: cfg.store.busyTimeoutMs, readonly: true });
  try {
    return await backupTo(store, file);
  } finally {
    store.close();
  }
}
