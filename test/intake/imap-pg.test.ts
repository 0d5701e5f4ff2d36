/**
 * IMAP polling by several daemons on one PostgreSQL store (issue 17): against a real Dovecot and a
 * private PostgreSQL cluster, two hosts (two stores, as two daemons have) poll the same mailbox at
 * the same moment, again and again: a folder is read only by the holder of its lease, so every
 * message is fetched, stored and processed once and moved once. A host whose lease is held by
 * another (a stalled poller) skips the folder and touches nothing; when the lease is released (or
 * expires) it takes over from the cursor the other left.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runNode } from '../support/app.js';
import { MAIN } from '../support/daemon.js';
import { imapPollStore } from '../../src/jobs/poll-imap.js';
import { Pipeline } from '../../src/pipeline/run.js';
import { pollMailbox } from '../../src/intake/imap.js';
import { child } from '../../src/log.js';
import { openPgStore, type PgStore } from '../../src/store/postgresql/index.js';
import { bounce, dovecotMissing, mailboxFor, useDovecot, type Dovecot } from '../support/dovecot.js';
import { freshDatabase, pgSkip } from '../support/pg.js';

const missing = dovecotMissing() || pgSkip;
const log = child('imap-pg-test');
log.level = 'silent';

describe.skipIf(missing !== '')(`IMAP polling on a shared PostgreSQL store${missing ? ` (skipped: ${missing})` : ''}`, { timeout: 120_000 }, () => {
  let dv: Dovecot;
  useDovecot((started) => (dv = started));

  async function stores(n: number): Promise<PgStore[]> {
    const url = await freshDatabase('imap');
    return Promise.all(Array.from({ length: n }, () => openPgStore({ url, tls: 'off', poolSize: 4 })));
  }

  it('two hosts polling one mailbox at once: each message fetched, stored, processed and moved once', async () => {
    await dv.append('shared', Array.from({ length: 40 }, (_, i) => bounce(i % 3 === 0 ? 'mailbox-full' : 'user-unknown', 5000 + i)));
    const [a, b] = await stores(2);
    try {
      const cfg = mailboxFor(dv, { folders: ['shared'], moveTo: { processed: 'shared-done' } });
      const hosts = [imapPollStore(a!, new Pipeline(a!), 'host-a:1'), imapPollStore(b!, new Pipeline(b!), 'host-b:1')];
      const results = [];
      // Three rounds of both hosts at once, small batches so that passes overlap.
      for (let round = 0; round < 3; round++) {
        results.push(...(await Promise.all(hosts.map((store) => pollMailbox(cfg, { store, log, batchSize: 5 })))));
      }
      expect(results.reduce((n, r) => n + r.fetched, 0)).toBe(40);
      expect(results.reduce((n, r) => n + r.duplicates, 0)).toBe(0);
      const st = await a!.stats();
      expect(st.messages.total).toBe(40);
      expect(st.messages.pending).toBe(0);
      const attempts = await a!.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM messages WHERE attempts <> 1');
      expect(attempts.rows[0]!.n).toBe(0);
      expect(await dv.count('shared-done')).toBe(40);
      expect(await dv.count('shared')).toBe(0);
      expect(await a!.imapLeaseHolder('bounces', 'shared')).toBe(null); // released after each pass
    } finally {
      await Promise.all([a!.close(), b!.close()]);
    }
  });

  it('rebound poll with the PostgreSQL config: one pass stored, processed and moved, its health saved', async () => {
    await dv.append('cli-in', Array.from({ length: 3 }, (_, i) => bounce('user-unknown', 7000 + i)));
    const url = await freshDatabase('imapcli');
    const dirs = mkdtempSync(join(tmpdir(), 'rebound-pg-poll-'));
    try {
      const cfg = join(dirs, 'r.toml');
      writeFileSync(
        cfg,
        `[store]\nbackend = "postgresql"\nurl = "${url}"\ntls = "off"\n` +
          `[[imap.mailboxes]]\nname = "bounces"\nhost = "${dv.host}"\nport = ${dv.port}\ntls = "none"\nuser = "${dv.user}"\npassword = "${dv.password}"\n` +
          `folders = ["cli-in"]\nmoveTo.processed = "cli-done"\n`,
      );
      const env = { ...process.env, REBOUND_CONFIG: '' };
      const r = await runNode([MAIN, 'poll', '-c', cfg, '--json', '--no-progress'], { env });
      expect(r.code, r.err).toBe(0);
      expect(JSON.parse(r.out.trim().split('\n')[0]!)).toMatchObject({ mailbox: 'bounces', fetched: 3, stored: 3 });
      expect(await dv.count('cli-done')).toBe(3);
      const st = await runNode([MAIN, 'stats', '-c', cfg, '--json'], { env });
      expect(JSON.parse(st.out)).toMatchObject({ messages: { total: 3, processed: 3 }, imap: [{ mailbox: 'bounces', messagesLastRun: 3, backlog: 0, lastError: null }] });
    } finally {
      rmSync(dirs, { recursive: true, force: true });
    }
  });

  it('skips a folder whose lease another host holds, and takes over from its cursor once released', async () => {
    await dv.append('held', Array.from({ length: 6 }, (_, i) => bounce('user-unknown', 6000 + i)));
    const [a, stalled] = await stores(2);
    try {
      const cfg = mailboxFor(dv, { folders: ['held'], moveTo: { processed: 'held-done' } });
      expect(await stalled!.acquireImapLease('bounces', 'held', 'host-stalled:9', 60_000)).toBe(true);
      const skipped = await pollMailbox(cfg, { store: imapPollStore(a!, new Pipeline(a!), 'host-a:1'), log });
      expect(skipped.fetched).toBe(0);
      expect(await dv.count('held')).toBe(6);
      expect((await a!.stats()).messages.total).toBe(0);
      await stalled!.releaseImapLease('bounces', 'held', 'host-stalled:9');
      const taken = await pollMailbox(cfg, { store: imapPollStore(a!, new Pipeline(a!), 'host-a:1'), log });
      expect(taken.fetched).toBe(6);
      expect(await dv.count('held-done')).toBe(6);
      expect((await a!.getImapCursor('bounces', 'held'))?.lastUid).toBeGreaterThanOrEqual(6);
    } finally {
      await Promise.all([a!.close(), stalled!.close()]);
    }
  });
});
