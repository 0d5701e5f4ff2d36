/**
 * IMAP IDLE on every configured folder of a mailbox (intake/imap watchMailbox, jobs/poll-imap),
 * against a real private Dovecot: a bounce appended to the SECOND folder is ingested within
 * seconds with no schedule firing; at most MAX_IDLE_FOLDERS connections per mailbox (counted on
 * the server with `doveadm who`), the rest reported 'unwatched'; a connection the server drops
 * for one folder (its Dovecot imap process is killed) reconnects by itself while the other
 * folder's connection stays up, and one dropped again and again waits longer each time; stop()
 * logs every connection out, in parallel, and waits at most 2 s on a server gone silent (its
 * sessions stopped with SIGSTOP). Skips (with the reason) without Dovecot, except in CI.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ImapMailboxConfig } from '../../src/config/schema.js';
import { MAX_IDLE_FOLDERS, watchMailbox } from '../../src/intake/imap.js';
import { startImapPolling } from '../../src/jobs/poll-imap.js';
import { child } from '../../src/log.js';
import { bounce, dovecotMissing, mailboxFor, useDovecot, type Dovecot } from '../support/dovecot.js';

const missing = dovecotMissing();
const log = child('imap-idle-test');
log.level = 'silent';

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(missing !== '')(`IMAP IDLE on every folder against a real Dovecot${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let dv: Dovecot;
  const newStore = useDovecot((started) => (dv = started));
  // idle = true and the helper's schedule, which never fires during a test.
  const mailbox = (folders: string[], over: Partial<ImapMailboxConfig> = {}): ImapMailboxConfig =>
    mailboxFor(dv, { folders, idle: true, ...over });

  /** PIDs of the user's IMAP sessions, as the server lists them. */
  const sessions = async (): Promise<number[]> =>
    (await dv.doveadm(['who', '-1', dv.user]))
      .split('\n')
      .slice(1)
      .map((l) => Number(l.trim().split(/\s+/)[2]))
      .filter((n) => Number.isInteger(n) && n > 0);

  /**
   * The Dovecot imap process in IDLE on `folder`: the one whose inotify watches (in /proc/<pid>/fdinfo)
   * include the folder's Maildir `new` directory.
   */
  const sessionOn = async (folder: string): Promise<number | undefined> => {
    const ino = statSync(`${dv.dir}/mail/${dv.user}/.${folder}/new`).ino.toString(16);
    for (const pid of await sessions()) {
      let fds: string[] = [];
      try {
        fds = readdirSync(`/proc/${pid}/fdinfo`);
      } catch {
        continue;
      }
      for (const fd of fds) {
        let info = '';
        try {
          info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
        } catch {
          continue;
        }
        if (new RegExp(`^inotify .* ino:${ino} `, 'm').test(info)) return pid;
      }
    }
    return undefined;
  };

  /** Wait for the session in IDLE on `folder` (imapflow sends IDLE a second after SELECT). */
  const idleSession = async (folder: string): Promise<number> => {
    let pid: number | undefined;
    await until(`a server session in IDLE on ${folder}`, async () => (pid = await sessionOn(folder)) !== undefined, 5000);
    return pid!;
  };

  const create = async (folders: string[]): Promise<void> => {
    for (const f of folders) await dv.append(f, []);
  };

  it('ingests a bounce appended to the second folder within seconds, because that folder is in IDLE', async () => {
    await create(['two-a', 'two-b']);
    const store = newStore();
    const polling = startImapPolling({ mailboxes: [mailbox(['two-a', 'two-b'])] }, { store, log, runAtStart: false });
    try {
      await until('the IDLE connections', () => polling.health()[0]!.idle === 'idle');
      // Each connection starts a pass when it is up (mail may have arrived while it was away);
      // let those finish so that only IDLE can start the next one.
      await until('the passes started by the connects', () => polling.health()[0]!.totals.runs >= 1 && !polling.health()[0]!.running);
      await sleep(300);
      const runs = polling.health()[0]!.totals.runs;
      expect(polling.health()[0]!.totals.stored).toBe(0);

      const t0 = Date.now();
      await dv.append('two-b', [bounce('user-unknown', 7001)]);
      await until('the bounce in two-b to be ingested', () => polling.health()[0]!.totals.stored === 1, 5000);
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(polling.health()[0]!.totals.runs).toBeGreaterThan(runs);
      expect(store.stats().messages.total).toBe(1);
      // Handled (flagged \Seen, the mailbox's acknowledgement), not merely seen.
      expect([...(await dv.flags('two-b')).values()].map((f) => f.has('\\Seen'))).toEqual([true]);
      expect(polling.health()[0]).toMatchObject({ idle: 'idle', idleFolders: { 'two-a': 'idle', 'two-b': 'idle' } });
    } finally {
      await polling.stop();
    }
  });

  it(`keeps at most ${MAX_IDLE_FOLDERS} IDLE connections per mailbox and reports the other folders as unwatched`, async () => {
    const folders = Array.from({ length: MAX_IDLE_FOLDERS + 2 }, (_, i) => `cap-${i}`);
    await create(folders);
    let calls = 0;
    const w = watchMailbox(mailbox(folders), { onNewMail: () => calls++, log });
    try {
      await until('the IDLE connections', () => w.state() === 'idle');
      const want: Record<string, string> = {};
      for (const [i, f] of folders.entries()) want[f] = i < MAX_IDLE_FOLDERS ? 'idle' : 'unwatched';
      expect(w.folders()).toEqual(want);
      expect(await sessions()).toHaveLength(MAX_IDLE_FOLDERS);
      // Each watched folder is really selected by one of those sessions.
      for (const f of folders.slice(0, MAX_IDLE_FOLDERS)) await idleSession(f);
      expect(await sessionOn(folders[MAX_IDLE_FOLDERS]!)).toBeUndefined();
      expect(calls).toBe(MAX_IDLE_FOLDERS);

      // New mail in the last watched folder calls back.
      await dv.append(folders[MAX_IDLE_FOLDERS - 1]!, [bounce('mailbox-full', 7100)]);
      await until('the IDLE notification', () => calls > MAX_IDLE_FOLDERS, 5000);
    } finally {
      const t0 = Date.now();
      await w.stop();
      expect(Date.now() - t0).toBeLessThan(2500);
    }
    // stop() logged every connection out.
    await until('the sessions to end', async () => (await sessions()).length === 0, 5000);
  });

  it('a connection dropped by the server for one folder reconnects on its own; the other folder stays watched', async () => {
    await create(['drop-a', 'drop-b']);
    let calls = 0;
    const w = watchMailbox(mailbox(['drop-a', 'drop-b']), { onNewMail: () => calls++, log });
    try {
      await until('the IDLE connections', () => w.state() === 'idle');
      const a = await idleSession('drop-a');
      const b = await idleSession('drop-b');
      expect(a).not.toBe(b);

      // The server ends drop-a's session (as an admin's kill, a crash or an idle timeout would).
      const seen: string[] = [];
      const sample = setInterval(() => seen.push(`${w.folders()['drop-a']}/${w.folders()['drop-b']}`), 20);
      try {
        process.kill(a, 'SIGKILL');
        await until('drop-a to notice the drop', () => w.folders()['drop-a'] !== 'idle', 5000);
        expect(w.state()).not.toBe('idle');
        await until('drop-a to reconnect', () => w.folders()['drop-a'] === 'idle', 8000);
      } finally {
        clearInterval(sample);
      }
      // drop-b never left IDLE, and it is the same server session as before.
      expect(seen.filter((s) => !s.endsWith('/idle'))).toEqual([]);
      expect(seen.some((s) => s.startsWith('down/') || s.startsWith('connecting/'))).toBe(true);
      expect(await sessionOn('drop-b')).toBe(b);
      expect(await idleSession('drop-a')).not.toBe(a);
      expect(w.state()).toBe('idle');

      // Both folders report new mail again.
      const before = calls;
      await dv.append('drop-a', [bounce('spam-blocked', 7200)]);
      await until('IDLE on the reconnected folder', () => calls > before, 5000);
      const before2 = calls;
      await dv.append('drop-b', [bounce('spam-blocked', 7201)]);
      await until('IDLE on the other folder', () => calls > before2, 5000);
    } finally {
      await w.stop();
    }
  });

  it('stop() does not wait more than 2 s for LOGOUT when the server has gone silent', async () => {
    await create(['mute-a', 'mute-b']);
    const w = watchMailbox(mailbox(['mute-a', 'mute-b']), { onNewMail: () => undefined, log });
    const pids = [await idleSession('mute-a'), await idleSession('mute-b')];
    // The sessions stop answering (a hung server) but keep their sockets open.
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    try {
      const t0 = Date.now();
      await w.stop();
      const ms = Date.now() - t0;
      expect(ms).toBeGreaterThanOrEqual(1900);
      // Both LOGOUTs wait in parallel (one after the other would be 4 s); slack for a loaded machine.
      expect(ms).toBeLessThan(3000);
    } finally {
      for (const pid of pids) process.kill(pid, 'SIGCONT');
    }
    // The sockets were closed from our side: the sessions end.
    await until('the sessions to end', async () => (await sessions()).length === 0, 5000);
  });

  it('a session the server keeps dropping right after login reconnects with a growing delay', async () => {
    await create(['flap']);
    // The watcher's own moments, taken when it logs them: a poll of state() from the test notices a
    // drop up to one poll interval (more on a loaded machine) after the watcher did, so a gap
    // measured from the poll may be shorter than the backoff that really elapsed.
    const closedAt: number[] = [];
    const watchingAt: number[] = [];
    const timing = {
      warn: (_o: unknown, msg: string) => msg.startsWith('IMAP IDLE connection closed') && closedAt.push(performance.now()),
      info: (_o: unknown, msg: string) => msg === 'IMAP IDLE watching' && watchingAt.push(performance.now()),
      debug: () => undefined,
    } as unknown as typeof log;
    const w = watchMailbox(mailbox(['flap']), { onNewMail: () => undefined, log: timing, minBackoffMs: 100 });
    try {
      let last: number | undefined;
      for (let i = 0; i < 4; i++) {
        await until('the IDLE connection', () => w.state() === 'idle', 8000);
        let pid: number | undefined;
        await until('its server session', async () => ((pid = (await sessions()).find((p) => p !== last)) !== undefined), 5000);
        last = pid;
        process.kill(pid!, 'SIGKILL');
        await until('the drop to be noticed', () => w.state() !== 'idle', 5000);
        await until('the reconnect', () => w.state() === 'idle', 8000);
      }
      expect(closedAt).toHaveLength(4);
      // watchingAt[0] is the first connection; watchingAt[i + 1] follows the i-th drop.
      const gaps = closedAt.map((t, i) => Math.round(watchingAt[i + 1]! - t));
      // 100, 200, 400, 800 ms plus the time to connect: a connection that lived for less than a
      // minute does not reset the backoff, and a timer never fires early.
      const backoff = [100, 200, 400, 800];
      for (let i = 0; i < 4; i++) expect(gaps[i]!, `gaps ${gaps.join(', ')} ms`).toBeGreaterThanOrEqual(backoff[i]!);
      // The connect time is in every gap; the backoff alone adds 700 ms from the first to the last.
      expect(gaps[3]! - gaps[0]!, `gaps ${gaps.join(', ')} ms`).toBeGreaterThan(400);
    } finally {
      await w.stop();
    }
  });
});
