/**
 * The PostgreSQL store against the SQLite store on randomized sequences (issue 17: "the store test
 * suite runs against both backends"): the generators of test/store/incremental.test.ts - bounces of
 * every effect arriving late and out of order, messages processed in any order, resets and imports
 * (dated in the past or future), forced reprocessing that replaces events, prunes, clocks standing
 * still or jumping past the suspension - applied to both stores with the same rules and the same
 * clock. After every step every address row, and "may I send?" now and as the suspension runs out,
 * are the same on both; at the end the history and stats too.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StateRules } from '../../src/store/state-rules.js';
import { openProcessingStore, type ProcessingStore } from '../support/pipeline.js';
import type { Analysis, Category, Envelope, MessageType, RecipientResult, Reason } from '../../src/types.js';
import { freshDatabase, openPgProcessing, pgSkip, type PgProcessingStore } from '../support/pg.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);
const ADDRESSES = ['a@x.example', 'b@x.example', 'c@y.example'];

type Kind = 'invalid' | 'suspend' | 'lfp' | 'soft' | 'delivered' | 'complaint' | 'notspam' | 'delayed' | 'autoreply';

function result(address: string, kind: Kind, n: number): { type: MessageType; r: RecipientResult } {
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

const kindArb = fc.constantFrom<Kind>('invalid', 'suspend', 'lfp', 'soft', 'soft', 'soft', 'delivered', 'complaint', 'notspam', 'delayed', 'autoreply');
/** One message: 1-3 results (the same address may appear twice), its bounce written up to 3 days before receipt. */
const messageArb = fc.record({
  results: fc.array(fc.record({ who: fc.nat(ADDRESSES.length - 1), kind: kindArb }), { minLength: 1, maxLength: 3 }),
  lateBy: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3 * DAY })),
});

const opArb = fc.oneof(
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

const rulesArb: fc.Arbitrary<StateRules> = fc
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





describe.skipIf(pgSkip !== '')(`PostgreSQL and SQLite stores agree on randomized sequences${pgSkip ? ` (skipped: ${pgSkip})` : ''}`, () => {
  it('every address row and answer, after every step', async () => {
    const url = await freshDatabase('rand');
    await fc.assert(
      fc.asyncProperty(rulesArb, fc.array(opArb, { minLength: 1, maxLength: 30 }), async (rules, ops) => {
        let now = T0;
        const versions = new Map<number, Analysis>();
        const analyze = (raw: Buffer) => versions.get(Number(raw.toString('utf8')))!;
        const lite: ProcessingStore = openProcessingStore({ path: ':memory:', clock: () => now, state: rules, analyze });
        const pg: PgProcessingStore = await openPgProcessing({ url, tls: 'off', poolSize: 2, clock: () => now, state: rules, analyze });
        await pg.pool.query('TRUNCATE messages, events, addresses, address_actions RESTART IDENTITY CASCADE');
        let n = 0;
        const pending: number[] = [];
        const stored: number[] = [];
        const analysisOf = (msg: fc.RecordValue<{ results: { who: number; kind: Kind }[]; lateBy: number }>): Analysis => {
          const rs = msg.results.map((x) => result(ADDRESSES[x.who]!, x.kind, n));
          return { type: rs[0]!.type, recipients: rs.map((x) => x.r), decodedBy: 'test', problems: [], date: new Date(now - msg.lateBy).toUTCString() };
        };
        const save = async (a: Analysis): Promise<number> => {
          const num = n++;
          versions.set(num, a);
          const env: Envelope = { source: 'file', origin: 'prop', mailFrom: '', rcptTo: [], receivedAt: now };
          const l = lite.saveMessage(env, Buffer.from(String(num)));
          const p = await pg.saveMessage(env, Buffer.from(String(num)));
          expect(p).toEqual(l);
          stored.push(l.id);
          return l.id;
        };
        const both = async <T>(f: (s: ProcessingStore | PgProcessingStore) => T | Promise<T>): Promise<void> => {
          const l = await f(lite);
          const p = await f(pg);
          expect(p).toEqual(l);
        };
        try {
          for (const o of ops) {
            switch (o.op) {
              case 'ingest': {
                const id = await save(analysisOf(o.msg));
                await both((s) => s.processMessage(id));
                break;
              }
              case 'save':
                pending.push(await save(analysisOf(o.msg)));
                break;
              case 'process':
                if (pending.length > 0) {
                  const id = pending.splice(o.pick % pending.length, 1)[0]!;
                  await both((s) => s.processMessage(id));
                }
                break;
              case 'reset':
                await both(async (s) => ({ ...(await s.reset(ADDRESSES[o.who]!, o.what, 'prop test', 'tester')), actionId: 0 }));
                break;
              case 'import':
                await both((s) => s.importSuppressions([{ address: ADDRESSES[o.who]!, what: o.what, cause: 'list import', at: now + o.shift }], 'tester'));
                break;
              case 'reprocess': {
                if (stored.length === 0) break;
                const ids: number[] = [];
                for (const p of o.picks) {
                  const id = stored[p.pick % stored.length]!;
                  const num = Number(lite.getMessage(id)!.raw!.toString('utf8'));
                  versions.set(num, analysisOf(p.msg));
                  ids.push(id);
                }
                await both((s) => s.reprocess({ ids }));
                break;
              }
              case 'prune':
                await both((s) => s.prune(1000 * DAY, o.olderThan));
                break;
              case 'advance':
                now += o.ms;
                break;
            }
            for (const address of ADDRESSES) {
              expect(await pg.addressStatus(address)).toEqual(lite.addressStatus(address));
              for (const t of [now, now + rules.suspendHours * HOUR - 1, now + rules.suspendHours * HOUR + 1]) {
                expect(await pg.mayISend(address, t)).toEqual(lite.mayISend(address, t));
              }
            }
          }
          expect(await pg.exportAddresses()).toEqual([...lite.exportAddresses()]);
          // Event ids may differ: SQLite hands out a deleted (reprocessed) event's id again, a
          // PostgreSQL sequence never does; the order and content are what must agree.
          const noId = (h: { id: number }[]) => h.map((e) => ({ ...e, id: 0 }));
          for (const address of ADDRESSES) expect(noId(await pg.history(address, 1000))).toEqual(noId(lite.history(address, 1000)));
          expect(await pg.stats(now)).toEqual(lite.stats(now));
        } finally {
          lite.close();
          await pg.close();
        }
      }),
      { numRuns: Number(process.env.FC_RUNS_PG ?? 60) },
    );
  }, 180_000);
});
