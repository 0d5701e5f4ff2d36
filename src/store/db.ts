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
 *
 * A damaged store is refused, never silently replaced (DamagedStoreError, naming the file and what
 * to do): an existing file of zero bytes (SQLite would make it a new, empty database and forget
 * every address); a -wal file that is missing, or shorter than its -shm index says, while that
 * index still holds commits not yet copied into the database (what a -wal deleted after a crash
 * leaves: the acknowledged messages in it are gone); a file that is not a database; and, when
 * asked (`check`, the daemon's start), one that fails PRAGMA quick_check.
 */
import Database from 'better-sqlite3';
import { fstatSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
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

/** The store cannot be opened as it is; the message names the file and what to do. */
export class DamagedStoreError extends Error {
  /** Not restarted by systemd (RestartPreventExitStatus=2): restarting cannot mend the file. */
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'DamagedStoreError';
  }
}

const RESTORE =
  'restore the last backup (`rebound backup` writes them; jobs.backup.dir keeps them) to that path, with no -wal or -shm file beside it';

function sizeOf(p: string): number | undefined {
  try {
    return statSync(p).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * The -shm file's own record of the WAL (SQLite's wal-index header, native byte order): frames
 * written (mxFrame), frames already copied back into the database (nBackfill), the page size.
 * undefined when there is no -shm or it holds no valid header.
 */
function walIndex(shm: string): { mxFrame: number; nBackfill: number; pageSize: number } | undefined {
  const fd = shmDescriptor(shm);
  if (fd === undefined) return undefined;
  const b = Buffer.alloc(136);
  if (readSync(fd, b, 0, 136, 0) < 136) return undefined;
  // Two copies of the 48-byte header; a writer interrupted between them leaves them unequal.
  if (!b.subarray(0, 48).equals(b.subarray(48, 96)) || b[12] !== 1) return undefined;
  const le = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
  const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const u16 = le ? b.readUInt16LE(14) : b.readUInt16BE(14);
  // szPage: the page size, or 1 for 65536 (it does not fit in 16 bits).
  return { mxFrame: u32(16), nBackfill: u32(96), pageSize: u16 === 1 ? 65536 : u16 };
}

/**
 * Closing any descriptor of a file drops every POSIX lock this process holds on it, SQLite's
 * locks on the -shm of the connections already open included; another process may then truncate
 * the -shm under their mappings (SIGBUS). So a -shm descriptor, once opened, is parked for the
 * life of the process: one per -shm file (a new one only when the file was replaced).
 */
const parkedShm = new Map<string, { fd: number; ino: number }>();

function shmDescriptor(shm: string): number | undefined {
  let ino: number;
  try {
    ino = statSync(shm).ino;
  } catch {
    return undefined;
  }
  const parked = parkedShm.get(shm);
  if (parked && parked.ino === ino) return parked.fd;
  let fd: number;
  try {
    fd = openSync(shm, 'r');
  } catch {
    return undefined;
  }
  // A replaced file's old descriptor stays open too: closing it could drop locks still held on it.
  parkedShm.set(shm, { fd, ino: fstatSync(fd).ino });
  return fd;
}

/** Refuse a file that SQLite would open as new or without its last commits (see the header). */
export function checkStoreFiles(path: string): void {
  const size = sizeOf(path);
  if (size === undefined) return;
  if (size === 0) {
    throw new DamagedStoreError(
      `${path}: the database file is empty (0 bytes): a damaged or truncated store. rebound will not start on it, ` +
        `because SQLite would make it a new, empty database and every message and address state would be forgotten. ` +
        `To recover, ${RESTORE}; to start with an empty store on purpose, remove the file.`,
    );
  }
  const idx = walIndex(`${path}-shm`);
  if (!idx || idx.mxFrame <= idx.nBackfill) return;
  const wal = sizeOf(`${path}-wal`);
  // A WAL file: a 32-byte header, then per frame a 24-byte header and one page.
  const needed = 32 + idx.mxFrame * (24 + idx.pageSize);
  if (wal === undefined || wal < needed) {
    const pending = idx.mxFrame - idx.nBackfill;
    throw new DamagedStoreError(
      `${path}-wal: ${wal === undefined ? 'missing' : `shorter (${wal} bytes) than its index says (${needed})`}, while ${path}-shm ` +
        `records ${pending} WAL page(s) of commits not yet copied into ${path}: those commits (acknowledged messages, ` +
        `state changes) would be lost without a word. Put the -wal file back beside the database and start again. If ` +
        `it is gone for good: either ${RESTORE}, or accept the loss by removing ${path}-shm (the messages since the ` +
        `last checkpoint are then gone; senders will not retry what was acknowledged).`,
    );
  }
}

export interface OpenDbOptions {
  path: string;
  busyTimeoutMs?: number;
  readonly?: boolean;
  /** WAL pages after which a commit checkpoints (SQLite's default 1000; 0 = never). The daemon's
   *  writer raises it and lets store/checkpointer.ts do the work in its own thread. */
  walAutocheckpoint?: number;
  /** Also run PRAGMA quick_check (the whole file: the daemon's start, not every CLI command). */
  check?: boolean;
}

export function openDb(opts: OpenDbOptions): Db {
  const memory = opts.path === ':memory:';
  const path = memory ? opts.path : resolve(opts.path);
  if (!memory && !opts.readonly) mkdirSync(dirname(path), { recursive: true });
  if (!memory) checkStoreFiles(path);
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
    if (opts.check) quickCheck(db, path);
    migrate(db, path, opts.readonly ?? false);
  } catch (err) {
    db.close();
    const code = String((err as { code?: unknown }).code ?? '');
    if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
      throw new DamagedStoreError(`${path}: not a readable SQLite database (${(err as Error).message}); ${RESTORE}.`);
    }
    throw err;
  }
  return db;
}

/** PRAGMA quick_check: 'ok', or the first problems it found (named in the error). */
function quickCheck(db: Db, path: string): void {
  let rows: string[];
  try {
    rows = (db.pragma('quick_check(20)') as { quick_check: string }[]).map((r) => r.quick_check);
  } catch (err) {
    // So damaged that the check itself stops (SQLITE_CORRUPT): that is its finding.
    rows = [(err as Error).message];
  }
  if (rows.length === 1 && rows[0] === 'ok') return;
  throw new DamagedStoreError(
    `${path}: the database fails PRAGMA quick_check (${rows.slice(0, 5).join('; ')}${rows.length > 5 ? '; ...' : ''}). ` +
      `rebound will not start on a damaged store: ${RESTORE}; sqlite3's .recover may save what a backup lacks.`,
  );
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
