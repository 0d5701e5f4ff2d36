/**
 * jobs/poll-imap against a real, private Dovecot: passes of one mailbox never overlap; IMAP IDLE
 * picks up new mail between scheduled polls; a mailbox with a wrong password reports a clear error
 * in health(), backs off, and neither blocks the other mailbox nor the event loop (a listener in
 * the same process keeps answering at once); each pass is saved to the store's imap_health. Skips (with the reason) without Dovecot, except in CI.
 */
import { createServer, connect, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { ImapMailboxConfig } from '../../src/config/schema.js';
import { startImapPolling } from '../../src/jobs/poll-imap.js';
import { child } from '../../src/log.js';
import { bounce, dovecotMissing, mailboxFor, useDovecot, type Dovecot } from '../support/dovecot.js';

const missing = dovecotMissing();
const log = child('imap-test');
log.level = 'silent';

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(missing !== '')(`startImapPolling against a real Dovecot${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let dv: Dovecot;
  const newStore = useDovecot((started) => (dv = started));
  const mailbox = (over: Partial<ImapMailboxConfig>): ImapMailboxConfig => mailboxFor(dv, over);

  it('never runs two passes of one mailbox at once', async () => {
    await dv.append('overlap', Array.from({ length: 30 }, (_, i) => bounce('user-unknown', 2000 + i)));
    const store = newStore();
    const polling = startImapPolling(
      { mailboxes: [mailbox({ folders: ['overlap'], moveTo: { processed: 'overlap-done' } })] },
      { store, log, runAtStart: false },
    );
    try {
      // Overlapping passes would fetch the same UIDs twice (duplicates) or trip over each other's MOVEs.
      const results = await Promise.all([polling.runNow('bounces'), polling.runNow('bounces'), polling.runNow('bounces')]);
      expect(results.map((r) => r.fetched).sort((a, b) => b - a)).toEqual([30, 0, 0]);
      expect(results.reduce((n, r) => n + r.duplicates, 0)).toBe(0);
      const [h] = polling.health();
      expect(h).toMatchObject({ name: 'bounces', running: false, backlog: 0, consecutiveFailures: 0, lastError: null });
      expect(h!.totals).toMatchObject({ runs: 3, stored: 30, duplicates: 0, failures: 0 });
      expect(store.stats().events.total).toBe(30);
      expect(await dv.count('overlap-done')).toBe(30);
    } finally {
      await polling.stop();
    }
  });

  it('with idle = true, picks up new mail without waiting for the schedule', async () => {
    await dv.append('idle-in', [bounce('mailbox-full', 3000)]);
    const store = newStore();
    const polling = startImapPolling({ mailboxes: [mailbox({ folders: ['idle-in'], idle: true })] }, { store, log });
    try {
      await until('the start pass', () => polling.health()[0]!.totals.stored === 1);
      await until('the IDLE connection', () => polling.health()[0]!.idle === 'idle');
      await dv.append('idle-in', [bounce('mailbox-full', 3001), bounce('user-unknown', 3002)]);
      await until('IDLE-triggered pass', () => polling.health()[0]!.totals.stored === 3, 10_000);
      expect(store.stats().messages.total).toBe(3);
    } finally {
      await polling.stop();
    }
  });

  it('a wrong password: clear error in health, backoff retries, the other mailbox and the event loop unaffected', async () => {
    await dv.append('good-in', [bounce('user-unknown', 4000), bounce('spam-blocked', 4001), bounce('human-reply', 4002)]);
    const store = newStore();

    // A stand-in for the SMTP listener: it must keep answering at once while IMAP fails.
    const echo: Server = createServer((s) => s.on('data', (d) => s.write(d)));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const port = (echo.address() as { port: number }).port;
    const sock = connect(port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    const roundTrip = async (): Promise<number> => {
      const t0 = performance.now();
      sock.write('ping\n');
      await new Promise((r) => sock.once('data', r));
      return performance.now() - t0;
    };

    const polling = startImapPolling(
      {
        mailboxes: [
          mailbox({ name: 'wrong-pw', password: 'definitely-wrong-77' }),
          mailbox({ name: 'good', folders: ['good-in'], moveTo: { processed: 'good-done', notBounce: 'good-other' } }),
        ],
      },
      { store, log, backoff: { minMs: 200, maxMs: 1000 } },
    );
    try {
      const latencies: number[] = [];
      const t0 = Date.now();
      while (Date.now() - t0 < 1500) {
        latencies.push(await roundTrip());
        await new Promise((r) => setTimeout(r, 20));
      }
      await until('two failed logins', () => polling.health()[0]!.consecutiveFailures >= 2);
      await until('the good pass', () => polling.health()[1]!.lastSuccessAt !== null);
      const [bad, good] = polling.health();

      expect(bad!.lastError).toMatch(/^imap mailbox "wrong-pw" \(bounces@127\.0\.0\.1:\d+\): login failed for user "bounces": Authentication failed\.$/);
      expect(JSON.stringify(bad)).not.toContain('definitely-wrong-77');
      expect(bad!.lastSuccessAt).toBeNull();
      expect(bad!.nextRetryAt).toBeGreaterThan(bad!.lastErrorAt!);
      expect(good).toMatchObject({ lastError: null, backlog: 0, consecutiveFailures: 0 });
      expect(good!.totals.stored).toBe(3);
      expect(await dv.count('good-done')).toBe(2);
      expect(await dv.count('good-other')).toBe(1);
      // The same facts are in the store for `rebound stats` (another process), without the password.
      const saved = store.getImapHealth();
      expect(saved.map((r) => r.mailbox)).toEqual(['good', 'wrong-pw']);
      expect(saved[0]).toMatchObject({ lastError: null, lastSuccessAt: good!.lastSuccessAt, backlog: 0, messagesLastRun: 3 });
      expect(saved[1]!.lastError).toMatch(/login failed for user "bounces": Authentication failed\.$/);
      expect(saved[1]).toMatchObject({ lastSuccessAt: null, lastErrorAt: expect.any(Number), messagesLastRun: null });
      expect(JSON.stringify(saved)).not.toContain('definitely-wrong-77');
      // Generous for a loaded CI machine; a blocked event loop would stall for seconds.
      expect(Math.max(...latencies)).toBeLessThan(1000);
    } finally {
      const t = Date.now();
      await polling.stop();
      expect(Date.now() - t).toBeLessThan(3000);
      sock.destroy();
      await new Promise((r) => echo.close(r));
    }
  });
});
