/**
 * store/state-rules - the Marketo state rules (bounce-semantics.md §1.4), as a pure fold.
 *
 * In: one address's events (each already labelled with its effect) and its operator actions
 * (resets, imports), plus the rules (config `state.suspendHours`, `state.escalation.*`).
 * Out: the address row (Email Suspended / Suspended At / Cause, Email Invalid / At / Cause,
 * complained, soft counters, first/last bounce) and the "may I send now?" answer.
 *
 * The `addresses` row is fold(events, actions): stepFold applied to the items in the order we learnt
 * them (message stored_at / action time), so a late bounce that reaches us after an operator reset
 * is applied after the reset; the times written into the row (suspended_at, invalid_at) are the
 * bounce's own time. The row also keeps what the next step needs (AddressFold: the counted soft
 * days and the position of the last item), so a new item that comes after everything already
 * folded costs one step, not a pass over the address's history; anything else (a reprocessed
 * message, an item learnt out of order) folds the whole history again. Both give the same row:
 * `rebound verify-state` and test/store/incremental.test.ts check it. See docs/STATE-RULES.md.
 */
import { defaultConfig, type Config } from '../config/schema.js';
import type { Analysis, MessageType, RecipientResult } from '../types.js';

/** The Marketo rules' settings: config `state` (declared, with its defaults, in config/schema.ts). */
export type StateRules = Config['state'];

export const defaultStateRules: StateRules = defaultConfig.state;

/** The rules a store applies: the config slice given, the defaults for what it leaves out. */
export function stateRules(given?: Partial<StateRules> & { escalation?: Partial<StateRules['escalation']> }): StateRules {
  return {
    suspendHours: given?.suspendHours ?? defaultStateRules.suspendHours,
    escalation: { ...defaultStateRules.escalation, ...(given?.escalation ?? {}) },
  };
}

/** What one recipient result does to its address. Stored in events.effect. */
export type Effect = 'invalid' | 'suspend' | 'complaint' | 'soft' | 'delivered' | 'none';

/**
 * Decide the effect of one recipient result. Only failures change flags; delay warnings,
 * auto-replies, read receipts and success DSNs other than `delivered` are recorded only.
 */
export function effectOf(type: MessageType, r: RecipientResult): Effect {
  if (type === 'feedback' || r.reason === 'feedback') {
    // ARF "not-spam" is a report that something is NOT abuse; every other type asks us to stop.
    return r.feedbackType.toLowerCase() === 'not-spam' ? 'none' : 'complaint';
  }
  if (r.action === 'delivered' || r.reason === 'delivered' || type === 'delivered') return 'delivered';
  if (type === 'autoreply' || type === 'not-bounce' || type === 'delayed') return 'none';
  if (r.reason === 'vacation') return 'none';
  if (r.action !== 'failed' && r.action !== '') return 'none';
  switch (r.category) {
    case 2:
      // A "5.1.1 user unknown" that the classifier saw was really a spam filter says nothing
      // about the address (seed doc note 3): treat it as the block it is.
      return r.likelyFalsePositive ? 'suspend' : 'invalid';
    case 1:
      return 'suspend';
    case 3:
    case 4:
    case 9:
      return 'soft';
    default:
      return 'none';
  }
}

/** Email Invalid Cause / Suspended Cause text: the server's words, else its codes and reason. */
export function causeOf(r: Pick<RecipientResult, 'diagnostic' | 'replyCode' | 'status' | 'reason'>): string {
  const diag = r.diagnostic.trim();
  if (diag !== '') return diag.length > 1000 ? `${diag.slice(0, 997)}...` : diag;
  return [r.replyCode, r.status, r.reason].filter((s) => s !== '').join(' ');
}

export type FoldItem =
  | { kind: 'event'; id: number; order: number; at: number; effect: Effect; cause: string }
  | {
      kind: 'action';
      id: number;
      order: number;
      action: 'reset' | 'import';
      what: string;
      reason: string;
    };

export interface AddressState {
  address: string;
  emailSuspended: boolean;
  emailSuspendedCause: string;
  emailSuspendedAt: number | null;
  emailInvalid: boolean;
  emailInvalidCause: string;
  emailInvalidAt: number | null;
  complained: boolean;
  complainedAt: number | null;
  /** Soft bounces since the last `delivered` or reset (every one, not only counted ones). */
  softBounces: number;
  /** Distinct UTC days with a soft bounce inside the escalation window ending at the last one. */
  softDays: number;
  lastSoftAt: number | null;
  firstBounceAt: number | null;
  lastBounceAt: number | null;
  events: number;
}

export function emptyState(address: string): AddressState {
  return {
    address,
    emailSuspended: false,
    emailSuspendedCause: '',
    emailSuspendedAt: null,
    emailInvalid: false,
    emailInvalidCause: '',
    emailInvalidAt: null,
    complained: false,
    complainedAt: null,
    softBounces: 0,
    softDays: 0,
    lastSoftAt: null,
    firstBounceAt: null,
    lastBounceAt: null,
    events: 0,
  };
}

const DAY = 86_400_000;

/**
 * Where an item sits in the fold: the order we learnt it (message stored_at / action time), events
 * before actions at the same instant (a reset clears what happened up to its moment), then id.
 */
export interface FoldPosition {
  order: number;
  /** 0 = event, 1 = action. */
  rank: 0 | 1;
  id: number;
}

/**
 * Everything the fold carries from one item to the next: the address row, plus the two things the
 * row does not show - the UTC days of the soft bounces still counted (the escalation window) and the
 * position of the last item folded in. Stored with the row (addresses.soft_day_list, fold_*), so a
 * new item that sorts after `last` is applied to it in O(1) (stepFold) with exactly the result the
 * whole-history fold would give: the fold *is* stepFold over the sorted items.
 */
export interface AddressFold {
  state: AddressState;
  /** Distinct UTC day numbers of counted soft bounces since the last clear, ascending, inside the
   *  window of `withinDays` ending at the latest one. */
  softDayList: number[];
  /** The last item folded in; null for an empty fold. */
  last: FoldPosition | null;
}

export function positionOf(it: FoldItem): FoldPosition {
  return { order: it.order, rank: rank(it), id: it.id };
}

/** Negative, zero or positive as a sorts before, with or after b in the fold. */
export function comparePositions(a: FoldPosition, b: FoldPosition): number {
  return a.order - b.order || a.rank - b.rank || a.id - b.id;
}

/**
 * May `it` be applied to a fold whose last item is `last` (stepFold) and give what the whole fold
 * would? Only when it sorts after everything already in: a message stored before an operator's
 * reset but processed after it, a reprocessed message, or an import dated in the past sort
 * earlier and need the whole history folded again.
 */
export function appendsTo(it: FoldItem, last: FoldPosition | null): boolean {
  return last === null || comparePositions(positionOf(it), last) > 0;
}

export function emptyFold(address: string): AddressFold {
  return { state: emptyState(address), softDayList: [], last: null };
}

/** Fold the items (any order; sorted here) into the address state. Pure. */
export function foldState(address: string, items: FoldItem[], rules: StateRules): AddressState {
  return foldAll(address, items, rules).state;
}

/** The whole fold: every item, in the order we learnt them, through stepFold. */
export function foldAll(address: string, items: FoldItem[], rules: StateRules): AddressFold {
  const f = emptyFold(address);
  const sorted = [...items].sort((a, b) => comparePositions(positionOf(a), positionOf(b)));
  for (const it of sorted) stepFold(f, it, rules);
  return f;
}

/**
 * Apply one item to the fold (in place). Costs O(1) in the address's history: at most the days of
 * one escalation window are looked at. The caller makes sure `it` sorts after f.last (appendsTo).
 */
export function stepFold(f: AddressFold, it: FoldItem, rules: StateRules): void {
  f.last = positionOf(it);
  const s = f.state;
  if (it.kind === 'action') {
    applyAction(s, it, () => (f.softDayList = []));
    return;
  }
  s.events++;
  if (it.effect === 'none') return;
  if (it.effect === 'delivered') {
    s.softBounces = 0;
    s.softDays = 0;
    f.softDayList = [];
    return;
  }
  if (it.effect === 'complaint') {
    if (!s.complained || (s.complainedAt ?? 0) < it.at) s.complainedAt = it.at;
    s.complained = true;
    return;
  }
  // A bounce proper.
  s.firstBounceAt = s.firstBounceAt === null ? it.at : Math.min(s.firstBounceAt, it.at);
  s.lastBounceAt = s.lastBounceAt === null ? it.at : Math.max(s.lastBounceAt, it.at);
  if (it.effect === 'invalid') {
    // First cause wins while the flag stays set, as Marketo keeps the original cause.
    if (!s.emailInvalid) {
      s.emailInvalid = true;
      s.emailInvalidAt = it.at;
      s.emailInvalidCause = it.cause;
    }
  } else if (it.effect === 'suspend') {
    suspend(s, it.at, it.cause);
  } else if (it.effect === 'soft') {
    s.softBounces++;
    s.lastSoftAt = s.lastSoftAt === null ? it.at : Math.max(s.lastSoftAt, it.at);
    // One count per UTC day; only the days inside the window ending at the latest one stay. A day
    // dropped here can never count again: the latest day only moves forward until a clear.
    const day = Math.floor(it.at / DAY);
    const days = f.softDayList;
    if (!days.includes(day)) {
      days.push(day);
      days.sort((a, b) => a - b);
    }
    const lastDay = days[days.length - 1]!;
    const inWindow = days.filter((d) => d > lastDay - rules.escalation.withinDays);
    f.softDayList = inWindow;
    s.softDays = inWindow.length;
    const esc = rules.escalation;
    if (esc.enabled && inWindow.length >= esc.softBounces && inWindow.length >= esc.distinctDays) {
      const cause = `escalated: ${inWindow.length} soft bounces on distinct days within ${esc.withinDays} days; last: ${it.cause}`;
      if (esc.action === 'invalid') {
        if (!s.emailInvalid) {
          s.emailInvalid = true;
          s.emailInvalidAt = it.at;
          s.emailInvalidCause = cause;
        }
      } else suspend(s, it.at, cause);
      // Start counting afresh: the next escalation needs a full new run of soft bounces.
      f.softDayList = [];
      s.softDays = 0;
    }
  }
}

/** Events before actions at the same instant: a reset clears what happened up to its moment. */
function rank(it: FoldItem): 0 | 1 {
  return it.kind === 'event' ? 0 : 1;
}

function suspend(s: AddressState, at: number, cause: string): void {
  // A newer block refreshes Suspended At (bounce-semantics §1.4 design note); an older one that
  // arrives late does not move it backwards.
  if (!s.emailSuspended || s.emailSuspendedAt === null || at >= s.emailSuspendedAt) {
    s.emailSuspendedAt = at;
    s.emailSuspendedCause = cause;
  }
  s.emailSuspended = true;
}

function applyAction(s: AddressState, it: Extract<FoldItem, { kind: 'action' }>, clearSoft: () => void): void {
  const what = it.what;
  if (it.action === 'reset') {
    if (what === 'invalid' || what === 'all') {
      s.emailInvalid = false;
      s.emailInvalidCause = '';
      s.emailInvalidAt = null;
    }
    if (what === 'suspended' || what === 'all') {
      s.emailSuspended = false;
      s.emailSuspendedCause = '';
      s.emailSuspendedAt = null;
    }
    if (what === 'complained' || what === 'all') {
      s.complained = false;
      s.complainedAt = null;
    }
    if (what === 'all') {
      s.softBounces = 0;
      s.softDays = 0;
      clearSoft();
    }
    return;
  }
  // Imported suppression: the action's order is its effective time.
  const cause = it.reason !== '' ? it.reason : 'imported';
  if (what === 'invalid') {
    s.emailInvalid = true;
    s.emailInvalidAt = it.order;
    s.emailInvalidCause = cause;
  } else if (what === 'suspended') suspend(s, it.order, cause);
  else if (what === 'complained') {
    s.complained = true;
    s.complainedAt = it.order;
  }
}

/**
 * The fields two folds may differ in, by name, for `rebound verify-state`: the row's own fields,
 * the hidden soft days and the position of the last item. Empty when they agree.
 */
export function foldDifferences(stored: AddressFold, computed: AddressFold): string[] {
  const out: string[] = [];
  for (const k of Object.keys(computed.state) as (keyof AddressState)[]) {
    if (stored.state[k] !== computed.state[k]) out.push(k);
  }
  if (stored.softDayList.join(',') !== computed.softDayList.join(',')) out.push('softDayList');
  const a = stored.last;
  const b = computed.last;
  if ((a === null) !== (b === null) || (a && b && comparePositions(a, b) !== 0)) out.push('last');
  return out;
}

export type SendVerdict = 'ok' | 'suspended' | 'invalid' | 'complained';

export interface MayISend {
  address: string;
  verdict: SendVerdict;
  /** Why not (the stored cause), or '' / a note when ok. */
  cause: string;
  /** For 'suspended': when the address may be mailed again (ms). */
  until?: number;
}

/** The one answer to "may I send to X now?". Invalid beats complained beats suspended. */
export function decideSend(s: AddressState, rules: StateRules, now: number): MayISend {
  if (s.emailInvalid) return { address: s.address, verdict: 'invalid', cause: s.emailInvalidCause };
  if (s.complained) return { address: s.address, verdict: 'complained', cause: 'recipient complained (ARF feedback report)' };
  if (s.emailSuspended && s.emailSuspendedAt !== null) {
    const until = s.emailSuspendedAt + rules.suspendHours * 3_600_000;
    if (now < until) return { address: s.address, verdict: 'suspended', cause: s.emailSuspendedCause, until };
  }
  return { address: s.address, verdict: 'ok', cause: '' };
}

/** The effects a whole analysis would have, per recipient, for callers that only need a preview. */
export function effectsOf(a: Analysis): Effect[] {
  return a.recipients.map((r) => effectOf(a.type, r));
}
