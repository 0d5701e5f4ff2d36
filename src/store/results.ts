/**
 * store/results - processing results: a batch of plans (pipeline/plan.ts) becomes, in one
 * transaction, the message rows' final state, one event per recipient and each touched address's
 * row (stepped in O(1), or folded again from its whole history when a forced reprocess replaced
 * its events). The SQLite ResultStore of store/api.ts.
 */
import type { IngestItem, ProcessOutcome, ProcessPlan, ResultStore, SaveResult } from './api.js';
import type { StoreContext } from './context.js';
import { DaemonError } from '../errors.js';
import { applyItem, diagnosticIds, eventItem, insertEvent, recomputeAddress } from './events.js';
import { capText, MAX_STORED_PROBLEMS } from './limits.js';
import { insertMessage, packRaw, type PreparedMessage } from './messages.js';

const EMPTY = Buffer.alloc(0);

export class SqliteResults implements ResultStore {
  constructor(private readonly ctx: StoreContext) {}

  commitPlans(plans: (ProcessPlan | ProcessOutcome)[], packs: [Buffer, number][], opts: { force?: boolean; relaxed?: boolean } = {}): ProcessOutcome[] {
    // No await from here to the commit: the plans are written in one synchronous transaction
    // (commitPlan re-checks each row's state, as another writer may have finished it meanwhile).
    const commit = () =>
      this.ctx.db
        .transaction(() => {
          for (const [gz, id] of packs) this.ctx.m.pack.run(gz, id);
          const refold = new Set<string>();
          const out = plans.map((p) => ('skipped' in p ? p : this.commitPlan(p, opts.force ?? false, refold)));
          this.refold(refold);
          return out;
        })
        .immediate();
    return this.ctx.write('process messages', () => (opts.relaxed ? this.ctx.relaxed(commit) : commit()));
  }

  commitIngest(items: IngestItem[], opts: { relaxed?: boolean } = {}): (SaveResult & { outcome: ProcessOutcome })[] {
    // Compress outside the write lock; a message already finished is not stored again (its
    // bytes are not needed: the INSERT finds the row and changes nothing).
    const prepared = items.map((it): PreparedMessage =>
      it.plan === null
        ? { env: it.env, sha256: it.sha256, size: it.raw.length, body: EMPTY, compression: 'gzip' }
        : { env: it.env, sha256: it.sha256, size: it.raw.length, body: it.gzip ?? packRaw(it.raw), compression: 'gzip' },
    );
    const now = this.ctx.clock();
    const commit = () =>
      this.ctx.db
        .transaction(() => {
          const refold = new Set<string>();
          const out = items.map((it, i) => {
            const saved = insertMessage(this.ctx.m, prepared[i]!, now);
            const plan = it.plan;
            const outcome: ProcessOutcome =
              plan === null
                ? { id: saved.id, state: this.ctx.m.state.get(saved.id)!.state, skipped: true, events: 0, addresses: [], categories: [] }
                : this.commitPlan({ ...plan, id: saved.id }, false, refold);
            return { ...saved, outcome };
          });
          this.refold(refold);
          return out;
        })
        .immediate();
    return this.ctx.write('ingest messages', () => (opts.relaxed ? this.ctx.relaxed(commit) : commit()));
  }

  /** Write one plan (caller holds the transaction, and refolds the addresses left in `refold` before
   *  it commits). Re-checks the state: another process may have won. */
  private commitPlan(p: ProcessPlan, force: boolean, refold: Set<string>): ProcessOutcome {
    const cur = this.ctx.m.state.get(p.id);
    if (!cur) throw new DaemonError('internal', `store: message ${p.id} vanished`);
    if (cur.state !== 'pending' && !force) {
      return { id: p.id, state: cur.state, skipped: true, events: 0, addresses: [], categories: [] };
    }
    const now = this.ctx.clock();
    const touched = this.recordEvents(p, cur.stored_at, now, refold);
    this.ctx.m.finish.run({
      id: p.id,
      state: p.state,
      error: p.error,
      messageType: p.analysis?.type ?? null,
      decodedBy: p.analysis?.decodedBy ?? null,
      problems: p.analysis && p.analysis.problems.length > 0 ? storedProblems(p.analysis.problems) : null,
      bounceAt: p.bounceAt,
      now,
    });
    const outcome: ProcessOutcome = {
      id: p.id,
      state: p.state,
      skipped: false,
      events: p.events.length,
      addresses: touched,
      categories: p.events.filter((e) => e.effect !== 'none' && e.effect !== 'delivered' && e.effect !== 'complaint').map((e) => e.result.category),
    };
    if (p.analysis) outcome.messageType = p.analysis.type;
    if (p.error !== null) outcome.error = p.error;
    return outcome;
  }

  /**
   * Replace a message's events and bring its addresses' rows up to date (caller holds the
   * transaction); returns the addresses touched. A new event is stepped into its address's row
   * (applyItem: O(1) when it comes after everything folded there). An address that had events of
   * this message before (a forced reprocess) goes into `refold`: its old events' effects cannot be
   * taken back one by one, so its whole history is folded again - once per transaction, after all
   * of it (refold()), however many of the batch's messages name it; until then its new events are
   * only inserted.
   */
  private recordEvents(p: ProcessPlan, storedAt: number, now: number, refold: Set<string>): string[] {
    const replaced = this.ctx.e.addressesOfMessage.all(p.id).map((r) => r.address);
    if (replaced.length > 0) this.ctx.e.deleteOfMessage.run(p.id);
    this.ctx.e.deleteDiagnosticsOfMessage.run(p.id);
    const diagnosticId = diagnosticIds(this.ctx.e, p.id);
    for (const a of replaced) if (a !== '') refold.add(a);
    const touched = new Set<string>(replaced);
    for (const ev of p.events) {
      const id = insertEvent(this.ctx.e, p.id, ev, diagnosticId);
      touched.add(ev.address);
      if (ev.address !== '' && !refold.has(ev.address)) applyItem(this.ctx.e, eventItem(id, storedAt, ev), ev.address, this.ctx.rules, now);
    }
    touched.delete('');
    return [...touched];
  }

  /** Fold each address again from its whole history (caller holds the transaction). */
  private refold(addresses: Set<string>): void {
    if (addresses.size === 0) return;
    const now = this.ctx.clock();
    for (const a of addresses) recomputeAddress(this.ctx.e, a, this.ctx.rules, now);
  }
}

/** A message's problems as stored: JSON, at most MAX_STORED_PROBLEMS characters (the last entry
 *  says how many were left out). */
export function storedProblems(problems: string[]): string {
  const kept: string[] = [];
  let size = 2;
  for (const [i, p] of problems.entries()) {
    const one = capText(p, 1000);
    if (size + one.length + 4 > MAX_STORED_PROBLEMS - 60) {
      kept.push(`... ${problems.length - i} more problems not stored`);
      break;
    }
    kept.push(one);
    size += JSON.stringify(one).length + 1;
  }
  return JSON.stringify(kept);
}
