/**
 * store/events - one `events` row per recipient result, and the address row kept from its events
 * and operator actions (the fold in addresses.ts): applyItem steps the row by one new item when it
 * comes after everything folded in (O(1)), recomputeAddress folds the whole history.
 *
 * In: recipient results already labelled with their effect. Out: rows; AddressState per address.
 */
import type { Category, MessageType, Reason, RecipientResult } from '../types.js';
import { appendsTo, emptyFold, foldAll, stepFold, type AddressFold, type AddressState, type Effect, type FoldItem, type StateRules } from './state-rules.js';
import type { Db } from './db.js';
import { capText, MAX_STORED_DIAGNOSTIC, MAX_STORED_EVIDENCE } from './limits.js';

export interface EventInput {
  address: string;
  rawAddress: string;
  at: number;
  receivedAt: number;
  messageType: MessageType;
  result: RecipientResult;
  effect: Effect;
  cause: string;
}

export interface HistoryEntry {
  kind: 'event' | 'reset' | 'import';
  id: number;
  /** When it happened: the bounce time for events, the action time for resets/imports. */
  at: number;
  /** Events: the message row it came from. */
  messageId?: number;
  receivedAt?: number;
  messageType?: string;
  action?: string;
  status?: string;
  replyCode?: string;
  reason?: Reason;
  hard?: boolean;
  category?: Category;
  likelyFalsePositive?: boolean;
  evidence?: string;
  diagnostic?: string;
  remoteMta?: string;
  feedbackType?: string;
  effect?: Effect;
  /** Resets and imports: what was changed, why and by whom. */
  what?: string;
  why?: string;
  who?: string;
}

interface EventRow {
  id: number;
  message_id: number;
  address: string;
  at: number;
  received_at: number;
  message_type: string;
  action: string;
  status: string;
  reply_code: string;
  reason: string;
  hard: number;
  category: number;
  likely_false_positive: number;
  evidence: string;
  diagnostic: string;
  remote_mta: string;
  feedback_type: string;
  effect: string;
}

interface ActionRow {
  id: number;
  address: string;
  action: 'reset' | 'import';
  what: string;
  reason: string;
  who: string;
  at: number;
}

interface AddressRow {
  address: string;
  email_suspended: number;
  email_suspended_cause: string;
  email_suspended_at: number | null;
  email_invalid: number;
  email_invalid_cause: string;
  email_invalid_at: number | null;
  complained: number;
  complained_at: number | null;
  soft_bounces: number;
  soft_days: number;
  last_soft_at: number | null;
  first_bounce_at: number | null;
  last_bounce_at: number | null;
  events: number;
  updated_at: number;
  soft_day_list: string;
  fold_order: number | null;
  fold_rank: number | null;
  fold_id: number | null;
}

export function eventStatements(db: Db) {
  return {
    // The diagnostic text lives in `diagnostics` (once per message and distinct text, capped):
    // events.diagnostic stays '' (migration 0005).
    insert: db.prepare(
      `INSERT INTO events (message_id, address, raw_address, at, received_at, message_type, action, status, reply_code,
         reason, hard, category, likely_false_positive, evidence, diagnostic, diagnostic_id, remote_mta, feedback_type, effect)
       VALUES (@messageId, @address, @rawAddress, @at, @receivedAt, @messageType, @action, @status, @replyCode,
         @reason, @hard, @category, @lfp, @evidence, '', @diagnosticId, @remoteMta, @feedbackType, @effect)`,
    ),
    insertDiagnostic: db.prepare<[number, string]>('INSERT INTO diagnostics (message_id, text) VALUES (?, ?)'),
    deleteDiagnosticsOfMessage: db.prepare<[number]>('DELETE FROM diagnostics WHERE message_id = ?'),
    addressesOfMessage: db.prepare<[number], { address: string }>(
      'SELECT DISTINCT address FROM events WHERE message_id = ?',
    ),
    deleteOfMessage: db.prepare<[number]>('DELETE FROM events WHERE message_id = ?'),
    foldEvents: db.prepare<[string], Pick<EventRow, 'id' | 'at' | 'received_at' | 'effect' | 'diagnostic' | 'reply_code' | 'status' | 'reason'>>(
      // Folded in the order rebound learnt of them: the message's stored_at (our clock at commit),
      // not received_at, which for IMAP is the mailbox's INTERNALDATE and may predate a reset.
      `SELECT e.id, e.at, m.stored_at AS received_at, e.effect, coalesce(d.text, e.diagnostic) AS diagnostic, e.reply_code, e.status, e.reason
         FROM events e JOIN messages m ON m.id = e.message_id LEFT JOIN diagnostics d ON d.id = e.diagnostic_id
         WHERE e.address = ? ORDER BY m.stored_at, e.id`,
    ),
    foldActions: db.prepare<[string], ActionRow>('SELECT * FROM address_actions WHERE address = ? ORDER BY at, id'),
    getAddress: db.prepare<[string], AddressRow>('SELECT * FROM addresses WHERE address = ?'),
    upsertAddress: db.prepare(
      `INSERT INTO addresses (address, email_suspended, email_suspended_cause, email_suspended_at, email_invalid,
         email_invalid_cause, email_invalid_at, complained, complained_at, soft_bounces, soft_days, last_soft_at,
         first_bounce_at, last_bounce_at, events, updated_at, soft_day_list, fold_order, fold_rank, fold_id)
       VALUES (@address, @emailSuspended, @emailSuspendedCause, @emailSuspendedAt, @emailInvalid, @emailInvalidCause,
         @emailInvalidAt, @complained, @complainedAt, @softBounces, @softDays, @lastSoftAt, @firstBounceAt,
         @lastBounceAt, @events, @updatedAt, @softDayList, @foldOrder, @foldRank, @foldId)
       ON CONFLICT (address) DO UPDATE SET email_suspended = excluded.email_suspended,
         email_suspended_cause = excluded.email_suspended_cause, email_suspended_at = excluded.email_suspended_at,
         email_invalid = excluded.email_invalid, email_invalid_cause = excluded.email_invalid_cause,
         email_invalid_at = excluded.email_invalid_at, complained = excluded.complained,
         complained_at = excluded.complained_at, soft_bounces = excluded.soft_bounces, soft_days = excluded.soft_days,
         last_soft_at = excluded.last_soft_at, first_bounce_at = excluded.first_bounce_at,
         last_bounce_at = excluded.last_bounce_at, events = excluded.events, updated_at = excluded.updated_at,
         soft_day_list = excluded.soft_day_list, fold_order = excluded.fold_order, fold_rank = excluded.fold_rank,
         fold_id = excluded.fold_id`,
    ),
    deleteAddress: db.prepare<[string]>('DELETE FROM addresses WHERE address = ?'),
    insertAction: db.prepare(
      `INSERT INTO address_actions (address, action, what, reason, who, at, before, after)
       VALUES (@address, @action, @what, @reason, @who, @at, @before, @after)`,
    ),
    setActionAfter: db.prepare<[string, number]>('UPDATE address_actions SET after = ? WHERE id = ?'),
    // Events and actions in one statement, newest first, so a long history is read as it is
    // written out. At one millisecond, events before actions: ids of two tables do not order
    // each other (a reprocessed event's id is reused here and not on PostgreSQL).
    history: db.prepare<[string, string, number], HistoryRow>(
      `SELECT 0 AS k, e.id, e.at, e.message_id, e.received_at, e.message_type, e.action, e.status, e.reply_code, e.reason, e.hard,
         e.category, e.likely_false_positive, e.evidence, coalesce(d.text, e.diagnostic) AS diagnostic, e.remote_mta, e.feedback_type,
         e.effect, NULL AS what, NULL AS why, NULL AS who
         FROM events e LEFT JOIN diagnostics d ON d.id = e.diagnostic_id WHERE e.address = ?
       UNION ALL
       SELECT 1, id, at, NULL, NULL, NULL, action, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, what, reason, who
         FROM address_actions WHERE address = ?
       ORDER BY at DESC, k, id DESC LIMIT ?`,
    ),
  };
}

export type EventStatements = ReturnType<typeof eventStatements>;

/**
 * The id of each distinct diagnostic text of one message, inserting it (capped) on first use: the
 * events of a message share their texts. One per message being written; '' has none (null).
 */
export function diagnosticIds(st: EventStatements, messageId: number): (text: string) => number | null {
  const ids = new Map<string, number>();
  return (text) => {
    if (text === '') return null;
    const t = capText(text, MAX_STORED_DIAGNOSTIC);
    let id = ids.get(t);
    if (id === undefined) {
      id = Number(st.insertDiagnostic.run(messageId, t).lastInsertRowid);
      ids.set(t, id);
    }
    return id;
  };
}

export function insertEvent(st: EventStatements, messageId: number, e: EventInput, diagnosticId: (text: string) => number | null): number {
  const r = e.result;
  const info = st.insert.run({
    messageId,
    address: e.address,
    rawAddress: e.rawAddress,
    at: e.at,
    receivedAt: e.receivedAt,
    messageType: e.messageType,
    action: r.action,
    status: r.status,
    replyCode: r.replyCode,
    reason: r.reason,
    hard: r.hard ? 1 : 0,
    category: r.category,
    lfp: r.likelyFalsePositive ? 1 : 0,
    evidence: capText(r.evidence, MAX_STORED_EVIDENCE),
    diagnosticId: diagnosticId(r.diagnostic),
    remoteMta: r.remoteMta,
    feedbackType: r.feedbackType,
    effect: e.effect,
  });
  return Number(info.lastInsertRowid);
}

/** The cause an event gives the fold: the stored diagnostic, else its codes and reason. The same
 *  text whether the event is stepped in as it is stored or read back for a whole fold. */
export function eventCause(e: { diagnostic: string; replyCode: string; status: string; reason: string }): string {
  return e.diagnostic !== '' ? e.diagnostic : [e.replyCode, e.status, e.reason].filter((s) => s !== '').join(' ');
}

/** The fold item of an event row as stored (order = its message's stored_at). */
export function eventItem(id: number, storedAt: number, e: EventInput): FoldItem {
  const r = e.result;
  // The text as stored (capped), so that a step and a whole fold read back give the same cause.
  const cause = eventCause({ ...r, diagnostic: capText(r.diagnostic, MAX_STORED_DIAGNOSTIC) });
  return { kind: 'event', id, order: storedAt, at: e.at, effect: e.effect, cause };
}

/** Every fold item of one address, read from its events and actions (any order). */
export function historyItems(st: EventStatements, address: string): FoldItem[] {
  const items: FoldItem[] = [];
  for (const e of st.foldEvents.all(address)) {
    items.push({
      kind: 'event',
      id: e.id,
      order: e.received_at,
      at: e.at,
      effect: e.effect as Effect,
      cause: eventCause({ diagnostic: e.diagnostic, replyCode: e.reply_code, status: e.status, reason: e.reason }),
    });
  }
  for (const a of st.foldActions.all(address)) {
    items.push({ kind: 'action', id: a.id, order: a.at, action: a.action, what: a.what, reason: a.reason });
  }
  return items;
}

/** Fold one address's whole history, without writing anything. null: no event or action. */
export function foldHistory(st: EventStatements, address: string, rules: StateRules): AddressFold | null {
  const items = historyItems(st, address);
  return items.length === 0 ? null : foldAll(address, items, rules);
}

/** Recompute one address row from its whole history (caller holds the transaction). */
export function recomputeAddress(st: EventStatements, address: string, rules: StateRules, now: number): AddressState {
  const f = foldHistory(st, address, rules);
  if (f === null) {
    st.deleteAddress.run(address);
    return emptyFold(address).state;
  }
  writeFold(st, f, now);
  return f.state;
}

/**
 * Apply one new item (already inserted) to its address row (caller holds the transaction). When
 * the item sorts after the last one folded into the row this is one step from the stored state;
 * otherwise - learnt out of order, or a row without a position (written before migration 0005) -
 * the whole history is folded again. Both give the fold's row.
 */
export function applyItem(st: EventStatements, item: FoldItem, address: string, rules: StateRules, now: number): AddressState {
  const row = st.getAddress.get(address);
  const f = row ? rowToFold(row) : emptyFold(address);
  if (f === null || !appendsTo(item, f.last)) return recomputeAddress(st, address, rules, now);
  stepFold(f, item, rules);
  writeFold(st, f, now);
  return f.state;
}

export function writeFold(st: EventStatements, f: AddressFold, now: number): void {
  const s = f.state;
  st.upsertAddress.run({
    ...s,
    emailSuspended: s.emailSuspended ? 1 : 0,
    emailInvalid: s.emailInvalid ? 1 : 0,
    complained: s.complained ? 1 : 0,
    updatedAt: now,
    softDayList: f.softDayList.join(','),
    foldOrder: f.last?.order ?? null,
    foldRank: f.last?.rank ?? null,
    foldId: f.last?.id ?? null,
  });
}

/** The fold stored in a row; null when the row has no position (written before migration 0005). */
export function rowToFold(r: AddressRow): AddressFold | null {
  if (r.fold_order === null || r.fold_rank === null || r.fold_id === null) return null;
  return {
    state: rowToState(r),
    softDayList: r.soft_day_list === '' ? [] : r.soft_day_list.split(',').map(Number),
    last: { order: r.fold_order, rank: r.fold_rank === 1 ? 1 : 0, id: r.fold_id },
  };
}

/** What the row holds as a fold for comparison (verify-state): a row without a position compares
 *  with no soft days and no last item. */
export function storedFold(r: AddressRow): AddressFold {
  return rowToFold(r) ?? { state: rowToState(r), softDayList: [], last: null };
}

export type { AddressRow };

export function rowToState(r: AddressRow): AddressState {
  return {
    address: r.address,
    emailSuspended: r.email_suspended === 1,
    emailSuspendedCause: r.email_suspended_cause,
    emailSuspendedAt: r.email_suspended_at,
    emailInvalid: r.email_invalid === 1,
    emailInvalidCause: r.email_invalid_cause,
    emailInvalidAt: r.email_invalid_at,
    complained: r.complained === 1,
    complainedAt: r.complained_at,
    softBounces: r.soft_bounces,
    softDays: r.soft_days,
    lastSoftAt: r.last_soft_at,
    firstBounceAt: r.first_bounce_at,
    lastBounceAt: r.last_bounce_at,
    events: r.events,
  };
}

type HistoryRow = Omit<EventRow, 'address'> & { k: 0 | 1; what: string | null; why: string | null; who: string | null };

/** One address's events and resets/imports, newest first, at most `limit`, read as iterated. */
export function* iterateHistory(st: EventStatements, address: string, limit: number): IterableIterator<HistoryEntry> {
  for (const e of st.history.iterate(address, address, limit)) {
    if (e.k === 1) {
      yield { kind: e.action as 'reset' | 'import', id: e.id, at: e.at, what: e.what ?? '', why: e.why ?? '', who: e.who ?? '' };
      continue;
    }
    yield {
      kind: 'event',
      id: e.id,
      at: e.at,
      messageId: e.message_id,
      receivedAt: e.received_at,
      messageType: e.message_type,
      action: e.action,
      status: e.status,
      replyCode: e.reply_code,
      reason: e.reason as Reason,
      hard: e.hard === 1,
      category: e.category as Category,
      likelyFalsePositive: e.likely_false_positive === 1,
      evidence: e.evidence,
      diagnostic: e.diagnostic,
      remoteMta: e.remote_mta,
      feedbackType: e.feedback_type,
      effect: e.effect as Effect,
    };
  }
}
