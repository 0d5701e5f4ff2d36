/**
 * store - the one API the rest of rebound uses to remember bounces (better-sqlite3 stays in this
 * folder, and nothing here imports a module above it). openStore opens the SQLite file (db.ts)
 * and puts together the five modules of the store seam (api.ts): messages.ts (raw messages),
 * results.ts (a processed batch's events and address rows), addresses.ts (state, "may I send?",
 * history, lists, operator actions), imap-state.ts and maintenance.ts. lookup.ts is the
 * read-only "may I send?" handle of the status socket and Postfix lookups.
 *
 * Config keys: store.path, store.busyTimeoutMs, state.suspendHours, state.escalation.*,
 * jobs.prune.messagesDays / eventsDays (via prune()). Schema: docs/SCHEMA.md; rules: docs/STATE-RULES.md.
 *
 * Every write is a short transaction so the daemon and CLI commands can share the file (WAL +
 * busy timeout). SQLite errors from writes are rethrown as DaemonError ('db-busy', 'disk-full',
 * 'store-write') so intake can answer 451 4.3.0.
 */
import { SqliteAddresses } from './addresses.js';
import type { Store } from './api.js';
import { StoreContext } from './context.js';
import { openDb } from './db.js';
import { SqliteImapState } from './imap-state.js';
import { SqliteMaintenance } from './maintenance.js';
import { SqliteMessages } from './messages.js';
import { SqliteResults } from './results.js';
import { stateRules, type StateRules } from './state-rules.js';
import type { CheckOptions } from '../verp/sign.js';
import { bound } from './bound.js';

export type * from './api.js';
export type { AddressState, MayISend, SendVerdict, StateRules, Effect, AddressFold } from './state-rules.js';
export type { HistoryEntry, EventInput } from './events.js';
export type { StateDifference, VerifyOptions, VerifySummary } from './verify.js';
export type { MessageState, StoredMessage } from './messages.js';
export { BackupNotSupportedError } from './api.js';
export { DamagedStoreError, SchemaTooNewError, SCHEMA_VERSION } from './db.js';
export { normaliseAddress } from './normalise.js';
export { packRaw } from './messages.js';
export { openLookup, type Lookup } from './lookup.js';
export { causeOf, effectOf, defaultStateRules } from './state-rules.js';

export interface StoreOptions {
  /** SQLite file (created with its directory), or ':memory:' for tests. Config: store.path. */
  path: string;
  /** Config: store.busyTimeoutMs (default 5000). */
  busyTimeoutMs?: number;
  readonly?: boolean;
  /** Milliseconds since the epoch; injectable so tests can move time. Default Date.now. */
  clock?: () => number;
  /** Config slice `state` (suspendHours, escalation). Missing keys take the defaults. */
  state?: Partial<StateRules> & { escalation?: Partial<StateRules['escalation']> };
  /** See OpenDbOptions.walAutocheckpoint (store/db.ts). */
  walAutocheckpoint?: number;
  /** Run PRAGMA quick_check at open (the daemon's start); a damaged file is refused either way. */
  check?: boolean;
  /** Config slice `verp`: judges the return paths of messages stored before intake kept its
   *  verdicts (schema < 8), when they are read (store/messages.ts). Absent: such rows have no token. */
  legacyVerp?: CheckOptions;
}

export function openStore(opts: StoreOptions): Store {
  const db = openDb(opts);
  const ctx = new StoreContext(db, opts.path, opts.clock ?? Date.now, stateRules(opts.state), opts.legacyVerp);
  const addresses = new SqliteAddresses(ctx);
  if (!db.readonly) addresses.recomputeMigrated();
  const imap = new SqliteImapState(ctx);
  return Object.assign(
    { path: opts.path, close: () => ctx.close() },
    bound(new SqliteMessages(ctx)),
    bound(new SqliteResults(ctx)),
    bound(addresses),
    bound(imap),
    bound(new SqliteMaintenance(ctx, () => imap.getImapHealth())),
  );
}
