/**
 * The checkpointer thread copies the WAL back while the writer does no checkpoint itself. The
 * thread runs from the compiled module (worker threads load dist/, which the vitest global setup
 * rebuilds when src/ is newer).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb } from '../../src/store/db.js';

const dist = join(import.meta.dirname, '../../dist/store/checkpointer.js');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!existsSync(dist))('store/checkpointer (needs dist/: run npm run build)', () => {
  it('copies every committed frame into the database file; stop() ends the thread', async () => {
    const { startCheckpointer } = (await import(dist)) as typeof import('../../src/store/checkpointer.js');
    const dir = mkdtempSync(join(tmpdir(), 'rebound-ckpt-'));
    dirs.push(dir);
    const path = join(dir, 'r.db');
    const writer = openDb({ path, walAutocheckpoint: 0 });
    writer.exec('CREATE TABLE t (x BLOB)');
    const ins = writer.prepare('INSERT INTO t VALUES (?)');
    // ~9 MB of rows, all in the WAL: with autocheckpoint 0 the writer never copies them back.
    writer.transaction(() => {
      for (let i = 0; i < 3000; i++) ins.run(Buffer.alloc(3000, i % 256));
    })();
    const dbBytes = () => statSync(path).size;
    expect(dbBytes()).toBeLessThan(1_000_000);
    const ck = startCheckpointer(path, 1000);
    try {
      // Only a checkpoint writes pages into the database file itself.
      for (let i = 0; i < 100 && dbBytes() < 9_000_000; i++) await new Promise((r) => setTimeout(r, 100));
      expect(dbBytes()).toBeGreaterThan(9_000_000);
      // Nothing left to copy: a PASSIVE checkpoint now finds every frame done.
      const [p] = writer.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
      expect(p!.checkpointed).toBe(p!.log);
    } finally {
      await ck.stop();
      writer.close();
    }
  });
});
