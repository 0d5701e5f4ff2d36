/**
 * intake/imap-idle - IDLE watchers (RFC 2177): one connection per folder, at most
 * MAX_IDLE_FOLDERS per mailbox, each reconnecting with its own backoff, that say when new mail
 * arrived (the poll job then runs a pass: jobs/poll-imap.ts).
 * Config keys: imap.mailboxes[].idle, folders (and the connection keys, imap-session.ts).
 */
import type { ImapFlow } from 'imapflow';
import type { ImapMailboxConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { describeMailbox, imapError, newClient } from './imap-session.js';

/** What one IDLE connection is doing: 'connecting' | 'idle' | 'down' (waiting to reconnect). */
export type IdleState = 'connecting' | 'idle' | 'down';

export interface Watcher {
  stop(): Promise<void>;
  /**
   * For health, one word for the whole mailbox: 'down' when any watched folder's connection is
   * down, else 'connecting' while any is still connecting, else 'idle'.
   */
  state(): IdleState;
  /** Every configured folder: the state of its IDLE connection, or 'unwatched' past the cap. */
  folders(): Record<string, IdleState | 'unwatched'>;
}

/**
 * Most IDLE connections per mailbox. IDLE (RFC 2177) only reports on the selected folder, so each
 * watched folder costs one connection, and servers cap connections per user (Dovecot's
 * mail_max_userip_connections defaults to 10 per user and IP, Gmail allows about 15). Five leaves
 * room for the pass's own connection, `rebound poll` and a person with a mail client. Folders past
 * the cap are still read by every pass (which any watched folder's new mail starts) and by the
 * schedule; put the busiest folders first.
 */
export const MAX_IDLE_FOLDERS = 5;

/** A connection that stayed up this long was healthy: its next drop reconnects at the shortest delay. */
const STABLE_MS = 60_000;

/** What each folder's IDLE connection needs: where new mail is reported, logging, reconnect backoff. */
interface FolderWatchOptions {
  onNewMail: () => void;
  log?: Logger;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * Keep one connection per configured folder (the first MAX_IDLE_FOLDERS of them) open in IMAP IDLE
 * (RFC 2177) and call `onNewMail` when any of them reports new messages, and after each
 * (re)connect (mail may have arrived while it was away). It never reads or changes messages: the
 * pass does that, so there is one code path that commits and moves. Each connection reconnects
 * on its own, with exponential backoff (1 s doubling to 5 min), so one folder's trouble leaves
 * the others watching. NOTIFY (RFC 5465) would do it in one connection but is rarely offered.
 */
export function watchMailbox(cfg: ImapMailboxConfig, opts: FolderWatchOptions & { maxFolders?: number }): Watcher {
  const all = [...new Set(cfg.folders.length > 0 ? cfg.folders : ['INBOX'])];
  const max = Math.max(1, opts.maxFolders ?? MAX_IDLE_FOLDERS);
  const watched = all.slice(0, max);
  const unwatched = all.slice(max);
  if (unwatched.length > 0)
    opts.log?.warn(
      { watched, unwatched, max },
      `IMAP IDLE on ${watched.length} of ${all.length} folders (at most ${max} connections per mailbox); the others are read by each pass and the schedule`,
    );
  else opts.log?.info({ watched }, `IMAP IDLE on ${watched.length} folder${watched.length === 1 ? '' : 's'}`);

  const conns = watched.map((folder) => watchFolder(cfg, folder, opts));
  return {
    state: () => {
      const states = conns.map((c) => c.state());
      return states.includes('down') ? 'down' : states.includes('connecting') ? 'connecting' : 'idle';
    },
    folders: () => {
      const out: Record<string, IdleState | 'unwatched'> = {};
      for (const [i, folder] of watched.entries()) out[folder] = conns[i]!.state();
      for (const folder of unwatched) out[folder] = 'unwatched';
      return out;
    },
    stop: async () => {
      await Promise.all(conns.map((c) => c.stop()));
    },
  };
}

/** One folder's IDLE connection with its own reconnect backoff. */
function watchFolder(cfg: ImapMailboxConfig, folder: string, opts: FolderWatchOptions): { state(): IdleState; stop(): Promise<void> } {
  const minBackoff = opts.minBackoffMs ?? 1000;
  const maxBackoff = opts.maxBackoffMs ?? 5 * 60_000;
  let stopped = false;
  let state: IdleState = 'connecting';
  let client: ImapFlow | null = null;
  let timer: NodeJS.Timeout | null = null;
  let failures = 0;
  let connectedAt = 0;

  const schedule = (): void => {
    if (stopped) return;
    state = 'down';
    // A server that accepts and then drops at once must not be hammered every second: only a
    // connection that stayed up for a while resets the backoff.
    if (connectedAt > 0 && Date.now() - connectedAt >= STABLE_MS) failures = 0;
    connectedAt = 0;
    const delay = Math.min(maxBackoff, minBackoff * 2 ** Math.min(failures, 20));
    failures++;
    timer = setTimeout(() => void connect(), delay);
    timer.unref();
  };

  const connect = async (): Promise<void> => {
    timer = null;
    if (stopped) return;
    state = 'connecting';
    const c = newClient(cfg, { idle: true, timeoutMs: 30_000 });
    client = c;
    c.on('error', (err: Error) => opts.log?.debug({ folder, err: err.message }, 'imap idle connection error'));
    c.on('exists', (ev: { count: number; prevCount: number }) => {
      if (ev.count > ev.prevCount) opts.onNewMail();
    });
    c.on('close', () => {
      if (client !== c || stopped) return;
      client = null;
      opts.log?.warn({ folder }, 'IMAP IDLE connection closed; reconnecting with backoff');
      schedule();
    });
    try {
      await c.connect();
      await c.mailboxOpen(folder, { readOnly: true });
      if (stopped || client !== c) return;
      connectedAt = Date.now();
      state = 'idle';
      opts.log?.info({ folder }, 'IMAP IDLE watching');
      // Mail that arrived while we were away is picked up by a pass now.
      opts.onNewMail();
    } catch (err) {
      if (stopped || client !== c) return;
      const e = imapError(cfg, `IDLE on "${folder}"`, err);
      opts.log?.warn({ folder, err: e.message }, 'IMAP IDLE connection failed');
      client = null;
      c.close();
      schedule();
    }
  };

  void connect();
  return {
    state: () => state,
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      const c = client;
      client = null;
      if (c) {
        // LOGOUT politely, but never wait on a server that does not answer.
        let t: NodeJS.Timeout | undefined;
        await Promise.race([c.logout().catch(() => undefined), new Promise((r) => (t = setTimeout(r, 2000)))]);
        clearTimeout(t);
        c.close();
      }
    },
  };
}
