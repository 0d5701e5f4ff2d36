/**
 * store/lookup - the fast read path for "may I send?" (`check`, Postfix socketmap and policy):
 * a read-only SQLite handle of its own that answers with the store's own function
 * (addresses.ts mayISendWith: the same row reader and decideSend), only cheaper per lookup.
 *
 * In: the store path, busy timeout and state rules (StoreOptions).
 * Out: `openLookup(opts)` -> { mayISend(address, now?), close() }.
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
 * Not kept: holding a snapshot across turns while the WAL-index header in the `-shm` file showed
 * no commit. At 10,000 lookups/s from 32 clients with intake committing meanwhile it saved no
 * CPU per lookup and no latency (docs/BENCHMARKS.md "status socket during an intake burst"), and
 * its open descriptor on the -shm was one close() away from dropping SQLite's locks (SIGBUS).
 */
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

export function openLookup(
  opts: Pick<StoreOptions, 'path' | 'busyTimeoutMs' | 'state' | 'clock'>,
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

  return {
    mayISend(address: string, now?: number): MayISend {
      if (closed) throw new Error('lookup handle is closed');
      if (phase === 0) {
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
      db.close();
    },
  };
}
