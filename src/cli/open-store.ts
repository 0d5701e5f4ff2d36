/**
 * cli/open-store - what every store command shares: the `--db PATH` and `-c, --config PATH`
 * options, opening the store from them, and reading/writing times on the command line.
 *
 * Config keys: store.path (overridden by --db), store.busyTimeoutMs, state.*. The file comes from
 * -c, else $REBOUND_CONFIG, else the built-in defaults. A relative store.path is relative to the
 * current directory, as for the daemon. Commands open the same file as a running daemon; WAL and
 * the busy timeout make that safe, and each command's writes are short transactions.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { loadConfig, resolveConfigPath } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { openStore, type Store } from '../store/index.js';
import { checkAddress } from '../control/commands.js';

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

/**
 * `--now TIME`: answer as of another time (ISO date/time), for the "may I send?" commands: shows
 * the 24 h suspension rule on old samples, or what will be true tomorrow.
 */
export function addNowOption(cmd: Command): Command {
  return cmd.option('--now <time>', 'answer as of this time (ISO 8601, e.g. 2026-11-27T12:00Z; default: now)');
}

export function nowOption(opts: { now?: string }): number | undefined {
  if (opts.now === undefined) return undefined;
  const t = Date.parse(opts.now.trim());
  if (!Number.isFinite(t)) throw new UsageError(`--now: expected an ISO 8601 time like 2026-11-27T12:00Z, got ${JSON.stringify(opts.now)}`);
  return t;
}

/** An address argument, checked as the status socket checks it (local@domain, no spaces). */
export function addressArg(a: string): string {
  const bad = checkAddress(a);
  if (bad) throw new UsageError(bad);
  return a;
}

/** A usage error: main.ts exits 2 for errors carrying exitCode 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

/**
 * A time on the command line: an ISO 8601 date/time ("2026-01-31", "2026-01-31T12:00Z"), or an
 * age before now: "90m", "36h", "7d", "2w".
 */
export function parseTime(s: string, now = Date.now()): number {
  const rel = /^(\d+)\s*(m|h|d|w)$/i.exec(s.trim());
  if (rel) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 }[rel[2]!.toLowerCase() as 'm' | 'h' | 'd' | 'w'];
    return now - Number(rel[1]) * unit;
  }
  const t = Date.parse(s.trim());
  if (!Number.isFinite(t)) throw new UsageError(`not a time: ${JSON.stringify(s)} (use 2026-01-31, 2026-01-31T12:00Z, 36h or 7d)`);
  return t;
}

export function formatTime(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '' : new Date(ms).toISOString();
}

/** Who did it, for the audit table: --who, else the invoking (sudo) user. */
export function whoAmI(option?: string): string {
  if (option !== undefined && option !== '') return option;
  const sudo = process.env.SUDO_USER;
  if (sudo) return sudo;
  try {
    return userInfo().username;
  } catch {
    return `uid:${process.getuid?.() ?? '?'}`;
  }
}

/** RFC 4180 field quoting. */
export function csvField(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(fields: unknown[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}
