/**
 * store/postgresql/addresses - per-address state on PostgreSQL: "may I send?" with the one
 * decision function (state-rules.ts decideSend), status, history, lists, export, operator resets
 * and imports (stepped under the address's lock), and verify-state.
 */
import type pg from 'pg';
import type { AddressStatus, ImportResult, ImportRow, ListEntry, ListKind, ResetResult, ResetWhat } from '../api.js';
import { rowToFold, rowToState, storedFold, type AddressRow, type HistoryEntry } from '../events.js';
import { normaliseAddress } from '../normalise.js';
import {
  appendsTo,
  decideSend,
  emptyFold,
  emptyState,
  foldDifferences,
  stepFold,
  type AddressFold,
  type AddressState,
  type Effect,
  type FoldItem,
  type MayISend,
} from '../state-rules.js';
import type { StateDifference, VerifyOptions, VerifySummary } from '../verify.js';
import type { Category, Reason } from '../../types.js';
import { foldHistoryPg, loadFolds, lockAddresses, writeFolds, type PgContext } from './context.js';

export class PgAddresses {
  constructor(private readonly ctx: PgContext) {}


  private async state(address: string): Promise<{ s: AddressState; known: boolean }> {
    const r = await this.ctx.pool.query<AddressRow>('SELECT * FROM addresses WHERE address = $1', [address]);
    return r.rows[0] ? { s: rowToState(r.rows[0]), known: true } : { s: emptyState(address), known: false };
  }

  /** "May I send?": the columns decideSend reads, one indexed lookup; the same decision function. */
  async mayISend(address: string, now?: number): Promise<MayISend> {
    const a = normaliseAddress(address) || address;
    const r = await this.ctx.pool.query<Pick<AddressRow, 'email_invalid' | 'email_invalid_cause' | 'complained' | 'email_suspended' | 'email_suspended_cause' | 'email_suspended_at'>>(
      `SELECT email_invalid, email_invalid_cause, complained, email_suspended, email_suspended_cause, email_suspended_at
         FROM addresses WHERE address = $1`,
      [a],
    );
    const row = r.rows[0];
    const s: AddressState = row
      ? {
          ...emptyState(a),
          emailInvalid: row.email_invalid === 1,
          emailInvalidCause: row.email_invalid_cause,
          complained: row.complained === 1,
          emailSuspended: row.email_suspended === 1,
          emailSuspendedCause: row.email_suspended_cause,
          emailSuspendedAt: row.email_suspended_at,
        }
      : emptyState(a);
    return decideSend(s, this.ctx.rules, now ?? this.ctx.clock());
  }

  async addressStatus(address: string, now?: number): Promise<AddressStatus> {
    const a = normaliseAddress(address) || address;
    const { s, known } = await this.state(a);
    return { ...s, known, mayISend: decideSend(s, this.ctx.rules, now ?? this.ctx.clock()) };
  }

  async history(address: string, limit = 100): Promise<HistoryEntry[]> {
    const out: HistoryEntry[] = [];
    for await (const e of this.historyEntries(address, limit)) out.push(e);
    return out;
  }

  /** Newest first, at most `limit`, read as iterated (a role address's long history is never held
   *  whole). */
  historyEntries(address: string, limit = 100): AsyncIterable<HistoryEntry> {
    const a = normaliseAddress(address) || address;
    const rows = this.ctx.rows<HistoryRow>(
      'history',
      `SELECT 0 AS k, e.id, e.at, e.message_id, e.received_at, e.message_type, e.action, e.status, e.reply_code, e.reason, e.hard, e.category,
         e.likely_false_positive, e.evidence, coalesce(d.text, e.diagnostic) AS diagnostic, e.remote_mta, e.feedback_type, e.effect,
         NULL::text AS what, NULL::text AS why, NULL::text AS who
         FROM events e LEFT JOIN diagnostics d ON d.id = e.diagnostic_id WHERE e.address = $1
       UNION ALL
       SELECT 1, id, at, NULL, NULL, NULL, action, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, what, reason, who
         FROM address_actions WHERE address = $1
       ORDER BY at DESC, k, id DESC LIMIT $2`, // the order of store/events.ts history
      [a, Math.min(limit, Number.MAX_SAFE_INTEGER)],
    );
    return mapRows(rows, historyEntry);
  }

  async list(kind: ListKind, since?: number, now?: number): Promise<ListEntry[]> {
    const out: ListEntry[] = [];
    for await (const e of this.listEntries(kind, since, now)) out.push(e);
    return out;
  }

  /** The addresses with that flag, oldest first, read as iterated. */
  listEntries(kind: ListKind, since?: number, now?: number): AsyncIterable<ListEntry> {
    const col = kind === 'invalid' ? 'email_invalid' : kind === 'suspended' ? 'email_suspended' : 'complained';
    const atCol = kind === 'complained' ? 'complained_at' : `${col}_at`;
    const causeCol = kind === 'complained' ? "''" : `${col}_cause`;
    const rows = this.ctx.rows<{ address: string; at: number | null; cause: string }>(
      'list',
      `SELECT address, ${atCol} AS at, ${causeCol} AS cause FROM addresses WHERE ${col} = 1 AND ($1::bigint IS NULL OR ${atCol} >= $1)
        ORDER BY ${atCol}, address COLLATE "C"`,
      [since ?? null],
    );
    const t = now ?? this.ctx.clock();
    return mapRows(rows, (row) => {
      const e: ListEntry = { address: row.address, at: row.at, cause: row.cause };
      if (kind === 'suspended' && row.at !== null) {
        e.until = row.at + this.ctx.rules.suspendHours * 3_600_000;
        e.active = t < e.until;
      }
      return e;
    });
  }

  /** Every known address (or the flagged ones) in address order (byte order, as SQLite sorts),
   *  from one snapshot, read as iterated. */
  exportAddresses(opts: { flagged?: boolean } = {}): AsyncIterable<AddressState> {
    const where = opts.flagged ? ' WHERE email_invalid = 1 OR email_suspended = 1 OR complained = 1' : '';
    return mapRows(this.ctx.rows<AddressRow>('export', `SELECT * FROM addresses${where} ORDER BY address COLLATE "C"`, []), rowToState);
  }

  async reset(address: string, what: ResetWhat, reason: string, who: string): Promise<ResetResult> {
    const a = normaliseAddress(address);
    if (a === '') throw new Error(`reset: not an email address: ${JSON.stringify(address)}`);
    if (reason.trim() === '') throw new Error('reset: a reason is required (it is audited)');
    return this.ctx.transaction('reset', async (c) => {
      await lockAddresses(c, [a]);
      const now = this.ctx.clock();
      const row = (await c.query<AddressRow>('SELECT * FROM addresses WHERE address = $1', [a])).rows[0];
      const before = row ? rowToState(row) : emptyState(a);
      const cur = row ? rowToFold(row) : undefined;
      const ins = await c.query<{ id: number }>(
        `INSERT INTO address_actions (address, action, what, reason, who, at, before, after) VALUES ($1, 'reset', $2, $3, $4, $5, $6, NULL) RETURNING id`,
        [a, what, reason, who, now, JSON.stringify(before)],
      );
      const actionId = ins.rows[0]!.id;
      const after = await this.applyAction(c, a, { kind: 'action', id: actionId, order: now, action: 'reset', what, reason }, cur, now);
      await c.query('UPDATE address_actions SET after = $1 WHERE id = $2', [JSON.stringify(after), actionId]);
      const changed =
        before.emailInvalid !== after.emailInvalid ||
        before.emailSuspended !== after.emailSuspended ||
        before.complained !== after.complained ||
        before.softBounces !== after.softBounces;
      return { address: a, changed, before, after, actionId };
    });
  }

  async importSuppressions(rows: ImportRow[], who: string): Promise<ImportResult> {
    const result: ImportResult = { imported: 0, skipped: [] };
    const now = this.ctx.clock();
    for (let i = 0; i < rows.length; i += 1000) {
      const chunk = rows.slice(i, i + 1000);
      const ok: { r: ImportRow; a: string }[] = [];
      chunk.forEach((r, j) => {
        const a = normaliseAddress(r.address);
        if (a === '') result.skipped.push({ line: i + j + 1, address: r.address, why: 'not an email address' });
        else ok.push({ r, a });
      });
      await this.ctx.transaction('import', async (c) => {
        await lockAddresses(c, ok.map((x) => x.a));
        const folds = await loadFolds(c, ok.map((x) => x.a));
        for (const { r, a } of ok) {
          const at = r.at ?? now;
          const ins = await c.query<{ id: number }>(
            `INSERT INTO address_actions (address, action, what, reason, who, at, before, after) VALUES ($1, 'import', $2, $3, $4, $5, NULL, NULL) RETURNING id`,
            [a, r.what, r.cause ?? '', who, at],
          );
          const item: FoldItem = { kind: 'action', id: ins.rows[0]!.id, order: at, action: 'import', what: r.what, reason: r.cause ?? '' };
          await this.applyAction(c, a, item, folds.get(a), now);
          folds.set(a, (await loadFolds(c, [a])).get(a));
        }
      });
      result.imported += ok.length;
    }
    return result;
  }

  /** Apply one action (already inserted) to its address row under its lock: a step, or a fold. */
  private async applyAction(c: pg.PoolClient, a: string, item: FoldItem, cur: AddressFold | null | undefined, now: number): Promise<AddressState> {
    if (cur !== null && (cur === undefined || appendsTo(item, cur.last))) {
      const f = cur ?? emptyFold(a);
      stepFold(f, item, this.ctx.rules);
      await writeFolds(c, [f], now);
      return f.state;
    }
    const f = await foldHistoryPg(c, a, this.ctx.rules);
    if (f === null) {
      await c.query('DELETE FROM addresses WHERE address = $1', [a]);
      return emptyState(a);
    }
    await writeFolds(c, [f], now);
    return f.state;
  }

  /**
   * `rebound verify-state` on PostgreSQL, as store/verify.ts does it on SQLite: every address (or
   * the ones given) in address order, a chunk per transaction, its whole history folded again and
   * compared with its row; `repair` replaces a differing row under the address's lock (so no
   * daemon's step in between is lost).
   */
  async *verifyState(opts: VerifyOptions = {}): AsyncGenerator<StateDifference, VerifySummary> {
    const summary: VerifySummary = { checked: 0, differing: 0, repaired: 0 };
    const chunk = Math.max(1, opts.chunk ?? 500);
    const list = opts.addresses ? [...new Set(opts.addresses.map((a) => normaliseAddress(a) || a))].sort() : null;
    let cursor = '';
    let listAt = 0;
    for (;;) {
      let addresses: string[];
      if (list) {
        addresses = list.slice(listAt, listAt + chunk);
        listAt += addresses.length;
      } else {
        const r = await this.ctx.pool.query<{ a: string }>(
          `SELECT a FROM (SELECT address AS a FROM addresses WHERE address COLLATE "C" > $1
             UNION SELECT address FROM events WHERE address COLLATE "C" > $1
             UNION SELECT address FROM address_actions WHERE address COLLATE "C" > $1) s
           ORDER BY a COLLATE "C" LIMIT $2`,
          [cursor, chunk],
        );
        addresses = r.rows.map((x) => x.a);
        if (addresses.length > 0) cursor = addresses[addresses.length - 1]!;
      }
      if (addresses.length === 0) return summary;
      const found = await this.ctx.transaction('verify state', async (c) => {
        if (opts.repair) await lockAddresses(c, addresses);
        const rows = await c.query<AddressRow>('SELECT * FROM addresses WHERE address = ANY($1::text[])', [addresses]);
        const byAddress = new Map(rows.rows.map((r) => [r.address, r]));
        const out: StateDifference[] = [];
        const now = this.ctx.clock();
        for (const address of addresses) {
          summary.checked++;
          const row = byAddress.get(address);
          const stored = row ? storedFold(row) : null;
          const computed = await foldHistoryPg(c, address, this.ctx.rules);
          if (stored === null && computed === null) continue;
          const fields = stored === null || computed === null ? ['row'] : foldDifferences(stored, computed);
          if (fields.length === 0) continue;
          summary.differing++;
          let repaired = false;
          if (opts.repair) {
            if (computed === null) await c.query('DELETE FROM addresses WHERE address = $1', [address]);
            else await writeFolds(c, [computed], now);
            summary.repaired++;
            repaired = true;
          }
          out.push({ address, fields, stored, computed, repaired });
        }
        return out;
      });
      opts.onProgress?.(summary.checked, summary.differing);
      yield* found;
      if (list && listAt >= list.length) return summary;
    }
  }

  /** Fold one address's whole history (read only): what verify-state compares a row with. */
  async foldAddress(address: string): Promise<AddressFold | null> {
    const c = await this.ctx.pool.connect();
    try {
      return await foldHistoryPg(c, address, this.ctx.rules);
    } finally {
      c.release();
    }
  }
}

async function* mapRows<R, T>(rows: AsyncIterable<R>, f: (r: R) => T): AsyncGenerator<T> {
  for await (const r of rows) yield f(r);
}

interface HistoryRow {
  k: number;
  id: number;
  at: number;
  message_id: number | null;
  received_at: number | null;
  message_type: string | null;
  action: string;
  status: string | null;
  reply_code: string | null;
  reason: string | null;
  hard: number | null;
  category: number | null;
  likely_false_positive: number | null;
  evidence: string | null;
  diagnostic: string | null;
  remote_mta: string | null;
  feedback_type: string | null;
  effect: string | null;
  what: string | null;
  why: string | null;
  who: string | null;
}

function historyEntry(e: HistoryRow): HistoryEntry {
  if (e.k === 1) return { kind: e.action as 'reset' | 'import', id: e.id, at: e.at, what: e.what ?? '', why: e.why ?? '', who: e.who ?? '' };
  return {
    kind: 'event',
    id: e.id,
    at: e.at,
    messageId: e.message_id ?? 0,
    receivedAt: e.received_at ?? 0,
    messageType: e.message_type ?? '',
    action: e.action,
    status: e.status ?? '',
    replyCode: e.reply_code ?? '',
    reason: (e.reason ?? '') as Reason,
    hard: e.hard === 1,
    category: (e.category ?? 0) as Category,
    likelyFalsePositive: e.likely_false_positive === 1,
    evidence: e.evidence ?? '',
    diagnostic: e.diagnostic ?? '',
    remoteMta: e.remote_mta ?? '',
    feedbackType: e.feedback_type ?? '',
    effect: (e.effect ?? 'none') as Effect,
  };
}

