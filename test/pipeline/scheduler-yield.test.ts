/**
 * Acks first: while the pipeline works through a batch (each analysis awaits mailparser), an
 * intake commit on the same connection and event loop (the daemon's writer thread: GroupCommitter
 * + Scheduler) is made and answered before the batch ends, and the batch's own transaction still
 * records every message. Real SQLite file (WAL), the real analyzer; ordering, not timing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GroupCommitter } from '../../src/intake/group-commit.js';
import { Scheduler } from '../../src/pipeline/scheduler.js';
import { openStore } from '../../src/store/index.js';
import { Pipeline } from '../../src/pipeline/run.js';
import { sqliteStoreApi } from '../../src/store/open.js';
import type { Envelope } from '../../src/types.js';

const dir = mkdtempSync(join(tmpdir(), 'rebound-yield-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const env = (i: number): Envelope => ({ source: 'smtp', origin: '127.0.0.1', mailFrom: '', rcptTo: ['b@bounces.test'], receivedAt: Date.now() + i });

function dsn(i: number): Buffer {
  return Buffer.from(
    `From: MAILER-DAEMON@mx.example.net\r\nTo: b@bounces.test\r\nSubject: Undelivered Mail Returned to Sender\r\nContent-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\n<u${i}@example.org>: host mx.example.org said: 550 5.1.1 user unknown\r\n\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\nFinal-Recipient: rfc822; u${i}@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--B\r\nContent-Type: message/rfc822\r\n\r\nFrom: news@example.com\r\nTo: u${i}@example.org\r\nSubject: hello ${i}\r\n\r\nhi\r\n--B--\r\n`,
  );
}

describe('processor: intake commits run between the analyses of a batch', () => {
  it('a message committed after the batch started is acknowledged before the batch ends', async () => {
    const store = openStore({ path: join(dir, 'y.db') });
    try {
      const backlog = store.saveMessages(Array.from({ length: 40 }, (_, i) => ({ env: env(i), raw: dsn(i) })));
      const order: string[] = [];
      let batchCommitted: () => void = () => {};
      const batchDone = new Promise<void>((resolve) => (batchCommitted = resolve));
      const processor = new Scheduler(new Pipeline(sqliteStoreApi(store)), () => false, 40, (_outcomes, _items, sweep) => {
        order.push(`batch of ${sweep?.messages ?? 0} committed`);
        batchCommitted();
      });
      processor.sweepPending();
      // Let the batch start (the sweep is scheduled with setImmediate), then commit one more.
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      const committer = new GroupCommitter(store, () => {}, 500);
      const acked = committer.submit(env(99), dsn(99)).then((r) => order.push(`ack ${r.duplicate ? 'dup' : 'new'}`));
      await Promise.all([batchDone, acked]);
      await processor.stop();
      expect(order).toEqual(['ack new', 'batch of 40 committed']);
      expect(backlog.every((b) => store.getMessage(b.id)!.state === 'processed')).toBe(true);
      expect(store.stats().events.total).toBe(40);
    } finally {
      store.close();
    }
  }, 60_000);
});
