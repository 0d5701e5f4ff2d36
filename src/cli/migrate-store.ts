/**
 * cli/migrate-store - `rebound migrate-store --from sqlite:FILE --to postgresql://USER@HOST/DB`:
 * copy an existing SQLite store into an empty PostgreSQL store (store/postgresql/copy.ts)
 * and print each table's row count on both sides; exit 0 only when every count and check matches
 * (otherwise nothing is kept in PostgreSQL). Stop the daemon first: the copy is a snapshot.
 *
 * Config keys (-c): store.passwordFile / store.passwordEnv for the password (never on the command
 * line), store.tls, store.tlsCa. --tls overrides store.tls. Exit 0 copied, 1 failure, 2 usage.
 */
import type { Command } from 'commander';
import { loadConfig, resolveConfigPath, storePassword } from '../config/load.js';
import type { StoreTls } from '../config/schema.js';
import { copySqliteToPostgres } from '../store/postgresql/copy.js';

export function register(program: Command): void {
  program
    .command('migrate-store')
    .description('copy a SQLite store into an empty PostgreSQL store, with counts verified')
    .requiredOption('--from <sqlite:FILE>', 'the SQLite database to copy (sqlite:/var/lib/rebound/rebound.db)')
    .requiredOption('--to <postgresql:URL>', 'the PostgreSQL database (postgresql://rebound@db.example.org/rebound); no password in it')
    .option('--tls <mode>', 'off, require or verify-full (default: store.tls from the config, verify-full)')
    .option('-c, --config <file>', 'config file for store.passwordFile/passwordEnv, store.tls, store.tlsCa (default: $REBOUND_CONFIG)')
    .option('--quiet', 'print nothing but errors')
    .action(async (opts: { from: string; to: string; tls?: string; config?: string; quiet?: boolean }) => {
      const res = await runMigrateStore(opts);
      if (!opts.quiet) process.stdout.write(res);
    });
}

const usage = (msg: string) => Object.assign(new Error(msg), { exitCode: 2 });

export async function runMigrateStore(opts: { from: string; to: string; tls?: string; config?: string }): Promise<string> {
  const from = /^sqlite:(.+)$/.exec(opts.from)?.[1];
  if (from === undefined) throw usage(`--from: expected sqlite:FILE, got ${JSON.stringify(opts.from)}`);
  const url = opts.to.replace(/^postgresql:(?!\/\/)/, '');
  if (!/^postgres(ql)?:\/\//.test(url)) throw usage(`--to: expected postgresql://user@host/database, got a value that is not one`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw usage('--to: not a URL');
  }
  if (u.password !== '') throw usage('--to: a password on the command line is not accepted (ps shows it); use store.passwordFile / store.passwordEnv in the config, or PGPASSWORD');
  if (opts.tls !== undefined && !['off', 'require', 'verify-full'].includes(opts.tls)) throw usage(`--tls: expected off, require or verify-full, got ${JSON.stringify(opts.tls)}`);
  const cfg = loadConfig(resolveConfigPath(opts.config));
  const password = storePassword(cfg.store);
  const res = await copySqliteToPostgres(from, {
    url,
    tls: (opts.tls as StoreTls | undefined) ?? cfg.store.tls,
    ...(cfg.store.tlsCa ? { tlsCa: cfg.store.tlsCa } : {}),
    ...(password !== undefined ? { password } : {}),
    applicationName: 'rebound migrate-store',
  });
  const w = Math.max(...res.counts.map((c) => c.table.length));
  return [
    `copied ${res.from} -> ${res.to}`,
    ...res.counts.map((c) => `  ${c.table.padEnd(w)}  ${String(c.sqlite).padStart(9)} rows  ->  ${String(c.postgresql).padStart(9)}  ok`),
    ...res.checks.map((c) => `  check ${c.what}: ok`),
    'every count matches; point store.backend = "postgresql" and store.url at it, then start the daemons',
    '',
  ].join('\n');
}
