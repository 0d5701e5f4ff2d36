import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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
    expect(tables).toEqual(['address_actions', 'addresses', 'events', 'imap_cursors', 'messages']);
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
