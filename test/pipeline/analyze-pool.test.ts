/**
 * analyze-pool (issue 18): analyses made in worker threads are the ones analyzeMessage makes in
 * this thread (the fixtures and samples, 2 workers, with the gzip the store keeps); a worker that
 * dies fails only the message it was on - the pipeline then stores that message marked failed -
 * and the messages queued behind it are analysed by its replacement. Runs the built worker
 * (dist/analyze-worker.js; test/support/global-setup builds dist/).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { analyzeMessage } from '../../src/pipeline/analyze.js';
import { Pipeline } from '../../src/pipeline/run.js';
import { sqliteStoreApi } from '../../src/store/open.js';

const root = join(import.meta.dirname, '..', '..');
const { startAnalyzePool } = (await import(join(root, 'dist', 'pipeline', 'analyze-pool.js'))) as typeof import('../../src/pipeline/analyze-pool.js');

function emls(dir: string, out: string[] = []): string[] {
  for (const n of readdirSync(dir).sort()) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) emls(p, out);
    else if (n.endsWith('.eml')) out.push(p);
  }
  return out;
}

describe('analyze-pool', () => {
  it('gives the analyses of analyzeMessage, whatever worker made them, with the gzip of the bytes', async () => {
    // Every fixture, and one in four samples (the real-MTA corpus has 1,500: enough to say "the same").
    const files = [...emls(join(root, 'samples')).filter((_, i) => i % 4 === 0), ...emls(join(root, 'test', 'fixtures'))];
    expect(files.length).toBeGreaterThan(300);
    const raws = files.map((f) => readFileSync(f));
    const pool = startAnalyzePool(2);
    try {
      expect(pool.threads).toBe(2);
      const got = await Promise.all(raws.map((r) => pool.run(r, true)));
      for (const [i, r] of raws.entries()) {
        expect(got[i]!.analysis, files[i]).toEqual(await analyzeMessage(r));
        expect(gunzipSync(got[i]!.gzip!).equals(r)).toBe(true);
      }
      // The envelope's context reaches the decode stage in the worker as in this thread (an SMTP
      // null sender and our VERP recipient for every other message).
      const ctx = (i: number) => (i % 2 ? { mailFrom: '', rcptTo: ['bounces+someone=example.org@bounces.example.net'] } : { rcptTo: [] });
      const withCtx = await Promise.all(raws.map((r, i) => pool.run(r, false, ctx(i))));
      for (const [i, r] of raws.entries()) expect(withCtx[i]!.analysis, files[i]).toEqual(await analyzeMessage(r, undefined, ctx(i)));
    } finally {
      await pool.close();
    }
  });

  it('a worker that dies fails the message it was on; the rest are answered by its replacement', async () => {
    const pool = startAnalyzePool(1, { workerUrl: new URL('../support/crashing-analyze-worker.mjs', import.meta.url) });
    try {
      const inputs = ['one', 'two', 'CRASH THE WORKER', 'four', 'five'].map((t) => Buffer.from(t));
      const settled = await Promise.allSettled(inputs.map((r) => pool.run(r)));
      expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      expect((settled[2] as PromiseRejectedResult).reason.message).toMatch(/analysis worker died: exit code 3/);
      expect((settled[4] as PromiseFulfilledResult<{ analysis: { problems: string[] } }>).value.analysis.problems).toEqual(['seen: five']);
      // And the pool goes on working.
      expect((await pool.run(Buffer.from('six'))).analysis.problems).toEqual(['seen: six']);
    } finally {
      await pool.close();
    }
  });
});

describe('analyze-pool with a deadline (the daemon, issue 16)', () => {
  it('abandons a message its worker is on past the deadline, restarts the worker, and the messages behind it are answered', async () => {
    const abandoned: string[] = [];
    const pool = startAnalyzePool(1, {
      workerUrl: new URL('../support/slow-analyze-worker.mjs', import.meta.url),
      deadlineMs: 1500,
      heapMb: 48,
      onAbandon: (why) => abandoned.push(why),
    });
    try {
      const msg = (body: string) => Buffer.from(`From: MAILER-DAEMON@example.org\nSubject: x\n\n${body}\n`);
      const t0 = Date.now();
      const settled = await Promise.allSettled(['one', 'SPIN FOREVER', 'three', 'EAT ALL MEMORY', 'five'].map((b) => pool.run(msg(b))));
      expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
      expect((settled[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'ERR_ANALYSIS_DEADLINE', message: expect.stringMatching(/over the 1\.5 s analysis deadline/) });
      expect((settled[3] as PromiseRejectedResult).reason).toMatchObject({ code: 'ERR_WORKER_OUT_OF_MEMORY' });
      // Abandoned within 1.25 deadlines of its start (plus a worker start), not after it ended by itself: it never does.
      expect(Date.now() - t0).toBeLessThan(20_000);
      expect(abandoned).toEqual(['deadline', 'memory']);
      expect(pool.restarts()).toBe(2);
    } finally {
      await pool.close();
    }
  }, 60_000);
});

describe('ingest with a pool whose worker dies', { timeout: 60_000 }, () => {
  it('stores the message it was on, marked failed (for reprocess --failed); the others are processed', async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { ingest } = await import('../../src/cli/ingest.js');
    const { openStore } = await import('../../src/store/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'rebound-pool-'));
    const mbox = join(dir, 'in.mbox');
    const bodies = ['Subject: a\n\none\n', 'Subject: b\n\nCRASH THE WORKER\n', 'Subject: c\n\nthree\n'];
    writeFileSync(mbox, bodies.map((b, i) => `From x Thu Nov 26 04:0${i}:00 2026\n${b}\n`).join(''));
    const pool = startAnalyzePool(1, { workerUrl: new URL('../support/crashing-analyze-worker.mjs', import.meta.url) });
    const store = openStore({ path: join(dir, 'r.db') });
    try {
      const s = await ingest(new Pipeline(sqliteStoreApi(store)), [mbox], { pool, batch: 2 });
      expect(s).toMatchObject({ messages: 3, stored: 3, notABounce: 2, failed: 1 });
      expect(s.errors).toEqual([{ source: 'message #2', error: 'analyze: analysis worker died: exit code 3' }]);
      expect(store.getMessage(2)).toMatchObject({ state: 'failed' });
      expect(store.getMessage(2)!.raw!.toString()).toContain('CRASH THE WORKER');
    } finally {
      store.close();
      await pool.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a message too big for a worker heap is analysed in the ingesting thread instead', async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { ingest } = await import('../../src/cli/ingest.js');
    const { openStore } = await import('../../src/store/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'rebound-pool-'));
    const mbox = join(dir, 'in.mbox');
    const bodies = ['Subject: a\n\none\n', 'Subject: b\n\nEAT ALL MEMORY\n', 'Subject: c\n\nthree\n'];
    writeFileSync(mbox, bodies.map((b, i) => `From x Thu Nov 26 04:0${i}:00 2026\n${b}\n`).join(''));
    const pool = startAnalyzePool(1, { workerUrl: new URL('../support/crashing-analyze-worker.mjs', import.meta.url) });
    // This thread's analyzer says which messages it saw.
    const seen: string[] = [];
    const store = openStore({ path: join(dir, 'r.db') });
    const pipeline = new Pipeline(sqliteStoreApi(store), {
      analyze: (raw) => {
        seen.push(raw.toString());
        return { type: 'not-bounce', recipients: [], decodedBy: '', problems: [] };
      },
    });
    try {
      const s = await ingest(pipeline, [mbox], { pool, batch: 2 });
      expect(s).toMatchObject({ messages: 3, stored: 3, notABounce: 3, failed: 0 });
      expect(seen).toEqual(['Subject: b\n\nEAT ALL MEMORY\n']);
    } finally {
      store.close();
      await pool.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
