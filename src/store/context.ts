/**
 * store/context - what every SQLite store module shares: the connection, its prepared statements,
 * the clock and state rules, and the two wrappers every write goes through (`write`: SQLite
 * failures become DaemonError codes intake understands; `relaxed`: one transaction without an
 * fsync). Private to store/: the modules outside see only the interfaces of store/api.ts.
 */
import type Database from 'better-sqlite3';
import { closeSync, openSync } from 'node:fs';
import { resolve } from 'node:path';
import { DaemonError } from '../errors.js';
import type { Db } from './db.js';
import { eventStatements, type EventStatements } from './events.js';
import { messageStatements, type MessageStatements } from './messages.js';
import type { StateRules } from './state-rules.js';
import type { CheckOptions } from '../verp/sign.js';

export class StoreContext {
  readonly m: MessageStatements;
  readonly e: EventStatements;
  closed = false;
  /** Pre-compiled synchronous switches; null when the file is not in WAL mode. */
  readonly sync: { normal: Database.Statement; full: Database.Statement } | null;
  private walFd: number | null = null;

  constructor(
    readonly db: Db,
    readonly path: string,
    readonly clock: () => number,
    readonly rules: StateRules,
    /** StoreOptions.legacyVerp: judges rows stored without intake's verdicts (messages.ts). */
    readonly legacyVerp?: CheckOptions,
  ) {
    this.m = messageStatements(db);
    this.e = eventStatements(db);
    const wal = !db.readonly && !db.memory && String(db.pragma('journal_mode', { simple: true })).toLowerCase() === 'wal';
    this.sync = wal ? { normal: db.prepare('PRAGMA synchronous = NORMAL'), full: db.prepare('PRAGMA synchronous = FULL') } : null;
  }

  /** Run fn with synchronous=NORMAL (no fsync at commit), then back to the FULL default. */
  relaxed<T>(fn: () => T): T {
    if (!this.sync) return fn();
    this.sync.normal.run();
    try {
      return fn();
    } finally {
      this.sync.full.run();
    }
  }

  /** Run a write; turn SQLite failures into DaemonError with a code intake understands. */
  write<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof DaemonError) throw err;
      const code = String((err as { code?: unknown } | null)?.code ?? '');
      if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
        throw new DaemonError('db-busy', `store: ${what}: database busy`, { cause: err });
      }
      if (code === 'SQLITE_FULL' || code === 'ENOSPC') throw new DaemonError('disk-full', `store: ${what}: disk full`, { cause: err });
      if (code.startsWith('SQLITE_')) throw new DaemonError('store-write', `store: ${what}: ${(err as Error).message}`, { cause: err });
      throw err;
    }
  }

  /** The WAL file, opened once. The daemon's own connection keeps it (same inode) for as long as
   *  it is open; checkpoints truncate or rewrite it in place, and sync it themselves before they copy. */
  walFile(): number {
    return (this.walFd ??= openSync(`${resolve(this.path)}-wal`, 'r'));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
    if (this.walFd !== null) closeSync(this.walFd);
    this.walFd = null;
  }
}
