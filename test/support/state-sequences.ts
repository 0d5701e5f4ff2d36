/**
 * Randomized state sequences shared by the store's property tests (test/store/incremental.test.ts:
 * the O(1) step against the whole-history fold; test/store/postgresql-random.test.ts: PostgreSQL
 * against SQLite): results of every effect, messages arriving late, and the operations a store sees
 * (ingest, save, process, reset, import, reprocess, prune, the clock advancing).
 */
import fc from 'fast-check';
import type { StateRules } from '../../src/store/state-rules.js';
import type { Category, MessageType, RecipientResult, Reason } from '../../src/types.js';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);
export const ADDRESSES = ['a@x.example', 'b@x.example', 'c@y.example'];

export type Kind = 'invalid' | 'suspend' | 'lfp' | 'soft' | 'delivered' | 'complaint' | 'notspam' | 'delayed' | 'autoreply';

export function result(address: string, kind: Kind, n: number): { type: MessageType; r: RecipientResult } {
  const base: RecipientResult = {
    address,
    action: 'failed',
    status: '5.1.1',
    replyCode: '550',
    reason: 'userunknown' as Reason,
    hard: true,
    category: 2 as Category,
    likelyFalsePositive: false,
    evidence: '',
    // Some diagnostics empty, so the cause falls back to the codes and reason.
    diagnostic: n % 3 === 0 ? '' : `550 5.1.1 <${address}> gone (${n})`,
    remoteMta: 'mx.example.net',
    feedbackType: '',
  };
  switch (kind) {
    case 'invalid':
      return { type: 'bounce', r: base };
    case 'lfp':
      return { type: 'bounce', r: { ...base, likelyFalsePositive: true, reason: 'spamdetected' as Reason, hard: false } };
    case 'suspend':
      return { type: 'bounce', r: { ...base, status: '5.7.1', reason: 'blocked' as Reason, hard: false, category: 1 as Category } };
    case 'soft':
      return { type: 'bounce', r: { ...base, status: '4.2.2', replyCode: '452', reason: 'mailboxfull' as Reason, hard: false, category: 3 as Category } };
    case 'delivered':
      return { type: 'delivered', r: { ...base, action: 'delivered', status: '2.0.0', replyCode: '250', reason: 'delivered' as Reason, hard: false, category: 0 as Category } };
    case 'complaint':
      return { type: 'feedback', r: { ...base, action: '', reason: 'feedback' as Reason, hard: false, category: 0 as Category, feedbackType: 'abuse' } };
    case 'notspam':
      return { type: 'feedback', r: { ...base, action: '', reason: 'feedback' as Reason, hard: false, category: 0 as Category, feedbackType: 'not-spam' } };
    case 'delayed':
      return { type: 'delayed', r: { ...base, action: 'delayed', status: '4.4.7', reason: 'expired' as Reason, hard: false, category: 4 as Category } };
    case 'autoreply':
      return { type: 'autoreply', r: { ...base, action: '', reason: 'vacation' as Reason, hard: false, category: 0 as Category } };
  }
}

export const kindArb = fc.constantFrom<Kind>('invalid', 'suspend', 'lfp', 'soft', 'soft', 'soft', 'delivered', 'complaint', 'notspam', 'delayed', 'autoreply');
/** One message: 1-3 results (the same address may appear twice), its bounce written up to 3 days before receipt. */
export const messageArb = fc.record({
  results: fc.array(fc.record({ who: fc.nat(ADDRESSES.length - 1), kind: kindArb }), { minLength: 1, maxLength: 3 }),
  lateBy: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3 * DAY })),
});

export const opArb = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('ingest' as const), msg: messageArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('save' as const), msg: messageArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('process' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('reset' as const), who: fc.nat(ADDRESSES.length - 1), what: fc.constantFrom('invalid', 'suspended', 'complained', 'all') as fc.Arbitrary<'invalid' | 'suspended' | 'complained' | 'all'> }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('import' as const),
      who: fc.nat(ADDRESSES.length - 1),
      what: fc.constantFrom('invalid', 'suspended', 'complained') as fc.Arbitrary<'invalid' | 'suspended' | 'complained'>,
      shift: fc.integer({ min: -5 * DAY, max: DAY }),
    }),
  },
  // One message, or several in one batch (one transaction: their addresses are folded once, at its end).
  { weight: 2, arbitrary: fc.record({ op: fc.constant('reprocess' as const), picks: fc.array(fc.record({ pick: fc.nat(), msg: messageArb }), { minLength: 1, maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('prune' as const), olderThan: fc.integer({ min: 0, max: 4 * DAY }) }) },
  // 0: the next item is learnt at the same instant (ties); up to 30 h: suspensions run out.
  { weight: 4, arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 30 * HOUR })) }) },
);

export const rulesArb: fc.Arbitrary<StateRules> = fc
  .record({
    suspendHours: fc.constantFrom(24, 1, 48),
    enabled: fc.boolean(),
    softBounces: fc.integer({ min: 1, max: 4 }),
    withinDays: fc.integer({ min: 1, max: 5 }),
    distinctFrac: fc.double({ min: 0, max: 1, noNaN: true }),
    action: fc.constantFrom<'suspend' | 'invalid'>('suspend', 'invalid'),
  })
  .map((r) => ({
    suspendHours: r.suspendHours,
    escalation: {
      enabled: r.enabled,
      softBounces: r.softBounces,
      withinDays: r.withinDays,
      distinctDays: Math.max(1, Math.round(r.distinctFrac * r.withinDays)),
      action: r.action,
    },
  }));
