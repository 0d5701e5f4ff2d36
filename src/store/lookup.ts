/**
 * store/lookup - the fast read path for "may I send?" (`check`, Postfix socketmap and policy):
 * a read-only SQLite handle of its own that answers with the store's own function
 * (addresses.ts mayISendWith: the same row reader and decideSend), only cheaper per lookup.
 *
 * In: the store path, busy timeout and state rules (StoreOptions), optionally holdSnapshotMs.
 * Out: `openLookup(opts, { holdSnapshotMs? })` -> { mayISend(address, now?), close() }.
 * Config keys: store.path, store.busyTimeoutMs, state.suspendHours (through StoreOptions).
 *
 * Why it is faster: in an autocommit SELECT, SQLite starts and ends a read transaction per
 * statement (WAL read-mark locks via fcntl, a stat of the file, the schema check), which was about
 * two thirds of a point lookup's CPU. Here every lookup made in one event-loop turn - all the
 * pipelined lines of one 'data' event, all the clients whose requests arrived together - shares
 * one read transaction, ended by setImmediate in the same turn. A snapshot therefore never outlives
 * the turn that took it: answers are as fresh as with autocommit, and a WAL checkpoint run later
 * by a timer in this process (jobs: wal_checkpoint(TRUNCATE), which waits for readers) never
 * waits for us. The first lookup of a turn runs in autocommit (nothing to share yet); the
 * transaction starts with the second. Pages are read through mmap rather than read(2).
 *
 * Held snapshots (`holdSnapshotMs`, used by the reader processes of control/reader.ts, which run
 * no checkpoint themselves): the read transaction is kept across turns, for at most that long,
 * while nothing has been committed since it began. "Nothing committed" is read from SQLite's
 * WAL-index header, the first 48 bytes of the `-shm` file (https://sqlite.org/walformat.html:
 * iChange, mxFrame, salts and checksums change with every commit and every WAL reset), with one
 * pread per turn instead of the autocommit's locks and stat (~12 us less per turn at one request
 * in flight). A writer updates that header before its COMMIT returns, so a write committed before
 * a request is read is still seen by it, exactly as without holding. The age limit bounds how
 * long a TRUNCATE checkpoint in the main process waits for us. Without a `-shm` file (not WAL)
 * this falls back to one transaction per turn.
 */
import { openSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
import type Database from 'better-sqlite3';
import { mayISendWith, sendRowReader } from './addresses.js';
import { openDb } from './db.js';
import type { StoreOptions } from './index.js';
import { stateRules, type MayISend } from './state-rules.js';

/** Map the file rather than read(2) it: fewer syscalls and copies per page; pages stay shared
 *  with the OS page cache (address space only, not resident memory, when unused). */
const MMAP_BYTES = 1 << 30;

export interface Lookup {
  mayISend(address: string, now?: number): MayISend;
  close(): void;
}

/** The WAL-index header (one copy) at the start of the -shm file. */
const WAL_INDEX_HEADER_BYTES = 48;

export function openLookup(
  opts: Pick<StoreOptions, 'path' | 'busyTimeoutMs' | 'state' | 'clock'>,
  how: { holdSnapshotMs?: number } = {},
): Lookup {
  const db: Database.Database = openDb({ path: opts.path, busyTimeoutMs: opts.busyTimeoutMs, readonly: true });
  try {
    db.pragma(`mmap_size = ${MMAP_BYTES}`);
  } catch {
    // mmap is an optimisation; a build without it still answers correctly
  }
  const rules = stateRules(opts.state);
  const clock = opts.clock ?? Date.now;
  const read = sendRowReader(db);
  const begin = db.prepare('BEGIN');
  const commit = db.prepare('COMMIT');

  /** 0: no lookup this turn; 1: one autocommit lookup this turn; 2: inside the shared transaction. */
  let phase = 0;
  let closed = false;
  const endTurn = (): void => {
    if (phase === 2 && db.inTransaction) {
      try {
        commit.run();
      } catch {
        // a read transaction cannot fail to commit in a way that matters; the next turn starts fresh
      }
    }
    phase = 0;
  };

  // Held snapshots: the -shm file's WAL-index header when the held transaction began.
  const holdMs = how.holdSnapshotMs ?? 0;
  let shm: number | undefined;
  if (holdMs > 0) {
    try {
      // The read-only connection above has opened the WAL, so the -shm file exists now.
      shm = openSync(`${resolve(opts.path)}-shm`, 'r');
    } catch {
      shm = undefined; // not a WAL database: one transaction per turn
    }
  }
  const heldHeader = Buffer.alloc(WAL_INDEX_HEADER_BYTES);
  const header = Buffer.alloc(WAL_INDEX_HEADER_BYTES);
  let heldSince = 0;
  let checkedThisTurn = false;
  let releaseTimer: NodeJS.Timeout | undefined;
  const release = (): void => {
    releaseTimer = undefined;
    if (db.open && db.inTransaction) {
      try {
        commit.run();
      } catch {
        // see endTurn
      }
    }
  };
  const newTurn = (): void => {
    checkedThisTurn = false;
  };
  /** First lookup of a turn with held snapshots: keep the transaction only if nothing was committed. */
  const checkHeld = (fd: number): void => {
    checkedThisTurn = true;
    setImmediate(newTurn);
    const n = readSync(fd, header, 0, WAL_INDEX_HEADER_BYTES, 0);
    const t = performance.now();
    if (db.inTransaction && (n !== WAL_INDEX_HEADER_BYTES || !header.equals(heldHeader) || t - heldSince >= holdMs)) {
      clearTimeout(releaseTimer);
      release();
    }
    if (!db.inTransaction) {
      header.copy(heldHeader);
      heldSince = t;
      begin.run();
      // Ends it when traffic stops (or the turn check above does, on a commit or at the age limit).
      releaseTimer = setTimeout(release, holdMs);
      releaseTimer.unref();
    }
  };

  return {
    mayISend(address: string, now?: number): MayISend {
      if (closed) throw new Error('lookup handle is closed');
      if (shm !== undefined) {
        if (!checkedThisTurn) checkHeld(shm);
      } else if (phase === 0) {
        phase = 1;
        setImmediate(endTurn);
      } else if (phase === 1 && !db.inTransaction) {
        begin.run();
        phase = 2;
      }
      return mayISendWith(read, rules, address, now ?? clock());
    },
    close(): void {
      if (closed) return;
      closed = true;
      endTurn();
      clearTimeout(releaseTimer);
      release();
      // Not closeSync(shm): closing any descriptor of a file drops every POSIX lock this process
      // holds on it, including SQLite's own locks on the -shm from the process's other connections.
      // Another process would then take itself for the first user, truncate the -shm under our
      // mappings and crash us with SIGBUS (seen as a rare test-worker death). So the descriptor
      // stays open: one per openLookup with held snapshots, i.e. one per reader process.
      db.close();
    },
  };
}
