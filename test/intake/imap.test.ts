/**
 * intake/imap against a real, private Dovecot (test/support/dovecot.ts): messages appended over
 * IMAP are committed with the right states and then moved; a second pass finds nothing; a Dovecot
 * restart in the middle of a pass loses and duplicates nothing; a UIDVALIDITY change does not
 * double-count; a wrong password and a silent server fail clearly and quickly.
 * Skips (with the reason) when Dovecot is not installed, except under CI.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImapMailboxConfig } from '../../src/config/schema.js';
import { DaemonError } from '../../src/errors.js';
import { envelopeFromHeaders, pollMailbox, uidSet, type PollProgress } from '../../src/intake/imap.js';
import { openProcessingStore as openStore } from '../support/pipeline.js';
import { bounce, dovecotMissing, mailboxFor, useDovecot, type Dovecot } from '../support/dovecot.js';

// Scheduled every 5 minutes: the poller tests below read the schedule; no timer fires in a test.
const mailbox = (dv: Dovecot, over: Partial<ImapMailboxConfig> = {}): ImapMailboxConfig => mailboxFor(dv, { schedule: '*/5 * * * *', ...over });

describe('envelopeFromHeaders', () => {
  it('recovers the VERP recipient and the null sender from delivery headers', () => {
    const env = envelopeFromHeaders(Buffer.from(bounce('user-unknown', 7)), 'b/INBOX/1/7', 1000);
    // Without a verp config nothing is ours, so nothing is learned ([]; not "unknown").
    expect(env).toEqual({ source: 'imap', origin: 'b/INBOX/1/7', mailFrom: '', rcptTo: ['bounces+m7@bounces.example.net'], receivedAt: 1000, returnPaths: [] });
    // With one, the return path is judged here, as of the receipt time.
    const verp = { domains: ['bounces.example.net'], prefix: 'bounces', delimiter: '+', equals: '=', keys: ['1:k'] };
    expect(envelopeFromHeaders(Buffer.from(bounce('user-unknown', 7)), 'b/INBOX/1/7', 1000, verp).returnPaths).toEqual([
      { returnPath: 'bounces+m7@bounces.example.net', address: '', status: 'unsigned', verified: true, mayChangeState: true },
    ]);
  });
  it('reads X-Original-To and folded headers, ignores the body', () => {
    const raw = 'Return-Path: <a@x.example>\nX-Original-To:\n  <b+1@y.example>\nSubject: s\n\nDelivered-To: body@z.example\n';
    expect(envelopeFromHeaders(Buffer.from(raw), 'o', 1).rcptTo).toEqual(['b+1@y.example']);
    expect(envelopeFromHeaders(Buffer.from(raw), 'o', 1).mailFrom).toBe('a@x.example');
  });
});

describe('uidSet', () => {
  it.each([
    [[1, 2, 3, 7, 9, 10], '1:3,7,9:10'],
    [[5], '5'],
    [[10, 2, 3, 1], '1:3,10'],
    [[], ''],
  ])('%j -> %s', (uids, want) => expect(uidSet(uids)).toBe(want));
});

const missing = dovecotMissing();

describe.skipIf(missing !== '')(`pollMailbox against a real Dovecot${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let dv: Dovecot;
  const newStore = useDovecot((started) => (dv = started));

  it('ingests appended bounces with the right states, moves them after commit, and a second pass finds nothing', async () => {
    await dv.append('INBOX', [
      bounce('user-unknown', 1, 'gone@example.org'),
      bounce('spam-blocked', 2, 'blocked@example.com'),
      bounce('mailbox-full', 3, 'full@example.org'),
      bounce('human-reply', 4),
    ]);
    const store = newStore();
    const cfg = mailbox(dv, { moveTo: { processed: 'Processed', notBounce: 'NotBounce', failed: 'Failed' } });
    const progress: PollProgress[] = [];
    const r = await pollMailbox(cfg, { store, onProgress: (p) => progress.push(p) });

    expect(r).toMatchObject({ fetched: 4, stored: 4, duplicates: 0, backlog: 0, stoppedBy: 'done' });
    expect(r.outcomes).toEqual({ pending: 0, processed: 3, 'not-a-bounce': 1, failed: 0 });
    expect(progress.at(-1)).toMatchObject({ done: 4, total: 4 });

    // Marketo state: 5.1.1 invalidates; a blocklist rejection suspends and does not invalidate; full does neither.
    expect(store.mayISend('gone@example.org').verdict).toBe('invalid');
    expect(store.mayISend('blocked@example.com').verdict).toBe('suspended');
    expect(store.addressStatus('blocked@example.com')).toMatchObject({ emailSuspended: true, emailInvalid: false });
    expect(store.mayISend('full@example.org').verdict).toBe('ok');

    // The envelope came from the delivery headers; the origin names mailbox, folder, UIDVALIDITY, UID.
    const first = store.getMessage(1)!;
    expect(first.env.source).toBe('imap');
    expect(first.env.rcptTo).toEqual(['bounces+m1@bounces.example.net']);
    expect(first.env.origin).toMatch(/^bounces\/INBOX\/\d+\/1$/);

    // Moved (folders created on demand), nothing left behind.
    expect(await dv.count('INBOX')).toBe(0);
    expect(await dv.count('Processed')).toBe(3);
    expect(await dv.count('NotBounce')).toBe(1);
    expect(await dv.folders()).toContain('Failed');

    const again = await pollMailbox(cfg, { store });
    expect(again).toMatchObject({ fetched: 0, stored: 0, duplicates: 0, backlog: 0 });
    expect(store.stats().messages.total).toBe(4);
  });

  it('with markSeen only, leaves messages in place, flags them, and reads only new UIDs next time', async () => {
    await dv.append('seen-only', [bounce('user-unknown', 10), bounce('mailbox-full', 11)]);
    const store = newStore();
    const cfg = mailbox(dv, { folders: ['seen-only'] });
    expect(await pollMailbox(cfg, { store })).toMatchObject({ fetched: 2, stored: 2 });
    expect(await dv.count('seen-only')).toBe(2);
    expect([...(await dv.flags('seen-only')).values()].every((f) => f.has('\\Seen'))).toBe(true);

    await dv.append('seen-only', [bounce('user-unknown', 12)]);
    const r = await pollMailbox(cfg, { store });
    expect(r).toMatchObject({ fetched: 1, stored: 1, duplicates: 0 });
    expect(store.stats().messages.total).toBe(3);
  });

  it('deletes only when configured, and only after the commit', async () => {
    await dv.append('to-delete', [bounce('user-unknown', 20), bounce('user-unknown', 21)]);
    const store = newStore();
    const r = await pollMailbox(mailbox(dv, { folders: ['to-delete'], delete: true, markSeen: false }), { store });
    expect(r.stored).toBe(2);
    expect(await dv.count('to-delete')).toBe(0);
    expect(store.stats().messages.total).toBe(2);
  });

  it('bounds a pass by maxMessagesPerRun and reports the backlog', async () => {
    await dv.append('limited', Array.from({ length: 25 }, (_, i) => bounce('mailbox-full', 100 + i)));
    const store = newStore();
    const cfg = mailbox(dv, { folders: ['limited'], maxMessagesPerRun: 10, moveTo: { processed: 'limited-done' } });
    const a = await pollMailbox(cfg, { store, batchSize: 4 });
    expect(a).toMatchObject({ fetched: 10, backlog: 15, stoppedBy: 'max-messages' });
    const b = await pollMailbox(cfg, { store, batchSize: 4 });
    expect(b).toMatchObject({ fetched: 10, backlog: 5, stoppedBy: 'max-messages' });
    const c = await pollMailbox(cfg, { store, batchSize: 4 });
    expect(c).toMatchObject({ fetched: 5, backlog: 0, stoppedBy: 'done' });
    expect(store.stats().messages.total).toBe(25);
    expect(await dv.count('limited-done')).toBe(25);
  });

  it('stops between batches when maxRunSeconds is used up, and the next pass continues', async () => {
    await dv.append('timed', Array.from({ length: 12 }, (_, i) => bounce('mailbox-full', 200 + i)));
    const store = newStore();
    const cfg = mailbox(dv, { folders: ['timed'], maxRunSeconds: 5, moveTo: { processed: 'timed-done' } });
    // A clock that jumps 1.5 s per reading: the 5 s budget runs out after the second batch.
    let t = 1_000_000;
    const a = await pollMailbox(cfg, { store, batchSize: 4, clock: () => (t += 1500) });
    expect(a).toMatchObject({ fetched: 8, stored: 8, backlog: 4, stoppedBy: 'max-time' });
    expect(await dv.count('timed')).toBe(4);
    const b = await pollMailbox(cfg, { store, batchSize: 4 });
    expect(b).toMatchObject({ fetched: 4, stored: 4, duplicates: 0, backlog: 0, stoppedBy: 'done' });
    expect(await dv.count('timed-done')).toBe(12);
  });

  it('a missing folder is reported but does not stop the other folders', async () => {
    await dv.append('present', [bounce('user-unknown', 250)]);
    const store = newStore();
    const cfg = mailbox(dv, { folders: ['No-Such-Folder', 'present'] });
    const err = (await pollMailbox(cfg, { store }).catch((e: unknown) => e)) as DaemonError;
    expect(err).toBeInstanceOf(DaemonError);
    expect(err.message).toMatch(/^imap mailbox "bounces" \(bounces@127\.0\.0\.1:\d+\): open folder "No-Such-Folder" failed: .*\(the other folders were read: 1 messages\)$/);
    expect(store.stats().messages.total).toBe(1);
  });

  it('a Dovecot restart in the middle of a pass loses nothing and duplicates nothing', async () => {
    const n = 120;
    await dv.append('restart', Array.from({ length: n }, (_, i) => bounce('user-unknown', 1000 + i)));
    const store = newStore();
    const cfg = mailbox(dv, { folders: ['restart'], moveTo: { processed: 'restart-done' } });
    let restarting: Promise<void> | null = null;
    const first = pollMailbox(cfg, {
      store,
      batchSize: 10,
      onProgress: (p) => {
        if (p.done >= 30 && !restarting) restarting = dv.restart();
      },
    });
    await expect(first).rejects.toThrow(DaemonError);
    await expect(first).rejects.toThrow(/imap mailbox "bounces"/);
    await restarting;
    const committedBefore = store.stats().messages.total;
    expect(committedBefore).toBeGreaterThanOrEqual(30);
    expect(committedBefore).toBeLessThan(n);

    const second = await pollMailbox(cfg, { store, batchSize: 10 });
    expect(second.stoppedBy).toBe('done');
    const st = store.stats();
    expect(st.messages.total).toBe(n);
    expect(st.messages.processed).toBe(n);
    // One failed recipient per message: the events prove nothing was counted twice.
    expect(st.events.total).toBe(n);
    expect(await dv.count('restart')).toBe(0);
    expect(await dv.count('restart-done')).toBe(n);
  });

  it('a crash after the commit and before the MOVE: the next pass moves the message and counts it once', async () => {
    await dv.append('crash', [bounce('user-unknown', 400), bounce('user-unknown', 401)]);
    const store = newStore();
    const cfg = mailbox(dv, { folders: ['crash'], moveTo: { processed: 'crash-done' } });
    // The process "dies" right after the raw messages are durable: processing throws.
    const crashing = {
      saveMessages: store.saveMessages.bind(store),
      getImapCursor: store.getImapCursor.bind(store),
      setImapCursor: store.setImapCursor.bind(store),
      processIds: () => {
        throw new Error('simulated crash');
      },
    };
    await expect(pollMailbox(cfg, { store: crashing })).rejects.toThrow(/simulated crash/);
    expect(store.stats().messages.total).toBe(2);
    expect(await dv.count('crash')).toBe(2);

    const r = await pollMailbox(cfg, { store });
    expect(r).toMatchObject({ fetched: 2, stored: 0, duplicates: 2, outcomes: { processed: 2 } });
    expect(store.stats().events.total).toBe(2);
    expect(await dv.count('crash')).toBe(0);
    expect(await dv.count('crash-done')).toBe(2);
  });

  it('a UIDVALIDITY change rescans the folder without double-counting', async () => {
    const msgs = [bounce('user-unknown', 300), bounce('spam-blocked', 301), bounce('mailbox-full', 302)];
    await dv.append('uidv', msgs);
    const store = newStore();
    const cfg = mailbox(dv, { folders: ['uidv'] });
    const a = await pollMailbox(cfg, { store });
    expect(a).toMatchObject({ fetched: 3, stored: 3 });

    // Delete and recreate the folder with the same messages plus one: new UIDVALIDITY, UIDs from 1.
    const c = await dv.client();
    try {
      await c.mailboxDelete('uidv');
      await new Promise((r) => setTimeout(r, 1100)); // Dovecot derives UIDVALIDITY from the clock
      await c.mailboxCreate('uidv');
    } finally {
      await c.logout();
    }
    await dv.append('uidv', [...msgs, bounce('user-unknown', 303)]);

    const b = await pollMailbox(cfg, { store });
    expect(b.folders[0]).toMatchObject({ rescanned: true, fetched: 4, stored: 1, duplicates: 3 });
    expect(b.folders[0]!.uidValidity).not.toBe(a.folders[0]!.uidValidity);
    const st = store.stats();
    expect(st.messages.total).toBe(4);
    expect(st.events.total).toBe(4);
    expect(await pollMailbox(cfg, { store })).toMatchObject({ fetched: 0 });
  });

  it('tls = "starttls" refuses to log in when the server offers no STARTTLS', async () => {
    const store = newStore();
    const err = (await pollMailbox(mailbox(dv, { tls: 'starttls' }), { store }).catch((e: unknown) => e)) as DaemonError;
    expect(err).toBeInstanceOf(DaemonError);
    expect(err.message).toMatch(/^imap mailbox "bounces" \(bounces@127\.0\.0\.1:\d+\): connect failed/);
    expect(err.message).toMatch(/STARTTLS/i);
    expect(store.stats().messages.total).toBe(0);
  });

  it('a wrong password fails with a clear error that names the mailbox and user, never the password', async () => {
    const store = newStore();
    const cfg = mailbox(dv, { password: 'not-the-Password-42' });
    const err = await pollMailbox(cfg, { store }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DaemonError);
    const e = err as DaemonError;
    expect(e.code).toBe('imap');
    expect(e.message).toMatch(/^imap mailbox "bounces" \(bounces@127\.0\.0\.1:\d+\): login failed for user "bounces": /);
    expect(e.message).not.toContain('not-the-Password-42');
    expect(e.message.replace(/:\d+\)/, ':PORT)')).toMatchInlineSnapshot(
      `"imap mailbox "bounces" (bounces@127.0.0.1:PORT): login failed for user "bounces": Authentication failed."`,
    );
    expect(store.stats().messages.total).toBe(0);
  });
});

describe('pollMailbox against a server that does not answer', () => {
  let server: Server;
  let port = 0;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    // Greets, then never answers a command: the pass must give up at maxRunSeconds, not hang.
    server = createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
      s.write('* OK IMAP4rev1 ready\r\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });

  it('gives up after maxRunSeconds with an error that says so', async () => {
    const store = openStore({ path: ':memory:' });
    const cfg: ImapMailboxConfig = {
      name: 'slow', host: '127.0.0.1', port, tls: 'none', user: 'u', password: 'p', folders: ['INBOX'],
      schedule: '*/5 * * * *', idle: false, moveTo: {}, markSeen: true, delete: false, maxMessagesPerRun: 10, maxRunSeconds: 1,
    };
    const t0 = Date.now();
    const err = (await pollMailbox(cfg, { store }).catch((e: unknown) => e)) as Error;
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(err).toBeInstanceOf(DaemonError);
    expect(err.message).toMatch(/^imap mailbox "slow" \(u@127\.0\.0\.1:\d+\): pass exceeded maxRunSeconds=1 during connect; connection closed$/);
    store.close();
  });
});
