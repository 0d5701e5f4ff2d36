/**
 * Incremental address state (issue 18): the row is stepped one item at a time (O(1) per event) and
 * must always equal the fold of the address's whole history. Randomized sequences (fast-check) of
 * what happens to addresses in real life - bounces of every effect arriving late and out of order,
 * messages stored before a reset but processed after it, resets and imports by a person (imports
 * dated in the past or future), forced reprocessing that replaces a message's events with other
 * ones, prunes, clocks standing still (ties) or jumping past the 24 h suspension - run against a
 * real store of each backend (support/store-backends.ts: a SQLite file, a PostgreSQL database; the
 * real migrations); after every step each address row is compared with the fold of its history
 * read straight from the tables, and with store.verifyState().
 *
 * PostgreSQL runs fewer random sequences (FC_RUNS_PG, default 12; SQLite FC_RUNS, default 60): each
 * step costs round trips there, and postgresql-random.test.ts drives more sequences through both
 * backends side by side.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideSend, foldAll, type FoldItem, type Effect, type StateRules } from '../../src/store/state-rules.js';
import type { StoreApi } from '../../src/store/index.js';
import { collect } from '../support/collect.js';
import { processing, storeBackends, type StoreBackend } from '../support/store-backends.js';
import type { Analysis, Envelope, MessageType, RecipientResult } from '../../src/types.js';

import { ADDRESSES, DAY, HOUR, T0, opArb, result, rulesArb, type Kind } from '../support/state-sequences.js';

const q = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** The fold of one address, read from the tables with SQL of this test's own (not the store's). */
async function foldFromTables(b: StoreBackend, store: StoreApi, address: string, rules: StateRules) {
  const items: FoldItem[] = [];
  const ev = (await b.sql(
    store,
    // The diagnostic text lives in `diagnostics` since schema 6 (events.diagnostic before it).
    `SELECT e.id, m.stored_at, e.at, e.effect, coalesce(d.text, e.diagnostic) AS diagnostic, e.reply_code, e.status, e.reason
       FROM events e JOIN messages m ON m.id = e.message_id LEFT JOIN diagnostics d ON d.id = e.diagnostic_id WHERE e.address = ${q(address)}`,
  )) as { id: number; stored_at: number; at: number; effect: Effect; diagnostic: string; reply_code: string; status: string; reason: string }[];
  for (const e of ev) {
    const cause = e.diagnostic !== '' ? e.diagnostic : [e.reply_code, e.status, e.reason].filter((s) => s !== '').join(' ');
    items.push({ kind: 'event', id: e.id, order: e.stored_at, at: e.at, effect: e.effect, cause });
  }
  const acts = (await b.sql(store, `SELECT id, at, action, what, reason FROM address_actions WHERE address = ${q(address)}`)) as {
    id: number;
    at: number;
    action: 'reset' | 'import';
    what: string;
    reason: string;
  }[];
  for (const a of acts) items.push({ kind: 'action', id: a.id, order: a.at, action: a.action, what: a.what, reason: a.reason });
  return { items: items.length, fold: foldAll(address, items, rules) };
}

for (const b of storeBackends) describe.skipIf(b.skip !== '')(b.title('incremental state'), () => contract(b));

function contract(b: StoreBackend): void {
describe('incremental address state agrees with the whole-history fold', () => {
  it('on randomized event sequences (late, out of order, resets, imports, reprocess, prune, expiry)', async () => {
    await fc.assert(
      fc.asyncProperty(rulesArb, fc.array(opArb, { minLength: 1, maxLength: 40 }), async (rules, ops) => {
        let now = T0;
        // Per message number: which of its analyses the analyzer returns now (reprocess flips it).
        const versions = new Map<number, Analysis>();
        const store = await b.open({ clock: () => now, state: rules });
        const p = processing(store, { analyze: (raw) => versions.get(Number(raw.toString('utf8')))! });
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
          const { id } = await store.saveMessage(env, Buffer.from(String(num)));
          stored.push(id);
          return id;
        };
        try {
          for (const o of ops) {
            switch (o.op) {
              case 'ingest':
                await p.processMessage(await save(analysisOf(o.msg)));
                break;
              case 'save':
                pending.push(await save(analysisOf(o.msg)));
                break;
              case 'process':
                // Any pending message, not the oldest: learnt out of order.
                if (pending.length > 0) await p.processMessage(pending.splice(o.pick % pending.length, 1)[0]!);
                break;
              case 'reset':
                await store.reset(ADDRESSES[o.who]!, o.what, 'prop test', 'tester');
                break;
              case 'import':
                await store.importSuppressions([{ address: ADDRESSES[o.who]!, what: o.what, cause: 'list import', at: now + o.shift }], 'tester');
                break;
              case 'reprocess': {
                if (stored.length === 0) break;
                const ids: number[] = [];
                for (const pick of o.picks) {
                  const id = stored[pick.pick % stored.length]!;
                  const num = Number((await store.getMessage(id))!.raw!.toString('utf8'));
                  versions.set(num, analysisOf(pick.msg));
                  ids.push(id);
                }
                await p.reprocess({ ids });
                break;
              }
              case 'prune':
                await store.prune(1000 * DAY, o.olderThan);
                break;
              case 'advance':
                now += o.ms;
                break;
            }
            for (const address of ADDRESSES) {
              const { items, fold } = await foldFromTables(b, store, address, rules);
              const st = await store.addressStatus(address);
              expect(st.known).toBe(items > 0);
              const { known: _k, mayISend: _m, ...row } = st;
              expect(row).toEqual(fold.state);
              // "May I send?" agrees now and as the suspension runs out.
              for (const t of [now, now + rules.suspendHours * HOUR - 1, now + rules.suspendHours * HOUR + 1]) {
                expect(await store.mayISend(address, t)).toEqual(decideSend(fold.state, rules, t));
              }
            }
            expect(await collect(store.verifyState())).toEqual([]);
          }
        } finally {
          await store.close();
        }
      }),
      { numRuns: Number(b.name === 'postgresql' ? (process.env.FC_RUNS_PG ?? 12) : (process.env.FC_RUNS ?? 60)) },
    );
  }, 180_000);
});

describe('the incremental step', () => {
  async function setup(rules: Partial<StateRules> = {}) {
    let now = T0;
    const versions = new Map<number, Analysis>();
    // The tests change rows behind the store's back through a connection of their own (b.sql).
    const store = await b.open({ clock: () => now, state: rules });
    const p = processing(store, { analyze: (raw) => versions.get(Number(raw.toString('utf8')))! });
    let n = 0;
    const ingest = async (rs: { type: MessageType; r: RecipientResult }[]) => {
      const num = n++;
      versions.set(num, { type: rs[0]!.type, recipients: rs.map((x) => x.r), decodedBy: 't', problems: [], date: new Date(now).toUTCString() });
      const { id } = await store.saveMessage({ source: 'file', origin: 't', mailFrom: '', rcptTo: [], receivedAt: now }, Buffer.from(String(num)));
      return p.processMessage(id);
    };
    return { store, ingest, tick: (ms = 1000) => (now += ms) };
  }

  it('does not read the history of an address: a row changed behind its back stays changed until a refold', async () => {
    const { store, ingest, tick } = await setup();
    for (let i = 0; i < 5; i++) {
      await ingest([result('a@x.example', 'soft', i)]);
      tick();
    }
    expect(await store.addressStatus('a@x.example')).toMatchObject({ events: 5, softBounces: 5 });
    // Lose two events behind the store's back (as a hand-edited or damaged store would).
    await b.sql(store, "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE address = 'a@x.example' ORDER BY id LIMIT 2)");
    await ingest([result('a@x.example', 'soft', 9)]);
    // Stepped from the stored row: 6 events counted, though only 4 are left. A fold would say 4.
    expect(await store.addressStatus('a@x.example')).toMatchObject({ events: 6, softBounces: 6 });
    // The check finds it and repairs it from the history that is left.
    const diffs = await collect(store.verifyState());
    expect(diffs).toHaveLength(1);
    expect(diffs[0]).toMatchObject({ address: 'a@x.example', repaired: false });
    expect(diffs[0]!.fields).toEqual(expect.arrayContaining(['events', 'softBounces']));
    expect(diffs[0]!.stored!.state.events).toBe(6);
    expect(diffs[0]!.computed!.state.events).toBe(4);
    const repaired = await collect(store.verifyState({ repair: true }));
    expect(repaired.map((d) => d.repaired)).toEqual([true]);
    expect(await store.addressStatus('a@x.example')).toMatchObject({ events: 4, softBounces: 4 });
    expect(await collect(store.verifyState())).toEqual([]);
  });

  it('a message stored before a reset but processed after it folds again (the reset came later in what we learnt)', async () => {
    const store = await b.open({ clock: () => T0 + 10 });
    const p = processing(store, {
      analyze: () => ({ type: 'bounce', recipients: [result('b@x.example', 'invalid', 1).r], decodedBy: 't', problems: [], date: new Date(T0).toUTCString() }),
    });
    const { id } = await store.saveMessage({ source: 'file', origin: 't', mailFrom: '', rcptTo: [], receivedAt: T0 }, Buffer.from('m'));
    // The operator resets at T0+10 (nothing to reset yet), then the message - stored at T0+10 too,
    // so it sorts before the reset (events before actions at one instant) - is processed.
    await store.reset('b@x.example', 'invalid', 'customer asked', 'op');
    await p.processMessage(id);
    // Stepping the event onto the reset would leave the address invalid; the fold clears it.
    expect((await store.mayISend('b@x.example')).verdict).toBe('ok');
    expect(await store.addressStatus('b@x.example')).toMatchObject({ events: 1, emailInvalid: false });
    expect(await collect(store.verifyState())).toEqual([]);
  });

  it('rows written before migration 0005 (no position) fold once, then step', async () => {
    const { store, ingest, tick } = await setup();
    await ingest([result('c@y.example', 'suspend', 1)]);
    tick();
    await b.sql(store, "UPDATE addresses SET fold_order = NULL, fold_rank = NULL, fold_id = NULL, soft_day_list = ''");
    expect((await collect(store.verifyState())).map((d) => d.fields)).toEqual([['last']]);
    await ingest([result('c@y.example', 'soft', 2)]);
    expect(await collect(store.verifyState())).toEqual([]);
    expect(await store.addressStatus('c@y.example')).toMatchObject({ events: 2, emailSuspended: true, softBounces: 1 });
  });

  it('prune folds the addresses whose events it deleted; with escalation on it keeps soft bounces and deliveries', async () => {
    for (const enabled of [false, true]) {
      const { store, ingest, tick } = await setup({ escalation: { enabled, softBounces: 2, distinctDays: 2, withinDays: 30, action: 'invalid' } });
      await ingest([result('d@x.example', 'soft', 1)]);
      tick(DAY);
      await ingest([result('d@x.example', 'soft', 2)]);
      await ingest([result('d@x.example', 'autoreply', 3)]);
      tick(40 * DAY);
      const r = await store.prune(1000 * DAY, 10 * DAY);
      expect(await collect(store.verifyState())).toEqual([]);
      if (enabled) {
        // The escalation the two soft bounces caused survives the prune.
        expect(r.eventsDeleted).toBe(1);
        expect(await store.addressStatus('d@x.example')).toMatchObject({ emailInvalid: true, events: 2 });
      } else {
        expect(r.eventsDeleted).toBe(3);
        expect((await store.addressStatus('d@x.example')).known).toBe(false);
      }
    }
  });
});
}
