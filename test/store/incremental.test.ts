/**
 * Incremental address state (issue 18): the row is stepped one item at a time (O(1) per event) and
 * must always equal the fold of the address's whole history. Randomized sequences (fast-check) of
 * what happens to addresses in real life - bounces of every effect arriving late and out of order,
 * messages stored before a reset but processed after it, resets and imports by a person (imports
 * dated in the past or future), forced reprocessing that replaces a message's events with other
 * ones, prunes, clocks standing still (ties) or jumping past the 24 h suspension - run against a
 * real store (SQLite :memory:, the real migrations); after every step each address row is compared
 * with the fold of its history read straight from the tables, and with store.verifyState().
 */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decideSend, foldAll, type FoldItem, type Effect, type StateRules } from '../../src/store/state-rules.js';
import { openStore, type Store } from '../../src/store/index.js';
import { openProcessingStore, type ProcessingStore } from '../support/pipeline.js';
import type { Analysis, Envelope, MessageType, RecipientResult } from '../../src/types.js';

import { ADDRESSES, DAY, HOUR, T0, opArb, result, rulesArb, type Kind } from '../support/state-sequences.js';

/** The fold of one address, read from the tables with SQL of this test's own (not the store's). */
function foldFromTables(db: Database.Database, address: string, rules: StateRules) {
  const items: FoldItem[] = [];
  const ev = db
    .prepare(
      // The diagnostic text lives in `diagnostics` since schema 6 (events.diagnostic before it).
      `SELECT e.id, m.stored_at, e.at, e.effect, coalesce(d.text, e.diagnostic) AS diagnostic, e.reply_code, e.status, e.reason
         FROM events e JOIN messages m ON m.id = e.message_id LEFT JOIN diagnostics d ON d.id = e.diagnostic_id WHERE e.address = ?`,
    )
    .all(address) as { id: number; stored_at: number; at: number; effect: Effect; diagnostic: string; reply_code: string; status: string; reason: string }[];
  for (const e of ev) {
    const cause = e.diagnostic !== '' ? e.diagnostic : [e.reply_code, e.status, e.reason].filter((s) => s !== '').join(' ');
    items.push({ kind: 'event', id: e.id, order: e.stored_at, at: e.at, effect: e.effect, cause });
  }
  const acts = db.prepare('SELECT id, at, action, what, reason FROM address_actions WHERE address = ?').all(address) as {
    id: number;
    at: number;
    action: 'reset' | 'import';
    what: string;
    reason: string;
  }[];
  for (const a of acts) items.push({ kind: 'action', id: a.id, order: a.at, action: a.action, what: a.what, reason: a.reason });
  return { items: items.length, fold: foldAll(address, items, rules) };
}

const dir = mkdtempSync(join(tmpdir(), 'rebound-incr-'));
let files = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('incremental address state agrees with the whole-history fold', () => {
  it('on randomized event sequences (late, out of order, resets, imports, reprocess, prune, expiry)', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(rulesArb, fc.array(opArb, { minLength: 1, maxLength: 40 }), async (rules, ops) => {
        // A file, not :memory:, so this test's own read-only connection sees the store's commits.
        const path = join(dir, `p${run++}.db`);
        let now = T0;
        // Per message number: which of its analyses the analyzer returns now (reprocess flips it).
        const versions = new Map<number, Analysis>();
        const store: ProcessingStore = openProcessingStore({
          path,
          clock: () => now,
          state: rules,
          analyze: (raw) => versions.get(Number(raw.toString('utf8')))!,
        });
        const db = new Database(path, { readonly: true });
        let n = 0;
        const pending: number[] = [];
        const stored: number[] = [];
        const analysisOf = (msg: fc.RecordValue<{ results: { who: number; kind: Kind }[]; lateBy: number }>): Analysis => {
          const rs = msg.results.map((x) => result(ADDRESSES[x.who]!, x.kind, n));
          return { type: rs[0]!.type, recipients: rs.map((x) => x.r), decodedBy: 'test', problems: [], date: new Date(now - msg.lateBy).toUTCString() };
        };
        const save = (a: Analysis): number => {
          const num = n++;
          versions.set(num, a);
          const env: Envelope = { source: 'file', origin: 'prop', mailFrom: '', rcptTo: [], receivedAt: now };
          const { id } = store.saveMessage(env, Buffer.from(String(num)));
          stored.push(id);
          return id;
        };
        try {
          for (const o of ops) {
            switch (o.op) {
              case 'ingest':
                await store.processMessage(save(analysisOf(o.msg)));
                break;
              case 'save':
                pending.push(save(analysisOf(o.msg)));
                break;
              case 'process':
                // Any pending message, not the oldest: learnt out of order.
                if (pending.length > 0) await store.processMessage(pending.splice(o.pick % pending.length, 1)[0]!);
                break;
              case 'reset':
                store.reset(ADDRESSES[o.who]!, o.what, 'prop test', 'tester');
                break;
              case 'import':
                store.importSuppressions([{ address: ADDRESSES[o.who]!, what: o.what, cause: 'list import', at: now + o.shift }], 'tester');
                break;
              case 'reprocess': {
                if (stored.length === 0) break;
                const ids: number[] = [];
                for (const p of o.picks) {
                  const id = stored[p.pick % stored.length]!;
                  const num = Number(store.getMessage(id)!.raw!.toString('utf8'));
                  versions.set(num, analysisOf(p.msg));
                  ids.push(id);
                }
                await store.reprocess({ ids });
                break;
              }
              case 'prune':
                store.prune(1000 * DAY, o.olderThan);
                break;
              case 'advance':
                now += o.ms;
                break;
            }
            for (const address of ADDRESSES) {
              const { items, fold } = foldFromTables(db, address, rules);
              const st = store.addressStatus(address);
              expect(st.known).toBe(items > 0);
              const { known: _k, mayISend: _m, ...row } = st;
              expect(row).toEqual(fold.state);
              // "May I send?" agrees now and as the suspension runs out.
              for (const t of [now, now + rules.suspendHours * HOUR - 1, now + rules.suspendHours * HOUR + 1]) {
                expect(store.mayISend(address, t)).toEqual(decideSend(fold.state, rules, t));
              }
            }
            expect([...store.verifyState()]).toEqual([]);
          }
        } finally {
          db.close();
          store.close();
          rmSync(path, { force: true });
          rmSync(`${path}-wal`, { force: true });
          rmSync(`${path}-shm`, { force: true });
        }
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 60) },
    );
  }, 120_000);
});

describe('the incremental step', () => {
  function setup(rules: Partial<StateRules> = {}) {
    let now = T0;
    const versions = new Map<number, Analysis>();
    // A file, so that a test can change rows behind the store's back through a connection of its own.
    const store = openProcessingStore({ path: join(dir, `s${files++}.db`), clock: () => now, state: rules, analyze: (raw) => versions.get(Number(raw.toString('utf8')))! });
    let n = 0;
    const ingest = async (rs: { type: MessageType; r: RecipientResult }[]) => {
      const num = n++;
      versions.set(num, { type: rs[0]!.type, recipients: rs.map((x) => x.r), decodedBy: 't', problems: [], date: new Date(now).toUTCString() });
      const { id } = store.saveMessage({ source: 'file', origin: 't', mailFrom: '', rcptTo: [], receivedAt: now }, Buffer.from(String(num)));
      return store.processMessage(id);
    };
    return { store, ingest, tick: (ms = 1000) => (now += ms) };
  }

  it('does not read the history of an address: a row changed behind its back stays changed until a refold', async () => {
    const { store, ingest, tick } = setup();
    for (let i = 0; i < 5; i++) {
      await ingest([result('a@x.example', 'soft', i)]);
      tick();
    }
    expect(store.addressStatus('a@x.example')).toMatchObject({ events: 5, softBounces: 5 });
    // Lose two events behind the store's back (as a hand-edited or damaged file would).
    const raw = new Database(store.path);
    raw.prepare("DELETE FROM events WHERE id IN (SELECT id FROM events WHERE address = 'a@x.example' ORDER BY id LIMIT 2)").run();
    raw.close();
    await ingest([result('a@x.example', 'soft', 9)]);
    // Stepped from the stored row: 6 events counted, though only 4 are left. A fold would say 4.
    expect(store.addressStatus('a@x.example')).toMatchObject({ events: 6, softBounces: 6 });
    // The check finds it and repairs it from the history that is left.
    const diffs = [...store.verifyState()];
    expect(diffs).toHaveLength(1);
    expect(diffs[0]).toMatchObject({ address: 'a@x.example', repaired: false });
    expect(diffs[0]!.fields).toEqual(expect.arrayContaining(['events', 'softBounces']));
    expect(diffs[0]!.stored!.state.events).toBe(6);
    expect(diffs[0]!.computed!.state.events).toBe(4);
    const repaired = [...store.verifyState({ repair: true })];
    expect(repaired.map((d) => d.repaired)).toEqual([true]);
    expect(store.addressStatus('a@x.example')).toMatchObject({ events: 4, softBounces: 4 });
    expect([...store.verifyState()]).toEqual([]);
  });

  it('a message stored before a reset but processed after it folds again (the reset came later in what we learnt)', async () => {
    const store = openProcessingStore({
      path: ':memory:',
      clock: () => T0 + 10,
      analyze: () => ({ type: 'bounce', recipients: [result('b@x.example', 'invalid', 1).r], decodedBy: 't', problems: [], date: new Date(T0).toUTCString() }),
    });
    const { id } = store.saveMessage({ source: 'file', origin: 't', mailFrom: '', rcptTo: [], receivedAt: T0 }, Buffer.from('m'));
    // The operator resets at T0+10 (nothing to reset yet), then the message - stored at T0+10 too,
    // so it sorts before the reset (events before actions at one instant) - is processed.
    store.reset('b@x.example', 'invalid', 'customer asked', 'op');
    await store.processMessage(id);
    // Stepping the event onto the reset would leave the address invalid; the fold clears it.
    expect(store.mayISend('b@x.example').verdict).toBe('ok');
    expect(store.addressStatus('b@x.example')).toMatchObject({ events: 1, emailInvalid: false });
    expect([...store.verifyState()]).toEqual([]);
    store.close();
  });

  it('rows written before migration 0005 (no position) fold once, then step', async () => {
    const { store, ingest, tick } = setup();
    await ingest([result('c@y.example', 'suspend', 1)]);
    tick();
    const raw = new Database(store.path);
    raw.prepare("UPDATE addresses SET fold_order = NULL, fold_rank = NULL, fold_id = NULL, soft_day_list = ''").run();
    raw.close();
    expect([...store.verifyState()].map((d) => d.fields)).toEqual([['last']]);
    await ingest([result('c@y.example', 'soft', 2)]);
    expect([...store.verifyState()]).toEqual([]);
    expect(store.addressStatus('c@y.example')).toMatchObject({ events: 2, emailSuspended: true, softBounces: 1 });
  });

  it('prune folds the addresses whose events it deleted; with escalation on it keeps soft bounces and deliveries', async () => {
    for (const enabled of [false, true]) {
      const { store, ingest, tick } = setup({ escalation: { enabled, softBounces: 2, distinctDays: 2, withinDays: 30, action: 'invalid' } });
      await ingest([result('d@x.example', 'soft', 1)]);
      tick(DAY);
      await ingest([result('d@x.example', 'soft', 2)]);
      await ingest([result('d@x.example', 'autoreply', 3)]);
      tick(40 * DAY);
      const r = store.prune(1000 * DAY, 10 * DAY);
      expect([...store.verifyState()]).toEqual([]);
      if (enabled) {
        // The escalation the two soft bounces caused survives the prune.
        expect(r.eventsDeleted).toBe(1);
        expect(store.addressStatus('d@x.example')).toMatchObject({ emailInvalid: true, events: 2 });
      } else {
        expect(r.eventsDeleted).toBe(3);
        expect(store.addressStatus('d@x.example').known).toBe(false);
      }
      store.close();
    }
  });
});
