/**
 * store/db - open the SQLite file, set pragmas, run migrations forward.
 *
 * In: path (':memory:' allowed), busy timeout, readonly. Out: a better-sqlite3 Database.
 * Config keys: store.path, store.busyTimeoutMs. The schema version is PRAGMA user_version;
 * a file written by a newer rebound (user_version > the migrations we know) is refused with a
 * clear message rather than opened and half-understood.
 *
 * WAL lets the daemon and CLI commands work on the same file at once: readers never block, and
 * writers wait up to busyTimeoutMs for each other instead of failing with SQLITE_BUSY.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations/steps.js';

export type Db = Database.Database;

// The steps, shared with the PostgreSQL backend, are listed in migrations/steps.ts.
export { SCHEMA_VERSION };

export class SchemaTooNewError extends Error {
  constructor(path: string, found: number) {
    super(
      `${path}: database schema version ${found} is newer than this rebound understands ` +
        `(${SCHEMA_VERSION}); upgrade rebound, or restore a backup made by this version`,
    );
    this.name = 'SchemaTooNewError';
  }
}

export interface OpenDbOptions {
  path: string;
  busyTimeoutMs?: number;
  readonly?: boolean;
  /** WAL pages after which a commit checkpoints (SQLite's default 1000; 0 = never). The daemon's
   *  writer raises it and lets store/checkpointer.ts do the work in its own thread. */
  walAutocheckpoint?: number;
}

export function openDb(opts: OpenDbOptions): Db {
  const memory = opts.path === ':memory:';
  const path = memory ? opts.path : resolve(opts.path);
  if (!memory && !opts.readonly) mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000))}`);
    if (!opts.readonly) {
      if (!memory) db.pragma('journal_mode = WAL');
      // FULL: a commit is on disk before it returns, so a 250 sent after it survives a power loss
      // too, as Postfix's own queue does (NORMAL in WAL mode survives only a process crash). The
      // SMTP intake's group commit pays one fsync per batch, not per message.
      db.pragma('synchronous = FULL');
      if (opts.walAutocheckpoint !== undefined) db.pragma(`wal_autocheckpoint = ${Math.max(0, Math.floor(opts.walAutocheckpoint))}`);
    }
    db.pragma('foreign_keys = ON');
    migrate(db, path, opts.readonly ?? false);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

function migrate(db: Db, path: string, readonly: boolean): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) throw new SchemaTooNewError(path, current);
  if (current === SCHEMA_VERSION) return;
  if (readonly) throw new Error(`${path}: database schema is at version ${current}, needs ${SCHEMA_VERSION}; open it read-write once to migrate`);
  // One IMMEDIATE transaction per step: a second process starting at the same moment waits, then
  // sees the new user_version and skips the step.
  for (let v = current; v < SCHEMA_VERSION; v++) {
    const step = MIGRATIONS[v]!;
    db.transaction(() => {
      const now = db.pragma('user_version', { simple: true }) as number;
      if (now !== v) return;
      if (step.sql) db.exec(step.sql);
      step.sqlite?.(db);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}
