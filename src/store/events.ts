/**
 * store/events - one `events` row per recipient result, and the recomputation of an address row
 * from its events and operator actions (the fold in addresses.ts).
 *
 * In: recipient results already labelled with their effect. Out: rows; AddressState per address.
 */
import type { Category, MessageType, Reason, RecipientResult } from '../types.js';
import { foldState, type AddressState, type Effect, type FoldItem, type StateRules } from './addresses.js';
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
         first_bounce_at, last_bounce_at, events, updated_at)
       VALUES (@address, @emailSuspended, @emailSuspendedCause, @emailSuspendedAt, @emailInvalid, @emailInvalidCause,
         @emailInvalidAt, @complained, @complainedAt, @softBounces, @softDays, @lastSoftAt, @firstBounceAt,
         @lastBounceAt, @events, @updatedAt)
       ON CONFLICT (address) DO UPDATE SET email_suspended = excluded.email_suspended,
         email_suspended_cause = excluded.email_suspended_cause, email_suspended_at = excluded.email_suspended_at,
         email_invalid = excluded.email_invalid, email_invalid_cause = excluded.email_invalid_cause,
         email_invalid_at = excluded.email_invalid_at, complained = excluded.complained,
         complained_at = excluded.complained_at, soft_bounces = excluded.soft_bounces, soft_days = excluded.soft_days,
         last_soft_at = excluded.last_soft_at, first_bounce_at = excluded.first_bounce_at,
         last_bounce_at = excluded.last_bounce_at, events = excluded.events, updated_at = excluded.updated_at`,
    ),
    deleteAddress: db.prepare<[string]>('DELETE FROM addresses WHERE address = ?'),
    insertAction: db.prepare(
      `INSERT INTO address_actions (address, action, what, reason, who, at, before, after)
       VALUES (@address, @action, @what, @reason, @who, @at, @before, @after)`,
    ),
    setActionAfter: db.prepare<[string, number]>('UPDATE address_actions SET after = ? WHERE id = ?'),
    historyEvents: db.prepare<[string, number], EventRow>(
      `SELECT e.id, e.message_id, e.address, e.at, e.received_at, e.message_type, e.action, e.status, e.reply_code, e.reason,
         e.hard, e.category, e.likely_false_positive, e.evidence, coalesce(d.text, e.diagnostic) AS diagnostic, e.remote_mta,
         e.feedback_type, e.effect
         FROM events e LEFT JOIN diagnostics d ON d.id = e.diagnostic_id WHERE e.address = ? ORDER BY e.at DESC, e.id DESC LIMIT ?`,
    ),
    historyActions: db.prepare<[string, number], ActionRow>(
      'SELECT * FROM address_actions WHERE address = ? ORDER BY at DESC, id DESC LIMIT ?',
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

export function insertEvent(st: EventStatements, messageId: number, e: EventInput, diagnosticId: (text: string) => number | null): void {
  const r = e.result;
  st.insert.run({
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
}

/** Recompute one address row from scratch (caller holds the transaction). */
export function recomputeAddress(st: EventStatements, address: string, rules: StateRules, now: number): AddressState {
  const items: FoldItem[] = [];
  for (const e of st.foldEvents.all(address)) {
    items.push({
      kind: 'event',
      id: e.id,
      order: e.received_at,
      at: e.at,
      effect: e.effect as Effect,
      cause: e.diagnostic !== '' ? e.diagnostic : [e.reply_code, e.status, e.reason].filter((s) => s !== '').join(' '),
    });
  }
  for (const a of st.foldActions.all(address)) {
    items.push({ kind: 'action', id: a.id, order: a.at, action: a.action, what: a.what, reason: a.reason });
  }
  const s = foldState(address, items, rules);
  if (items.length === 0) {
    st.deleteAddress.run(address);
    return s;
  }
  st.upsertAddress.run({
    ...s,
    emailSuspended: s.emailSuspended ? 1 : 0,
    emailInvalid: s.emailInvalid ? 1 : 0,
    complained: s.complained ? 1 : 0,
    updatedAt: now,
  });
  return s;
}

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

export function readHistory(st: EventStatements, address: string, limit: number): HistoryEntry[] {
  const out: HistoryEntry[] = [];
  for (const e of st.historyEvents.all(address, limit)) {
    out.push({
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
    });
  }
  for (const a of st.historyActions.all(address, limit)) {
    out.push({ kind: a.action, id: a.id, at: a.at, what: a.what, why: a.reason, who: a.who });
  }
  out.sort((x, y) => y.at - x.at || y.id - x.id);
  return out.slice(0, limit);
}
