/**
 * The PostgreSQL store backend (issue 17) against a real private cluster: the same outcomes as the
 * SQLite store for the same messages in the same order (events, every address row, the "may I
 * send?" answer), and the guarantees several daemons on one database rely on - a bounce delivered
 * to two hosts stored once, each message processed once when several processes claim at once, no
 * event of one address lost when two hosts apply them together, a claim of a killed process going
 * back to pending, IMAP leases with a fenced cursor.
 */
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { StateDifference, VerifySummary } from '../../src/store/index.js';
import { openProcessingStore, type ProcessingStore } from '../support/pipeline.js';
import type { Envelope } from '../../src/types.js';
import { freshDatabase, openPgProcessing, pgSkip, type PgProcessingStore } from '../support/pg.js';
import { realMtaSample } from '../support/real-mta-sample.js';
import { collect } from '../support/collect.js';

const RECEIVED = Date.UTC(2026, 11, 6, 14, 0, 0);
const env = (i: number): Envelope => ({ source: 'smtp', origin: `127.0.0.1 #${i}`, mailFrom: '', rcptTo: ['bounces@bounces.localhost'], receivedAt: RECEIVED });

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

/** A clock shared by every store of a test: each save gets its own instant, in feed order. */
function counterClock(start = RECEIVED) {
  let t = start;
  return { next: () => ++t, now: () => t };
}

async function pgStore(url: string, clock?: () => number): Promise<PgProcessingStore> {
  const s = await openPgProcessing({ url, tls: 'off', poolSize: 4, ...(clock ? { clock } : {}) });
  open.push(s);
  return s;
}

function sqliteStore(clock: () => number, path = ':memory:'): ProcessingStore {
  const s = openProcessingStore({ path, clock });
  open.push(s);
  return s;
}

/** Address rows without updated_at (a processing time, not state). */
async function pgAddresses(s: PgProcessingStore) {
  return collect(s.exportAddresses());
}

describe.skipIf(pgSkip !== '')(`PostgreSQL store${pgSkip ? ` (skipped: ${pgSkip})` : ''}`, () => {
  const sample = realMtaSample(40); // 160 real DSNs, 4 per scenario

  it('gives the same events, address rows and answers as SQLite for the same messages in the same order', async () => {
    const url = await freshDatabase('same');
    let t = RECEIVED;
    const s = await pgStore(url, () => t);
    const lite = sqliteStore(() => t);
    for (const [i, m] of sample.entries()) {
      t++;
      const a = await s.saveMessage(env(i), m.raw);
      const b = lite.saveMessage(env(i), m.raw);
      expect(a).toEqual(b);
    }
    expect(await s.processPending()).toBe(sample.length);
    expect(await lite.processPending()).toBe(sample.length);
    const liteRows = [...lite.exportAddresses()];
    expect(liteRows.length).toBeGreaterThan(40);
    expect(liteRows.filter((r) => r.emailInvalid).length).toBeGreaterThanOrEqual(3);
    expect(liteRows.filter((r) => r.emailSuspended).length).toBeGreaterThanOrEqual(10);
    expect(await pgAddresses(s)).toEqual(liteRows);
    const ps = await s.stats(t);
    const ls = lite.stats(t);
    expect({ ...ps, imap: [] }).toEqual({ ...ls, imap: [] });
    for (const r of liteRows.slice(0, 40)) {
      expect(await s.mayISend(r.address.toUpperCase(), t)).toEqual(lite.mayISend(r.address.toUpperCase(), t));
      // Event ids follow processing order (two claims run at once on PostgreSQL): same entries.
      const entries = (h: { id: number }[]) => h.map((e) => JSON.stringify({ ...e, id: 0 })).sort();
      expect(entries(await s.history(r.address))).toEqual(entries(lite.history(r.address)));
    }
    expect(await s.mayISend('nobody@nowhere.example', t)).toEqual({ address: 'nobody@nowhere.example', verdict: 'ok', cause: '' });
    // A forced reprocess replaces events and leaves the same rows; a reset is audited and stepped.
    await s.reprocess({ all: true });
    await lite.reprocess({ all: true });
    const victim = liteRows.find((r) => r.emailInvalid)!.address;
    t += 1000;
    const pr = await s.reset(victim, 'all', 'ticket 42', 'ops');
    const lr = lite.reset(victim, 'all', 'ticket 42', 'ops');
    expect({ ...pr, actionId: 0 }).toEqual({ ...lr, actionId: 0 });
    expect(pr.changed).toBe(true);
    const imp = [{ address: 'Imported@Example.org', what: 'invalid' as const, cause: 'old list', at: t - 5000 }, { address: 'not an address', what: 'invalid' as const }];
    expect(await s.importSuppressions(imp, 'ops')).toEqual(lite.importSuppressions(imp, 'ops'));
    expect(await pgAddresses(s)).toEqual([...lite.exportAddresses()]);
    expect(await s.list('invalid', undefined, t)).toEqual(lite.list('invalid', undefined, t));
    expect(await s.list('suspended', undefined, t)).toEqual(lite.list('suspended', undefined, t));
    const fold = await s.foldAddress(victim);
    expect(fold?.state).toEqual(lite.addressStatus(victim, t) && (({ known: _k, mayISend: _m, ...st }) => st)(lite.addressStatus(victim, t)));
  });

  it('prunes as SQLite does: raw bodies of finished messages, old events that cannot set a flag, rows folded again', async () => {
    const url = await freshDatabase('prune');
    let t = RECEIVED;
    const s = await pgStore(url, () => t);
    const lite = sqliteStore(() => t);
    for (const [i, m] of sample.slice(0, 80).entries()) {
      t++;
      await s.saveMessage(env(i), m.raw);
      lite.saveMessage(env(i), m.raw);
    }
    await s.processPending();
    await lite.processPending();
    t = RECEIVED + 400 * 86_400_000;
    const pr = await s.prune(30 * 86_400_000, 100 * 86_400_000);
    const lr = lite.prune(30 * 86_400_000, 100 * 86_400_000);
    expect(pr).toEqual(lr);
    expect(pr.rawDropped).toBe(80);
    expect(pr.eventsDeleted).toBeGreaterThan(0);
    expect(await collect(s.exportAddresses())).toEqual([...lite.exportAddresses()]);
    expect(await s.stats(t)).toEqual(lite.stats(t));
  });

  it('verify-state finds and repairs the rows that SQLite finds, field by field', async () => {
    const url = await freshDatabase('verify');
    let t = RECEIVED;
    const s = await pgStore(url, () => t);
    const file = join(mkdtempSync(join(tmpdir(), 'rebound-pgverify-')), 'lite.db');
    const lite = sqliteStore(() => t, file);
    for (const [i, m] of sample.slice(0, 60).entries()) {
      t++;
      await s.saveMessage(env(i), m.raw);
      lite.saveMessage(env(i), m.raw);
    }
    await s.processPending();
    await lite.processPending();
    const verify = async (it: AsyncGenerator<StateDifference, VerifySummary> | Generator<StateDifference, VerifySummary>) => {
      const diffs: { address: string; fields: string[]; repaired: boolean }[] = [];
      let r = await it.next();
      while (!r.done) {
        diffs.push({ address: r.value.address, fields: r.value.fields, repaired: r.value.repaired });
        r = await it.next();
      }
      return { diffs, summary: r.value };
    };
    expect((await verify(s.verifyState())).diffs).toEqual([]);
    const [x, y] = [...lite.exportAddresses()].map((a) => a.address);
    // The same damage on both: a counter changed by hand, a row lost.
    const damage = [`UPDATE addresses SET events = events + 5, soft_bounces = 9 WHERE address = '${x}'`, `DELETE FROM addresses WHERE address = '${y}'`];
    for (const q of damage) await s.pool.query(q);
    const liteDb = new Database(file);
    for (const q of damage) liteDb.exec(q);
    liteDb.close();
    const pgFound = await verify(s.verifyState({ chunk: 7 }));
    const liteFound = await verify(lite.verifyState({ chunk: 7 }));
    expect(pgFound).toEqual(liteFound);
    expect(pgFound.diffs.map((d) => d.address).sort()).toEqual([x, y].sort());
    expect(await verify(s.verifyState({ repair: true, addresses: [x!.toUpperCase(), y!] }))).toMatchObject({ summary: { checked: 2, differing: 2, repaired: 2 } });
    expect((await verify(s.verifyState())).diffs).toEqual([]);
    await verify(lite.verifyState({ repair: true }));
    expect(await collect(s.exportAddresses())).toEqual([...lite.exportAddresses()]);
  });

  it('stores a long diagnostic once per message and distinct text, capped, as SQLite does', async () => {
    const url = await freshDatabase('diag');
    let t = RECEIVED;
    const long = `550 5.1.1 ${'mailbox unavailable; '.repeat(600)}`; // ~12,600 characters
    const analyze = (raw: Buffer) => {
      const n = Number(raw.toString());
      return {
        type: 'bounce' as const,
        decodedBy: 'test',
        problems: ['x'.repeat(30_000)],
        date: new Date(RECEIVED - 1000).toUTCString(),
        recipients: Array.from({ length: 40 }, (_, i) => ({
          address: `r${i}@big.example`,
          action: 'failed',
          status: '5.1.1',
          replyCode: '550',
          reason: 'userunknown' as const,
          hard: true,
          category: 2 as const,
          likelyFalsePositive: false,
          evidence: 'e'.repeat(5000),
          diagnostic: i % 2 === 0 ? long : `${long} (${n})`,
          remoteMta: 'mx.big.example',
          feedbackType: '',
        })),
      };
    };
    const pgs = await openPgProcessing({ url, tls: 'off', clock: () => t, analyze });
    open.push(pgs);
    const lite = openProcessingStore({ path: ':memory:', clock: () => t, analyze });
    open.push(lite);
    for (const i of [1, 2]) {
      t++;
      await pgs.saveMessage(env(i), Buffer.from(String(i)));
      lite.saveMessage(env(i), Buffer.from(String(i)));
    }
    await pgs.processPending();
    await lite.processPending();
    expect(await collect(pgs.exportAddresses())).toEqual([...lite.exportAddresses()]);
    const entries = (h: { id: number }[]) => h.map((e) => JSON.stringify({ ...e, id: 0 })).sort();
    expect(entries(await pgs.history('r3@big.example'))).toEqual(entries(lite.history('r3@big.example')));
    const [h] = await pgs.history('r0@big.example', 1);
    expect(h!.diagnostic!.length).toBe(4096);
    expect(h!.diagnostic).toMatch(/more characters not stored\]$/);
    const d = await pgs.pool.query<{ n: number; len: number }>('SELECT count(*)::int AS n, max(length(text))::int AS len FROM diagnostics');
    expect(d.rows[0]).toEqual({ n: 4, len: 4096 }); // two distinct texts per message, two messages
    expect(await pgs.stats(t)).toEqual(lite.stats(t));
  });

  it('stores a bounce delivered to two hosts at once only once', async () => {
    const url = await freshDatabase('dup');
    const [a, b] = [await pgStore(url), await pgStore(url)];
    const msgs = sample.slice(0, 30);
    const [ra, rb] = await Promise.all([
      Promise.all(msgs.map((m, i) => a.saveMessage(env(i), m.raw))),
      Promise.all(msgs.map((m, i) => b.saveMessage(env(i), m.raw))),
    ]);
    for (let i = 0; i < msgs.length; i++) {
      expect(ra[i]!.id).toBe(rb[i]!.id);
      expect([ra[i]!.duplicate, rb[i]!.duplicate].sort()).toEqual([false, true]);
    }
    // A batch that repeats a message inside itself, too.
    const again = await a.saveMessages([{ env: env(0), raw: msgs[0]!.raw }, { env: env(0), raw: msgs[0]!.raw }]);
    expect(again).toEqual([{ id: ra[0]!.id, duplicate: true }, { id: ra[0]!.id, duplicate: true }]);
    expect((await a.stats()).messages.total).toBe(msgs.length);
  });

  it('processes each message once and loses no event when three processes claim and apply together', async () => {
    const url = await freshDatabase('conc');
    const clock = counterClock();
    const stores = [await pgStore(url, clock.next), await pgStore(url, clock.next), await pgStore(url, clock.next)];
    // Saved in order (one instant each), processed by three stores at once in small claims.
    const order: Buffer[] = [];
    for (const [i, m] of sample.entries()) {
      await stores[i % 3]!.saveMessage(env(i), m.raw);
      order.push(m.raw);
    }
    const counts = await Promise.all(stores.map(async (s) => {
      let n = 0;
      for (;;) {
        const got = await s.claimAndProcess(3);
        if (got.length === 0) return n;
        n += got.length;
      }
    }));
    expect(counts.reduce((x, y) => x + y, 0)).toBe(sample.length);
    expect(counts.filter((n) => n > 0).length).toBeGreaterThan(1);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const attempts = await c.query(`SELECT attempts::int AS attempts, count(*)::int AS n FROM messages GROUP BY attempts`);
    expect(attempts.rows).toEqual([{ attempts: 1, n: sample.length }]);
    await c.end();
    // The reference: SQLite fed the same messages in the same order, one process.
    const t = counterClock();
    const lite = sqliteStore(t.next);
    order.forEach((raw, i) => lite.saveMessage(env(i), raw));
    await lite.processPending();
    expect(await pgAddresses(stores[0]!)).toEqual([...lite.exportAddresses()]);
    expect((await stores[0]!.stats()).events.total).toBe(lite.stats().events.total);
  });

  it('puts the claim of a process that died back to pending, and others skip it meanwhile', async () => {
    const url = await freshDatabase('kill');
    const s = await pgStore(url);
    for (const [i, m] of sample.slice(0, 10).entries()) await s.saveMessage(env(i), m.raw);
    // Another "daemon" claims four messages and stops there (a process stuck or about to die).
    const other = new pg.Client({ connectionString: url });
    other.on('error', () => undefined);
    await other.connect();
    await other.query('BEGIN');
    const held = await other.query<{ id: string }>(`SELECT id FROM messages WHERE state = 'pending' ORDER BY id LIMIT 4 FOR UPDATE SKIP LOCKED`);
    expect(held.rows.length).toBe(4);
    const pid = (await other.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    expect(await s.processPending()).toBe(6);
    expect((await s.stats()).messages.pending).toBe(4);
    // It dies (its connection is cut, as a kill -9 does): PostgreSQL rolls its claim back.
    await s.pool.query('SELECT pg_terminate_backend($1)', [pid]);
    await other.end().catch(() => undefined);
    expect(await s.processPending()).toBe(4);
    const st = await s.stats();
    expect(st.messages.pending).toBe(0);
    expect(st.messages.processed + st.messages.failed + st.messages['not-a-bounce']).toBe(10);
  });

  it('gives an IMAP folder to one lease holder at a time and fences its cursor', async () => {
    const url = await freshDatabase('lease');
    const [a, b] = [await pgStore(url), await pgStore(url)];
    expect(await a.acquireImapLease('main', 'INBOX', 'host-a:1', 1500)).toBe(true);
    expect(await b.acquireImapLease('main', 'INBOX', 'host-b:1', 1500)).toBe(false);
    expect(await b.acquireImapLease('main', 'Other', 'host-b:1', 1500)).toBe(true);
    expect(await a.acquireImapLease('main', 'INBOX', 'host-a:1', 1500)).toBe(true); // renewal
    expect(await a.imapLeaseHolder('main', 'INBOX')).toBe('host-a:1');
    expect(await a.setImapCursor('main', 'INBOX', { uidValidity: 7, lastUid: 10 }, 'host-a:1')).toBe(true);
    expect(await b.setImapCursor('main', 'INBOX', { uidValidity: 7, lastUid: 99 }, 'host-b:1')).toBe(false);
    expect(await b.getImapCursor('main', 'INBOX')).toEqual({ uidValidity: 7, lastUid: 10 });
    // Host A stops renewing (stalled or dead): after expiry B takes over from A's cursor.
    await new Promise((r) => setTimeout(r, 1700));
    expect(await a.imapLeaseHolder('main', 'INBOX')).toBe(null);
    expect(await a.setImapCursor('main', 'INBOX', { uidValidity: 7, lastUid: 11 }, 'host-a:1')).toBe(false);
    expect(await b.acquireImapLease('main', 'INBOX', 'host-b:1', 1500)).toBe(true);
    expect(await a.acquireImapLease('main', 'INBOX', 'host-a:1', 1500)).toBe(false);
    expect(await b.setImapCursor('main', 'INBOX', { uidValidity: 7, lastUid: 12 }, 'host-b:1')).toBe(true);
    await b.releaseImapLease('main', 'INBOX', 'host-b:1');
    expect(await a.acquireImapLease('main', 'INBOX', 'host-a:1', 1500)).toBe(true);
    expect(await a.getImapCursor('main', 'INBOX')).toEqual({ uidValidity: 7, lastUid: 12 });
  });

  it('keeps IMAP health rows as SQLite does, and points backups to pg_dump', async () => {
    const url = await freshDatabase('misc');
    const s = await pgStore(url);
    await s.saveImapHealth({ mailbox: 'b', lastRunAt: 5, lastSuccessAt: 5, backlog: 0, messagesLastRun: 3 });
    const h = await s.saveImapHealth({ mailbox: 'b', lastRunAt: 9, lastError: 'down', lastErrorAt: 9, messagesLastRun: null });
    expect(h).toMatchObject({ mailbox: 'b', lastRunAt: 9, lastSuccessAt: 5, lastError: 'down', messagesLastRun: null, backlog: 0 });
    expect(await s.getImapHealth()).toEqual([h]);
    expect(s.backupHint()).toMatch(/pg_dump --format=custom/);
    expect(s.backupHint()).not.toMatch(/password/i);
    expect(await s.durabilityWarning()).toBe('');
  });
});
