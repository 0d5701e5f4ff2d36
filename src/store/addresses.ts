/**
 * store/addresses - per-address state as the rest of rebound reads and changes it: the one "may I
 * send?" decision (decideSend of state-rules.ts over one row reader, sendStateOf), status,
 * history, the invalid/suspended/complained lists, export, and the audited operator actions
 * (reset, import). The SQLite AddressStore of store/api.ts.
 */
import type { Db } from './db.js';
import type { StateRules } from './state-rules.js';
import type { AddressStatus, AddressStore, ImportResult, ImportRow, ListEntry, ListKind, ResetResult, ResetWhat } from './api.js';
import type { StoreContext } from './context.js';
import { applyItem, iterateHistory, recomputeAddress, rowToState, type HistoryEntry } from './events.js';
import { normaliseAddress } from './normalise.js';
import { decideSend, emptyState, type AddressState, type MayISend } from './state-rules.js';
import { verifyAddresses, type StateDifference, type VerifyOptions, type VerifySummary } from './verify.js';

/** The columns "may I send?" reads (decideSend), in this order: email_invalid,
 *  email_invalid_cause, complained, email_suspended, email_suspended_cause, email_suspended_at. */
type SendRow = [number, string, number, number, string, number | null];

/** One address's SendRow, or undefined when the address is unknown. */
export type SendRowReader = (key: string) => SendRow | undefined;

/** The one row reader of "may I send?": only the columns decideSend reads, as an array (about
 *  2 us cheaper per hit than `SELECT *` into an object; the status socket's hot path). */
export function sendRowReader(db: Db): SendRowReader {
  const get = db
    .prepare<[string], SendRow>(
      `SELECT email_invalid, email_invalid_cause, complained, email_suspended, email_suspended_cause,
         email_suspended_at FROM addresses WHERE address = ?`,
    )
    .raw(true);
  return (key) => get.get(key) as SendRow | undefined;
}

/** The one "may I send to `address` now?": the address's normal form, its row, decideSend. Used
 *  by the store (CLI, daemon) and by the status socket's lookup handle (lookup.ts). */
export function mayISendWith(read: SendRowReader, rules: StateRules, address: string, now: number): MayISend {
  const a = normaliseAddress(address);
  const key = a === '' ? address : a;
  const r = read(key);
  if (!r) return decideSend(emptyState(key), rules, now);
  // The fields of AddressState that decideSend reads (as rowToState maps them).
  const s = {
    address: key,
    emailInvalid: r[0] === 1,
    emailInvalidCause: r[1],
    complained: r[2] === 1,
    emailSuspended: r[3] === 1,
    emailSuspendedCause: r[4],
    emailSuspendedAt: r[5],
  } as AddressState;
  return decideSend(s, rules, now);
}

export class SqliteAddresses implements AddressStore {
  private readonly sendRow: SendRowReader;
  constructor(private readonly ctx: StoreContext) {
    this.sendRow = sendRowReader(ctx.db);
  }

  /** Addresses that migration 0004 merged (two old keys, one normal form): fold them again from all
   *  their events and actions, with this store's rules, once. */
  recomputeMigrated(): void {
    const pending = this.ctx.db.prepare('SELECT address FROM address_recompute').pluck().all() as string[];
    if (pending.length === 0) return;
    const now = this.ctx.clock();
    this.ctx.db
      .transaction(() => {
        for (const a of pending) recomputeAddress(this.ctx.e, a, this.ctx.rules, now);
        this.ctx.db.prepare('DELETE FROM address_recompute').run();
      })
      .immediate();
  }

  private state(address: string): { s: AddressState; known: boolean } {
    const row = this.ctx.e.getAddress.get(address);
    return row ? { s: rowToState(row), known: true } : { s: emptyState(address), known: false };
  }

  mayISend(address: string, now?: number): MayISend {
    return mayISendWith(this.sendRow, this.ctx.rules, address, now ?? this.ctx.clock());
  }

  addressStatus(address: string, now?: number): AddressStatus {
    const a = normaliseAddress(address);
    const { s, known } = this.state(a === '' ? address : a);
    return { ...s, known, mayISend: decideSend(s, this.ctx.rules, now ?? this.ctx.clock()) };
  }

  history(address: string, limit = 100): HistoryEntry[] {
    return [...this.historyEntries(address, limit)];
  }

  list(kind: ListKind, since?: number, now?: number): ListEntry[] {
    return [...this.listEntries(kind, since, now)];
  }

  *listEntries(kind: ListKind, since?: number, now?: number): IterableIterator<ListEntry> {
    const col = kind === 'invalid' ? 'email_invalid' : kind === 'suspended' ? 'email_suspended' : 'complained';
    const atCol = kind === 'complained' ? 'complained_at' : `${col}_at`;
    const causeCol = kind === 'complained' ? "''" : `${col}_cause`;
    // The partial index on (at) of a WITHOUT ROWID table holds the address too: no sort.
    const rows = this.ctx.db
      .prepare(
        `SELECT address, ${atCol} AS at, ${causeCol} AS cause FROM addresses WHERE ${col} = 1 AND (? IS NULL OR ${atCol} >= ?) ORDER BY ${atCol}, address`,
      )
      .iterate(since ?? null, since ?? null) as IterableIterator<{ address: string; at: number | null; cause: string }>;
    const t = now ?? this.ctx.clock();
    for (const r of rows) {
      const e: ListEntry = { address: r.address, at: r.at, cause: r.cause };
      if (kind === 'suspended' && r.at !== null) {
        e.until = r.at + this.ctx.rules.suspendHours * 3_600_000;
        e.active = t < e.until;
      }
      yield e;
    }
  }

  historyEntries(address: string, limit = 100): IterableIterator<HistoryEntry> {
    const a = normaliseAddress(address);
    return iterateHistory(this.ctx.e, a === '' ? address : a, limit);
  }

  *exportAddresses(opts: { flagged?: boolean } = {}): IterableIterator<AddressState> {
    const where = opts.flagged ? ' WHERE email_invalid = 1 OR email_suspended = 1 OR complained = 1' : '';
    const it = this.ctx.db.prepare(`SELECT * FROM addresses${where} ORDER BY address`).iterate() as IterableIterator<Parameters<typeof rowToState>[0]>;
    for (const r of it) yield rowToState(r);
  }

  reset(address: string, what: ResetWhat, reason: string, who: string): ResetResult {
    const a = normaliseAddress(address);
    if (a === '') throw new Error(`reset: not an email address: ${JSON.stringify(address)}`);
    if (reason.trim() === '') throw new Error('reset: a reason is required (it is audited)');
    return this.ctx.write('reset', () =>
      this.ctx.db
        .transaction(() => {
          const now = this.ctx.clock();
          const before = this.state(a).s;
          const info = this.ctx.e.insertAction.run({
            address: a,
            action: 'reset',
            what,
            reason,
            who,
            at: now,
            before: JSON.stringify(before),
            after: null,
          });
          const actionId = Number(info.lastInsertRowid);
          const after = applyItem(this.ctx.e, { kind: 'action', id: actionId, order: now, action: 'reset', what, reason }, a, this.ctx.rules, now);
          this.ctx.e.setActionAfter.run(JSON.stringify(after), actionId);
          const changed =
            before.emailInvalid !== after.emailInvalid ||
            before.emailSuspended !== after.emailSuspended ||
            before.complained !== after.complained ||
            before.softBounces !== after.softBounces;
          return { address: a, changed, before, after, actionId };
        })
        .immediate(),
    );
  }

  verifyState(opts: VerifyOptions = {}): Generator<StateDifference, VerifySummary> {
    const o = { ...opts };
    if (opts.addresses) o.addresses = opts.addresses.map((a) => normaliseAddress(a) || a);
    return verifyAddresses(this.ctx.db, this.ctx.e, this.ctx.rules, this.ctx.clock, o);
  }

  importSuppressions(rows: ImportRow[], who: string): ImportResult {
    const result: ImportResult = { imported: 0, skipped: [] };
    const now = this.ctx.clock();
    for (let i = 0; i < rows.length; i += 1000) {
      this.ctx.write('import', () =>
        this.ctx.db
          .transaction(() => {
            rows.slice(i, i + 1000).forEach((r, j) => {
              const a = normaliseAddress(r.address);
              if (a === '') {
                result.skipped.push({ line: i + j + 1, address: r.address, why: 'not an email address' });
                return;
              }
              const at = r.at ?? now;
              const info = this.ctx.e.insertAction.run({
                address: a,
                action: 'import',
                what: r.what,
                reason: r.cause ?? '',
                who,
                at,
                before: null,
                after: null,
              });
              // An import dated in the past sorts before later items: applyItem folds again then.
              const id = Number(info.lastInsertRowid);
              applyItem(this.ctx.e, { kind: 'action', id, order: at, action: 'import', what: r.what, reason: r.cause ?? '' }, a, this.ctx.rules, now);
              result.imported++;
            });
          })
          .immediate(),
      );
    }
    return result;
  }
}
