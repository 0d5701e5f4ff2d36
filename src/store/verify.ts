/**
 * store/verify - the whole-history check of the incremental address state (`rebound verify-state`).
 *
 * Every address row is kept by stepping it one item at a time (events.ts applyItem); this folds
 * each address's whole history again (addresses.ts foldAll) and compares: the row's fields, the
 * counted soft days and the position of the last item. An address with events or actions but no
 * row, or a row without any, is a difference too. With `repair`, a differing row is replaced by
 * the fold (the same write as recomputeAddress), in the same transaction that found it.
 *
 * Addresses are visited in address order, a chunk per transaction (a read snapshot, or the write
 * lock when repairing), found by keyset (`min(address) > last` over addresses, events and actions),
 * so memory stays flat on any number of addresses and the daemon's writers wait at most one chunk.
 */
import { foldDifferences, type AddressFold, type StateRules } from './state-rules.js';
import type { Db } from './db.js';
import { foldHistory, recomputeAddress, storedFold, type EventStatements } from './events.js';

export interface StateDifference {
  address: string;
  /** Names of the differing fields (AddressState keys, 'softDayList', 'last'; 'row' when the row
   *  is missing or has no history at all). */
  fields: string[];
  /** The row as stored (null: no row). */
  stored: AddressFold | null;
  /** The fold of the history (null: no event or action). */
  computed: AddressFold | null;
  repaired: boolean;
}

export interface VerifySummary {
  checked: number;
  differing: number;
  repaired: number;
}

export interface VerifyOptions {
  /** Replace each differing row by the fold of its history. */
  repair?: boolean;
  /** Only these (normalised) addresses; default every address. */
  addresses?: string[];
  /** Addresses per transaction (default 500). */
  chunk?: number;
  /** Called after each chunk with the counts so far. */
  onProgress?: (checked: number, differing: number) => void;
}

export function* verifyAddresses(
  db: Db,
  st: EventStatements,
  rules: StateRules,
  clock: () => number,
  opts: VerifyOptions = {},
): Generator<StateDifference, VerifySummary> {
  const summary: VerifySummary = { checked: 0, differing: 0, repaired: 0 };
  const chunk = Math.max(1, opts.chunk ?? 500);
  const next = db.prepare<[string, string, string], { a: string | null }>(
    `SELECT min(a) AS a FROM (SELECT min(address) AS a FROM addresses WHERE address > ?
       UNION ALL SELECT min(address) FROM events WHERE address > ?
       UNION ALL SELECT min(address) FROM address_actions WHERE address > ?)`,
  );
  const list = opts.addresses ? [...new Set(opts.addresses)].sort() : null;
  let cursor = '';
  let listAt = 0;
  const check = (address: string): StateDifference | null => {
    summary.checked++;
    const row = st.getAddress.get(address);
    const stored = row ? storedFold(row) : null;
    const computed = foldHistory(st, address, rules);
    let fields: string[];
    if (stored === null && computed === null) return null;
    if (stored === null || computed === null) fields = ['row'];
    else fields = foldDifferences(stored, computed);
    if (fields.length === 0) return null;
    summary.differing++;
    let repaired = false;
    if (opts.repair) {
      recomputeAddress(st, address, rules, clock());
      summary.repaired++;
      repaired = true;
    }
    return { address, fields, stored, computed, repaired };
  };
  for (;;) {
    const found: StateDifference[] = [];
    let done = false;
    const run = db.transaction(() => {
      for (let i = 0; i < chunk; i++) {
        let address: string | null;
        if (list) address = listAt < list.length ? list[listAt++]! : null;
        else {
          address = next.get(cursor, cursor, cursor)?.a ?? null;
          if (address !== null) cursor = address;
        }
        if (address === null) {
          done = true;
          return;
        }
        const d = check(address);
        if (d) found.push(d);
      }
    });
    if (opts.repair) run.immediate();
    else run.deferred();
    opts.onProgress?.(summary.checked, summary.differing);
    yield* found;
    if (done) return summary;
  }
}
