/**
 * store/addresses - the Marketo state rules (bounce-semantics.md §1.4), as a pure fold.
 *
 * In: one address's events (each already labelled with its effect) and its operator actions
 * (resets, imports), plus the rules (config `state.suspendHours`, `state.escalation.*`).
 * Out: the address row (Email Suspended / Suspended At / Cause, Email Invalid / At / Cause,
 * complained, soft counters, first/last bounce) and the "may I send now?" answer.
 *
 * Why a fold and not in-place updates: the `addresses` row is a cache of fold(events, actions).
 * Re-processing a message after an upgrade, a duplicate, or two processes racing can then never
 * double-count or leave stale state - the row is recomputed from the facts in one transaction.
 * Items are folded in the order we learnt them (message stored_at / action time), so a late
 * bounce that reaches us after an operator reset is applied after the reset; the times written
 * into the row (suspended_at, invalid_at) are the bounce's own time. See docs/STATE-RULES.md.
 */
import type { Analysis, MessageType, RecipientResult } from '../types.js';

export interface StateRules {
  /** Hours after Email Suspended At before the address may be mailed again (Marketo: 24). */
  suspendHours: number;
  escalation: {
    enabled: boolean;
    /** Counted soft bounces (at most one per UTC day) needed to escalate. */
    softBounces: number;
    /** ...spread over at least this many distinct days... */
    distinctDays: number;
    /** ...all within this many days (a sliding window ending at the latest soft bounce). */
    withinDays: number;
    action: 'suspend' | 'invalid';
  };
}

export const defaultStateRules: StateRules = {
  suspendHours: 24,
  escalation: { enabled: false, softBounces: 7, distinctDays: 3, withinDays: 90, action: 'suspend' },
};

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

/** Fold the items (any order; sorted here) into the address state. Pure. */
export function foldState(address: string, items: FoldItem[], rules: StateRules): AddressState {
  const s = emptyState(address);
  const sorted = [...items].sort((a, b) => a.order - b.order || rank(a) - rank(b) || a.id - b.id);
  // UTC day numbers of counted soft bounces since the last delivered/reset/escalation.
  let softDays = new Set<number>();

  for (const it of sorted) {
    if (it.kind === 'action') {
      applyAction(s, it, () => (softDays = new Set()));
      continue;
    }
    s.events++;
    if (it.effect === 'none') continue;
    if (it.effect === 'delivered') {
      s.softBounces = 0;
      s.softDays = 0;
      softDays = new Set();
      continue;
    }
    if (it.effect === 'complaint') {
      if (!s.complained || (s.complainedAt ?? 0) < it.at) s.complainedAt = it.at;
      s.complained = true;
      continue;
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
      softDays.add(Math.floor(it.at / DAY));
      const lastDay = Math.max(...softDays);
      const inWindow = [...softDays].filter((d) => d > lastDay - rules.escalation.withinDays);
      softDays = new Set(inWindow);
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
        softDays = new Set();
        s.softDays = 0;
      }
    }
  }
  return s;
}

/** Events before actions at the same instant: a reset clears what happened up to its moment. */
function rank(it: FoldItem): number {
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
