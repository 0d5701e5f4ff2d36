import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sql as m0001 } from '../../src/store/migrations/0001-initial.js';
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
    expect(tables).toEqual(['address_actions', 'addresses', 'events', 'imap_cursors', 'imap_health', 'messages']);
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
    expect(() => openStore({ path, readonly: true })).toThrow('database schema is at version 1, needs 2; open it read-write once to migrate');

    const s = openStore({ path, clock: () => 1000 });
    expect(SCHEMA_VERSION).toBe(2);
    expect(s.stats()).toMatchObject({ schemaVersion: 2, imap: [] });
    expect(s.getImapCursor('main', 'INBOX')).toEqual({ uidValidity: 7, lastUid: 42 });
    s.saveImapHealth({ mailbox: 'main', lastRunAt: 900, lastError: 'connect failed', lastErrorAt: 900 });
    s.close();

    const r = openStore({ path, readonly: true });
    expect(r.stats().imap).toEqual([
      { mailbox: 'main', lastRunAt: 900, lastSuccessAt: null, lastError: 'connect failed', lastErrorAt: 900, backlog: null, messagesLastRun: null, updatedAt: 1000 },
    ]);
    r.close();
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
