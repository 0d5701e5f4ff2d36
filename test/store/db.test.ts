import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sql as m0001 } from '../../src/store/migrations/0001-initial.js';
import { sql as m0002 } from '../../src/store/migrations/0002-imap-health.js';
import { openStore, SCHEMA_VERSION } from '../../src/store/index.js';

const dir = mkdtempSync(join(tmpdir(), 'rebound-db-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('store/db', () => {
  it('creates the directory, uses WAL, and migrates to the current version', () => {
    const path = join(dir, 'sub', 'dir', 'r.db');
    const s = openStore({ path });
    s.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    expect(tables).toEqual(['address_actions', 'address_recompute', 'addresses', 'diagnostics', 'events', 'imap_cursors', 'imap_health', 'imap_leases', 'messages']);
    db.close();
    // Opening again is a no-op migration.
    openStore({ path }).close();
  });

  it('refuses a database from a newer version with a clear message', () => {
    const path = join(dir, 'newer.db');
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => openStore({ path })).toThrow(
      `schema version ${SCHEMA_VERSION + 1} is newer than this rebound understands (${SCHEMA_VERSION}); upgrade rebound`,
    );
  });

  it('migrates a version 1 file forward to imap_health, keeping its rows', () => {
    // A file as rebound with only 0001-initial left it.
    const path = join(dir, 'v1.db');
    const v1 = new Database(path);
    v1.exec(m0001);
    v1.pragma('user_version = 1');
    v1.prepare('INSERT INTO imap_cursors (account, folder, uid_validity, last_uid, updated_at) VALUES (?, ?, ?, ?, ?)').run('main', 'INBOX', 7, 42, 1);
    v1.close();

    // Read-only cannot migrate: it says so instead of half-working.
    expect(() => openStore({ path, readonly: true })).toThrow(`database schema is at version 1, needs ${SCHEMA_VERSION}; open it read-write once to migrate`);

    const s = openStore({ path, clock: () => 1000 });
    expect(s.stats()).toMatchObject({ schemaVersion: SCHEMA_VERSION, imap: [] });
    expect(s.getImapCursor('main', 'INBOX')).toEqual({ uidValidity: 7, lastUid: 42 });
    s.saveImapHealth({ mailbox: 'main', lastRunAt: 900, lastError: 'connect failed', lastErrorAt: 900 });
    s.close();

    const r = openStore({ path, readonly: true });
    expect(r.stats().imap).toEqual([
      { mailbox: 'main', lastRunAt: 900, lastSuccessAt: null, lastError: 'connect failed', lastErrorAt: 900, backlog: null, messagesLastRun: null, updatedAt: 1000 },
    ]);
    r.close();
  });

  it('migrates a version 2 file to addresses WITHOUT ROWID, keeping every row and index', () => {
    const path = join(dir, 'v2.db');
    const v2 = new Database(path);
    v2.exec(m0001);
    v2.exec(m0002);
    v2.pragma('user_version = 2');
    const ins = v2.prepare(
      `INSERT INTO addresses (address, email_suspended, email_suspended_cause, email_suspended_at, email_invalid, email_invalid_cause,
         email_invalid_at, complained, complained_at, soft_bounces, soft_days, last_soft_at, first_bounce_at, last_bounce_at, events, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const rows = [
      ['gone@example.com', 0, '', null, 1, '550 5.1.1 user unknown', 1000, 0, null, 0, 0, null, 1000, 1000, 1, 1000],
      ['full@example.com', 1, '452 mailbox full', 2000, 0, '', null, 0, null, 2, 2, 2000, 1500, 2000, 2, 2000],
      ['angry@example.com', 0, '', null, 0, '', null, 1, 3000, 0, 0, null, 3000, 3000, 1, 3000],
    ];
    for (const r of rows) ins.run(...r);
    const before = v2.prepare('SELECT * FROM addresses ORDER BY address').all();
    v2.close();

    const s = openStore({ path, clock: () => 2500 });
    expect(s.mayISend('gone@example.com')).toMatchObject({ verdict: 'invalid' });
    expect(s.mayISend('full@example.com')).toMatchObject({ verdict: 'suspended' });
    expect(s.mayISend('angry@example.com')).toMatchObject({ verdict: 'complained' });
    s.close();

    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    // Every row kept as it was; migration 0005 adds the fold columns, empty (no position yet).
    const noFold = { soft_day_list: '', fold_order: null, fold_rank: null, fold_id: null };
    expect(db.prepare('SELECT * FROM addresses ORDER BY address').all()).toEqual((before as object[]).map((r) => ({ ...r, ...noFold })));
    const table = db.prepare("SELECT sql FROM sqlite_master WHERE name = 'addresses'").get() as { sql: string };
    expect(table.sql).toMatch(/WITHOUT ROWID\s*$/);
    const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'addresses' AND sql IS NOT NULL ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    expect(indexes).toEqual(['addresses_complained', 'addresses_invalid', 'addresses_suspended']);
    const plan = (db.prepare('EXPLAIN QUERY PLAN SELECT email_invalid FROM addresses WHERE address = ?').all('x') as { detail: string }[]).map((r) => r.detail);
    expect(plan.join('; ')).toMatch(/USING PRIMARY KEY \(address=\?\)/);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });

  it('readonly opens work for queries', () => {
    const path = join(dir, 'ro.db');
    const w = openStore({ path });
    w.saveMessage({ source: 'file', origin: 'x', mailFrom: '', rcptTo: [], receivedAt: 1 }, Buffer.from('x'));
    w.close();
    const r = openStore({ path, readonly: true });
    expect(r.stats().messages.total).toBe(1);
    expect(() => r.saveMessage({ source: 'file', origin: 'x', mailFrom: '', rcptTo: [], receivedAt: 1 }, Buffer.from('y'))).toThrow();
    r.close();
  });
});
