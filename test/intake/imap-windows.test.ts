/**
 * A large IMAP folder is read a window of UIDs at a time (issue 18: `rebound poll --until-empty`
 * with flat memory): the count of new messages comes from ESEARCH (RFC 4731) and the UIDs from
 * UID SEARCH over successive ranges, widening where UIDs are sparse. Against a real private
 * Dovecot, with a window of 2-4 UIDs so that a few dozen messages take many windows: every message
 * is handled once, the backlog is exact, a folder where everything is handled but kept (markSeen,
 * no move) counts 0 new (the "n:*" rule), and a folder whose old messages were expunged (UIDs with
 * gaps) is read past the gaps. Skips (with the reason) without Dovecot, except under CI.
 */
import { describe, expect, it } from 'vitest';
import { pollMailbox } from '../../src/intake/imap.js';
import { bounce, dovecotMissing, mailboxFor, useDovecot, type Dovecot } from '../support/dovecot.js';

const missing = dovecotMissing();

describe.skipIf(missing !== '')(`pollMailbox reads UIDs in windows${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let dv: Dovecot;
  const newStore = useDovecot((started) => (dv = started));

  it('handles every message once across windows; exact backlog; nothing new when all are kept as seen', async () => {
    await dv.append('win', Array.from({ length: 30 }, (_, i) => bounce(i % 2 ? 'user-unknown' : 'mailbox-full', 700 + i)));
    const store = newStore();
    const cfg = mailboxFor(dv, { folders: ['win'], markSeen: true, schedule: '*/5 * * * *' });
    // ESEARCH is what the windows rest on: Dovecot offers it.
    const c = await dv.client();
    expect(c.capabilities.has('ESEARCH')).toBe(true);
    await c.logout();

    const a = await pollMailbox(cfg, { store, uidWindow: 4, batchSize: 3, maxMessages: 17 });
    expect(a).toMatchObject({ fetched: 17, stored: 17, backlog: 13, stoppedBy: 'max-messages' });
    const b = await pollMailbox(cfg, { store, uidWindow: 4, batchSize: 3, maxMessages: 0 });
    expect(b).toMatchObject({ fetched: 13, stored: 13, duplicates: 0, backlog: 0, stoppedBy: 'done' });
    expect(b.folders[0]!.found).toBe(13);
    // Everything handled, still in the folder: "31:*" matches UID 30; the count must say 0.
    const again = await pollMailbox(cfg, { store, uidWindow: 4, maxMessages: 0 });
    expect(again).toMatchObject({ fetched: 0, backlog: 0 });
    expect(again.folders[0]!.found).toBe(0);
    await dv.append('win', [bounce('user-unknown', 800), bounce('user-unknown', 801)]);
    expect(await pollMailbox(cfg, { store, uidWindow: 4, maxMessages: 0 })).toMatchObject({ fetched: 2, stored: 2, backlog: 0 });
    expect(store.stats().messages.total).toBe(32);
  });

  it('reads past gaps in the UIDs (older messages expunged): the windows widen', async () => {
    await dv.append('gaps', Array.from({ length: 60 }, (_, i) => bounce('user-unknown', 900 + i)));
    const c = await dv.client();
    const lock = await c.getMailboxLock('gaps');
    try {
      expect(await c.messageDelete('3:50', { uid: true })).toBe(true);
    } finally {
      lock.release();
      await c.logout();
    }
    const store = newStore();
    const cfg = mailboxFor(dv, { folders: ['gaps'], moveTo: { processed: 'gaps-done' }, schedule: '*/5 * * * *' });
    const r = await pollMailbox(cfg, { store, uidWindow: 2, maxMessages: 0 });
    expect(r).toMatchObject({ fetched: 12, stored: 12, backlog: 0, stoppedBy: 'done' });
    expect(await dv.count('gaps')).toBe(0);
    expect(await dv.count('gaps-done')).toBe(12);
  });
});
