import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { GroupCommitter } from '../../src/intake/smtp.js';
import { openStore, type Store } from '../../src/store/index.js';
import { Pipeline } from '../../src/pipeline/run.js';
import { sqliteStoreApi } from '../../src/store/open.js';
import type { Envelope } from '../../src/types.js';

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fileStore(): { store: Store; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rebound-commit-'));
  dirs.push(dir);
  const path = join(dir, 'db.sqlite');
  const store = openStore({ path });
  stores.push(store);
  return { store, path };
}

const env = (n: number): Envelope => ({ source: 'smtp', origin: 'test', mailFrom: '', rcptTo: [`b+u${n}=example.com@bounces.test`], receivedAt: Date.now() });
const raw = (n: number) => Buffer.from(`From: MAILER-DAEMON@mx.test\r\nSubject: Undelivered ${n}\r\n\r\nbody ${n} ${'x'.repeat(200)}\r\n`);

describe('GroupCommitter on a WAL file store', () => {
  it('acks only after the WAL sync, groups what arrives during a sync, and the rows are there', async () => {
    const { store, path } = fileStore();
    const syncs: number[] = [];
    // Count syncs and how many commits happened before each, through the real store.
    const counting = {
      saveMessages: store.saveMessages.bind(store),
      saveMessagesUnsynced: store.saveMessagesUnsynced.bind(store),
      syncWalNow: () => {
        syncs.push(Date.now());
        store.syncWalNow();
      },
    };
    const gc = new GroupCommitter(counting);
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => gc.submit(env(i), raw(i))));
    expect(new Set(results.map((r) => r.id)).size).toBe(60);
    expect(results.every((r) => !r.duplicate)).toBe(true);
    // Every sync covers at least one commit, and there are no more transactions than syncs + 1.
    expect(syncs.length).toBeGreaterThan(0);
    expect(gc.batches).toBeLessThanOrEqual(syncs.length + 1);
    await gc.drained();
    // Readable from another connection (committed), stored uncompressed until processed.
    const other = new Database(path, { readonly: true });
    const rows = other.prepare(`SELECT compression, count(*) AS n FROM messages GROUP BY compression`).all() as { compression: string; n: number }[];
    other.close();
    expect(rows).toEqual([{ compression: 'none', n: 60 }]);
  });

  it('blocking sync (the writer thread): each batch is synced right after its commit, before any ack', async () => {
    const { store } = fileStore();
    const events: string[] = [];
    const gc = new GroupCommitter(
      {
        saveMessages: store.saveMessages.bind(store),
        saveMessagesUnsynced: (items) => {
          events.push(`commit ${items.length}`);
          return store.saveMessagesUnsynced(items);
        },
        syncWalNow: () => {
          events.push('sync');
          store.syncWalNow();
        },
      },
    );
    const acks = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        gc.submit(env(i), raw(i)).then((r) => {
          events.push('ack');
          return r;
        }),
      ),
    );
    expect(acks).toHaveLength(12);
    // Same-turn submissions share one transaction; its sync comes before the first ack.
    expect(events.slice(0, 2)).toEqual(['commit 12', 'sync']);
    expect(events.filter((e) => e === 'ack')).toHaveLength(12);
    expect(gc.syncs).toBe(1);
  });

  it('blocking sync that fails answers the whole batch with the error', async () => {
    const { store } = fileStore();
    const gc = new GroupCommitter(
      {
        saveMessages: store.saveMessages.bind(store),
        saveMessagesUnsynced: store.saveMessagesUnsynced.bind(store),
        syncWalNow: () => {
          throw new Error('EIO');
        },
      },
    );
    const out = await Promise.allSettled([gc.submit(env(1), raw(1)), gc.submit(env(2), raw(2))]);
    expect(out.map((o) => o.status)).toEqual(['rejected', 'rejected']);
  });

  it('the pipeline gzips raw bytes the intake stored uncompressed, and they read back the same', async () => {
    const { store } = fileStore();
    const saved = store.saveMessagesUnsynced([{ env: env(7), raw: raw(7) }])!;
    expect(store.getMessage(saved[0]!.id)?.compression).toBe('none');
    await new Pipeline(sqliteStoreApi(store)).processIds([saved[0]!.id], { relaxed: true });
    const m = store.getMessage(saved[0]!.id)!;
    expect(m.compression).toBe('gzip');
    expect(m.raw?.equals(raw(7))).toBe(true);
    expect(m.state).not.toBe('pending');
  });

  it('an in-memory store has no WAL: the committer falls back to durable saveMessages', async () => {
    const store = openStore({ path: ':memory:' });
    stores.push(store);
    expect(store.saveMessagesUnsynced([{ env: env(1), raw: raw(1) }])).toBeNull();
    const gc = new GroupCommitter(store);
    const r = await gc.submit(env(2), raw(2));
    expect(store.getMessage(r.id)?.compression).toBe('gzip');
    expect(gc.syncs).toBe(0);
  });
});
