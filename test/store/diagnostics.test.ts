/**
 * Bounded storage per message (issue 16, finding 7): a 257 KB message with 759 recipients became
 * 759 events holding 130 MB of diagnostic text. Now a message's diagnostic texts are stored once
 * per distinct text, capped at MAX_STORED_DIAGNOSTIC characters, and its events refer to them
 * (migration 0006). On both backends (support/store-backends.ts: a SQLite file, a PostgreSQL
 * database); a real DSN through the real planner; the migration on a SQLite file written with
 * schema 3 (SQLite only: no PostgreSQL store predates the step).
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, SCHEMA_VERSION } from '../../src/store/index.js';
import type { StoreApi } from '../../src/store/index.js';
import { collect } from '../support/collect.js';
import { processing, storeBackends } from '../support/store-backends.js';
import { MAX_STORED_DIAGNOSTIC, MAX_STORED_EVIDENCE } from '../../src/store/limits.js';
import { sql as m0001 } from '../../src/store/migrations/0001-initial.js';
import { sql as m0002 } from '../../src/store/migrations/0002-imap-health.js';
import { sql as m0003 } from '../../src/store/migrations/0003-addresses-without-rowid.js';
import type { Analysis, Envelope, RecipientResult } from '../../src/types.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function dbPath(): string {
  const d = mkdtempSync(join(tmpdir(), 'rebound-diag-'));
  dirs.push(d);
  return join(d, 'rebound.db');
}

const env: Envelope = { source: 'file', origin: 'test', mailFrom: '', rcptTo: ['bounces@bounces.test'], receivedAt: Date.now() };

/** Characters of diagnostic text the file holds, wherever it is kept. */
function storedText(path: string): { diagnostics: number; inEvents: number; rows: number } {
  const db = new Database(path, { readonly: true });
  try {
    const d = db.prepare('SELECT coalesce(sum(length(text)), 0) AS n, count(*) AS rows FROM diagnostics').get() as { n: number; rows: number };
    const e = db.prepare('SELECT coalesce(sum(length(diagnostic)), 0) AS n FROM events').get() as { n: number };
    return { diagnostics: d.n, inEvents: e.n, rows: d.rows };
  } finally {
    db.close();
  }
}

function result(address: string, diagnostic: string, evidence = 'user unknown'): RecipientResult {
  return {
    address,
    action: 'failed',
    status: '5.1.1',
    replyCode: '550',
    reason: 'userunknown',
    hard: true,
    category: 2,
    likelyFalsePositive: false,
    evidence,
    diagnostic,
    remoteMta: 'mx.example.org',
    feedbackType: '',
  };
}

for (const b of storeBackends) {
  describe.skipIf(b.skip !== '')(b.title('diagnostic text is stored once per message, capped'), () => {
    /** Characters of diagnostic text the store holds, wherever it is kept (SQL both dialects read). */
    async function stored(store: StoreApi): Promise<{ diagnostics: number; inEvents: number; rows: number }> {
      const [d] = await b.sql(store, 'SELECT coalesce(sum(length(text)), 0) AS n, count(*) AS rows FROM diagnostics');
      const [e] = await b.sql(store, 'SELECT coalesce(sum(length(diagnostic)), 0) AS n FROM events');
      return { diagnostics: Number(d!.n), inEvents: Number(e!.n), rows: Number(d!.rows) };
    }

    it('759 recipients sharing a 171 kB diagnostic: one capped text, not 130 MB', async () => {
      const huge = `550 5.1.1 ${'The recipient mailbox does not exist. '.repeat(4500)}`;
      expect(huge.length).toBeGreaterThan(170_000);
      const analysis: Analysis = {
        type: 'bounce',
        decodedBy: 'test',
        problems: [],
        recipients: Array.from({ length: 759 }, (_, i) => result(`user${i}@example.org`, huge, 'x'.repeat(5000))),
      };
      const store = await b.open();
      const p = processing(store, { analyze: () => analysis });
      const [saved] = await store.saveMessages([{ env, raw: Buffer.from('From: MAILER-DAEMON@example.net\n\nbody\n') }]);
      const [outcome] = await p.processIds([saved!.id]);
      expect(outcome).toMatchObject({ state: 'processed', events: 759 });
      // Every event still reads its diagnostic (cut, and saying so), and the state keeps its cause.
      const h = await store.history('user17@example.org');
      expect(h[0]!.diagnostic!.length).toBe(MAX_STORED_DIAGNOSTIC);
      expect(h[0]!.diagnostic).toMatch(/^550 5\.1\.1 The recipient mailbox does not exist\..*\[\.\.\. \d+ more characters not stored\]$/);
      expect(h[0]!.evidence!.length).toBe(MAX_STORED_EVIDENCE);
      expect(await store.addressStatus('user17@example.org')).toMatchObject({ emailInvalid: true, emailInvalidCause: expect.stringMatching(/^550 5\.1\.1 The recipient/) });
      // The row stepped in as the event was stored equals a fold of the stored (capped) history.
      expect(await collect(store.verifyState())).toEqual([]);
      expect(await stored(store)).toEqual({ diagnostics: MAX_STORED_DIAGNOSTIC, inEvents: 0, rows: 1 });
    });

    it("distinct texts are kept apart; reprocessing replaces the message's texts, it does not add to them", async () => {
      let round = 0;
      const store = await b.open();
      const p = processing(store, {
        analyze: () => ({
          type: 'bounce',
          decodedBy: 'test',
          problems: [],
          recipients: [result('a@example.org', `550 unknown a (${round})`), result('b@example.org', `550 unknown b (${round})`), result('c@example.org', `550 unknown a (${round})`), result('d@example.org', '')],
        }),
      });
      const [saved] = await store.saveMessages([{ env, raw: Buffer.from('From: MAILER-DAEMON@example.net\n\nbody 2\n') }]);
      await p.processIds([saved!.id]);
      expect((await stored(store)).rows).toBe(2);
      round = 1;
      await p.reprocess({ ids: [saved!.id] });
      expect((await stored(store)).rows).toBe(2);
      expect((await store.history('c@example.org'))[0]!.diagnostic).toBe('550 unknown a (1)');
      expect((await store.history('d@example.org'))[0]!.diagnostic).toBe('');
    });

    it('a real DSN with 759 recipients and one long Diagnostic-Code each: the text once', async () => {
      const diag = `550 5.1.1 ${'mailbox unavailable, no such user here; '.repeat(60)}`;
      const rcpts = Array.from(
        { length: 759 },
        (_, i) => `Final-Recipient: rfc822; user${i}@example.org\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; ${diag}\n`,
      ).join('\n');
      const raw = `From: MAILER-DAEMON@mx.example.net\nTo: bounces@bounces.test\nSubject: Undelivered Mail Returned to Sender\nContent-Type: multipart/report; report-type=delivery-status; boundary=B\n\n--B\nContent-Type: text/plain\n\nDelivery failed.\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n${rcpts}\n--B--\n`;
      const store = await b.open();
      const [saved] = await store.saveMessages([{ env, raw: Buffer.from(raw) }]);
      const [outcome] = await processing(store).processIds([saved!.id]);
      expect(outcome).toMatchObject({ state: 'processed', events: 759 });
      const t = await stored(store);
      // Before: 759 copies (about 1.8 MB of text in events); now one row.
      expect(t.inEvents).toBe(0);
      expect(t.rows).toBe(1);
      expect(t.diagnostics).toBeLessThanOrEqual(MAX_STORED_DIAGNOSTIC);
    }, 60_000);
  });
}

// A SQLite file written by an older rebound: PostgreSQL stores never had a schema before 0006's.
describe('diagnostic text: migration 0006 on an older SQLite file', () => {
  it('migration 0006 moves the texts of an older file: one row per message and text, events emptied, history unchanged', () => {
    const path = dbPath();
    // A file as rebound with schema 3 wrote it (0004, which rewrites addresses, 0005 and 0006 run on open).
    const old = new Database(path);
    old.exec(m0001);
    old.exec(m0002);
    old.exec(m0003);
    old.pragma('user_version = 3');
    old.prepare("INSERT INTO messages (id, sha256, source, origin, mail_from, rcpt_to, received_at, stored_at, size, state, raw) VALUES (1, 'h1', 'file', 't', '', '[]', 1, 1, 10, 'processed', NULL)").run();
    const ins = old.prepare(
      `INSERT INTO events (message_id, address, raw_address, at, received_at, message_type, action, status, reply_code, reason, hard, category,
         likely_false_positive, evidence, diagnostic, remote_mta, feedback_type, effect) VALUES (1, ?, ?, 1, 1, 'bounce', 'failed', '5.1.1', '550', 'userunknown', 1, 2, 0, 'e', ?, '', '', 'invalid')`,
    );
    for (let i = 0; i < 50; i++) ins.run(`u${i}@example.org`, `u${i}@example.org`, i % 2 === 0 ? 'same text' : 'x'.repeat(9000));
    ins.run('none@example.org', 'none@example.org', '');
    old.close();

    const store = openStore({ path });
    expect(store.stats().schemaVersion).toBe(SCHEMA_VERSION);
    expect(store.history('u0@example.org')[0]!.diagnostic).toBe('same text');
    expect(store.history('u1@example.org')[0]!.diagnostic).toMatch(/^x+ \[\.\.\. \d+ more characters not stored\]$/);
    expect(store.history('u1@example.org')[0]!.diagnostic!.length).toBe(MAX_STORED_DIAGNOSTIC);
    expect(store.history('none@example.org')[0]!.diagnostic).toBe('');
    store.close();
    const t = storedText(path);
    expect(t).toEqual({ diagnostics: 'same text'.length + MAX_STORED_DIAGNOSTIC, inEvents: 0, rows: 2 });
  });
});
