/**
 * intake/imap - read bounces from an IMAP mailbox: one bounded pass (pollMailbox). The IDLE
 * watchers that say when new mail arrived are imap-idle.ts; the connection, the errors and the
 * envelope read from the delivery headers imap-session.ts; which UIDs to fetch, in windows and
 * batches, imap-windows.ts. Only these four files import imapflow.
 *
 * In: one `[[imap.mailboxes]]` entry (config keys imap.mailboxes[].name, host, port, tls, user,
 * password (already resolved from passwordFile/passwordEnv by config/load.ts; never logged),
 * folders, moveTo.{processed,notBounce,failed}, markSeen, delete, maxMessagesPerRun,
 * maxRunSeconds, idle) and the store. Out: PollResult (counts, backlog, why the pass stopped);
 * messages committed to the store, then moved / flagged / deleted on the server.
 *
 * What is "handled" is remembered per folder as UIDVALIDITY + last UID (RFC 3501 2.3.1.1) in the
 * store's imap_cursors table. Order per batch, so that a crash or a dropped connection at any point
 * loses nothing and counts nothing twice:
 *   1. FETCH the batch (UID FETCH BODY.PEEK[], so nothing is marked \Seen by reading it),
 *   2. commit the raw messages (one transaction; the store dedupes by content hash),
 *   3. process them (parse, classify, record: idempotent),
 *   4. only then MOVE (RFC 6851) / STORE \Seen / delete on the server,
 *   5. advance the cursor.
 * A failure between 2 and 5 refetches the batch next time; the store answers `duplicate` and
 * the message is moved then. A UIDVALIDITY change (folder recreated, server restored) restarts
 * the folder from UID 1 and relies on the same dedupe.
 */
import { ImapFlow, type FetchMessageObject } from 'imapflow';
import type { ImapMailboxConfig } from '../config/schema.js';
import { DaemonError } from '../errors.js';
import type { Logger } from '../log.js';
import type { MessageState, Store } from '../store/index.js';
import type { Pipeline } from '../pipeline/run.js';
import type { Envelope } from '../types.js';
import type { CheckOptions } from '../verp/sign.js';
import { describeMailbox, envelopeFromHeaders, imapError, newClient } from './imap-session.js';
import { batchesOf, newMessages, noWindows, uidSet, UID_WINDOW } from './imap-windows.js';

export { describeMailbox, envelopeFromHeaders, errorText, imapError } from './imap-session.js';
export { uidSet } from './imap-windows.js';
export { MAX_IDLE_FOLDERS, watchMailbox, type IdleState, type Watcher } from './imap-idle.js';

/** What one processed message became; decides where it goes on the server. */
export type HandledState = MessageState;

type MaybeAsync<F> = F extends (...a: infer A) => infer R ? (...a: A) => R | Promise<Awaited<R>> : never;

/** The part of the store the poller needs: SQLite's answers at once, PostgreSQL's later. */
export interface ImapStore {
  saveMessages: MaybeAsync<Store['saveMessages']>;
  processIds: Pipeline['processIds'];
  getImapCursor: MaybeAsync<Store['getImapCursor']>;
  setImapCursor: MaybeAsync<Store['setImapCursor']>;
  /**
   * Several daemons on one store (PostgreSQL): take or renew this host's lease of a folder; false
   * = another host polls it now, skip it. Called before the folder is read and before each batch
   * is committed; releaseFolder after the folder's pass. Absent: one host.
   */
  claimFolder?(account: string, folder: string): Promise<boolean>;
  releaseFolder?(account: string, folder: string): Promise<void>;
}

export interface PollProgress {
  mailbox: string;
  folder: string;
  /** Messages handled so far in this pass (all folders). */
  done: number;
  /** Messages this pass will try to handle (grows as folders are opened). */
  total: number;
}

export interface FolderResult {
  folder: string;
  uidValidity: number;
  /** True when UIDVALIDITY differed from the stored cursor, so the folder was rescanned. */
  rescanned: boolean;
  /** Messages found that were not handled before this pass. */
  found: number;
  fetched: number;
  stored: number;
  duplicates: number;
  /** Found but left for the next pass (limits). */
  backlog: number;
}

export type StopReason = 'done' | 'max-messages' | 'max-time' | 'aborted';

export interface PollResult {
  mailbox: string;
  folders: FolderResult[];
  fetched: number;
  stored: number;
  duplicates: number;
  /** By outcome: how many went where. */
  outcomes: Record<HandledState, number>;
  backlog: number;
  stoppedBy: StopReason;
  durationMs: number;
}

export interface PollOptions {
  store: ImapStore;
  log?: Logger;
  /** Aborting closes the connection; the pass rejects with an 'aborted' DaemonError. */
  signal?: AbortSignal;
  onProgress?: (p: PollProgress) => void;
  /** Most messages per FETCH + commit + MOVE round (default 500; also at most 16 MiB). */
  batchSize?: number;
  /** Override the config's limits (the CLI backfill); 0 = no limit. */
  maxMessages?: number;
  /** UID values per UID SEARCH window (default UID_WINDOW; tests make it small). */
  uidWindow?: number;
  maxRunSeconds?: number;
  clock?: () => number;
  /** The verp.* config the envelopes' return paths are judged with (imap-session.ts envelopeFromHeaders). */
  verp?: CheckOptions;
}


/** Messages processed between two turns of the event loop (about 3 ms each). */
const PROCESS_CHUNK = 20;

/** Where a message goes after it is committed: a folder, or '' for "leave it here". */
function destinationOf(cfg: ImapMailboxConfig, state: HandledState): string {
  if (state === 'processed') return cfg.moveTo.processed ?? '';
  if (state === 'not-a-bounce') return cfg.moveTo.notBounce ?? '';
  if (state === 'failed') return cfg.moveTo.failed ?? '';
  return '';
}

/** Make sure every configured destination folder exists (RFC 3501 CREATE). */
async function ensureFolders(client: ImapFlow, cfg: ImapMailboxConfig, log: Logger | undefined): Promise<void> {
  const wanted = [cfg.moveTo.processed, cfg.moveTo.notBounce, cfg.moveTo.failed].filter((f): f is string => Boolean(f));
  if (wanted.length === 0) return;
  const existing = new Set((await client.list()).map((l) => l.path));
  for (const f of new Set(wanted)) {
    if (existing.has(f)) continue;
    await client.mailboxCreate(f);
    log?.info({ folder: f }, 'created IMAP folder');
  }
}

/**
 * One pass over every folder of one mailbox: fetch what is not handled yet, commit, process,
 * then move/flag and advance the cursor, in batches, until done or a limit is reached.
 * Rejects with DaemonError('imap') on a connection, login or command failure; whatever was
 * committed and acknowledged before the failure stays handled.
 */
export async function pollMailbox(cfg: ImapMailboxConfig, opts: PollOptions): Promise<PollResult> {
  const clock = opts.clock ?? Date.now;
  const started = clock();
  const log = opts.log;
  const maxMessages = opts.maxMessages ?? cfg.maxMessagesPerRun;
  const maxSeconds = opts.maxRunSeconds ?? cfg.maxRunSeconds;
  const deadline = maxSeconds > 0 ? started + maxSeconds * 1000 : Infinity;
  const batchSize = Math.max(1, opts.batchSize ?? 500);
  const result: PollResult = {
    mailbox: cfg.name,
    folders: [],
    fetched: 0,
    stored: 0,
    duplicates: 0,
    outcomes: { pending: 0, processed: 0, 'not-a-bounce': 0, failed: 0 },
    backlog: 0,
    stoppedBy: 'done',
    durationMs: 0,
  };
  if (opts.signal?.aborted) throw new DaemonError('imap', `${describeMailbox(cfg)}: poll aborted before it started`);

  const client = newClient(cfg, { idle: false, timeoutMs: Number.isFinite(deadline) ? deadline - started : 60_000 });
  // imapflow emits 'error' for socket trouble; the pending command rejects as well, so the event
  // only needs a listener (an unhandled 'error' event would crash the daemon).
  client.on('error', (err: Error) => log?.debug({ err: err.message }, 'imap connection error'));

  // Hard bound: the soft deadline is checked between batches; if one command hangs past it (a
  // server that stops answering), closing the socket makes that command reject.
  let killedBy: 'max-time' | 'aborted' | null = null;
  const kill = (why: 'max-time' | 'aborted'): void => {
    if (killedBy) return;
    killedBy = why;
    client.close();
  };
  const grace = Number.isFinite(deadline) ? Math.min(30_000, Math.max(1000, (deadline - started) / 4)) : 0;
  const watchdog = Number.isFinite(deadline) ? setTimeout(() => kill('max-time'), deadline - started + grace) : undefined;
  watchdog?.unref();
  const onAbort = (): void => kill('aborted');
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  let doing = 'connect';
  try {
    await client.connect();
    doing = 'create destination folders';
    await ensureFolders(client, cfg, log);

    let total = 0;
    let done = 0;
    const folderErrors: string[] = [];
    for (const folder of cfg.folders) {
      if (result.stoppedBy !== 'done') break;
      doing = `open folder "${folder}"`;
      let lock: Awaited<ReturnType<ImapFlow['getMailboxLock']>>;
      try {
        lock = await client.getMailboxLock(folder);
      } catch (err) {
        // A missing or unreadable folder (a typo in `folders`) must not stop the others.
        if (killedBy || !client.usable) throw err;
        const e = imapError(cfg, doing, err);
        log?.error({ folder, err: e.message }, 'IMAP folder skipped');
        folderErrors.push(e.message);
        continue;
      }
      let leased = false;
      try {
        if (opts.store.claimFolder) {
          doing = `take the lease of folder "${folder}"`;
          if (!(await opts.store.claimFolder(cfg.name, folder))) {
            log?.info({ folder }, 'IMAP folder polled by another host now (lease held); skipped');
            continue;
          }
          leased = true;
        }
        const mb = client.mailbox;
        if (!mb) throw new Error(`folder "${folder}" is not selected`);
        const uidValidity = Number(mb.uidValidity);
        const cursor = await opts.store.getImapCursor(cfg.name, folder);
        const rescanned = Boolean(cursor && cursor.uidValidity !== uidValidity);
        if (rescanned)
          log?.warn(
            { folder, was: cursor?.uidValidity, now: uidValidity },
            'UIDVALIDITY changed: rescanning the folder (duplicates are recognised by content)',
          );
        const lastUid = cursor && !rescanned ? cursor.lastUid : 0;
        const fr: FolderResult = { folder, uidValidity, rescanned, found: 0, fetched: 0, stored: 0, duplicates: 0, backlog: 0 };
        result.folders.push(fr);

        // How many messages are new, and then which: a window of UIDs at a time, so a folder of a
        // million messages never has its UID list (or their sizes) in memory at once.
        doing = `search folder "${folder}"`;
        const news = mb.exists > 0 ? await newMessages(client, lastUid, Number(mb.uidNext ?? 0), opts.uidWindow ?? UID_WINDOW) : { count: 0, windows: noWindows() };
        if (rescanned && news.count === 0) await opts.store.setImapCursor(cfg.name, folder, { uidValidity, lastUid: 0 });
        fr.found = news.count;
        const budget = maxMessages > 0 ? Math.max(0, maxMessages - done) : Infinity;
        const want = Math.min(news.count, budget);
        total += want;
        opts.onProgress?.({ mailbox: cfg.name, folder, done, total });

        let handledHere = 0;
        const fetchBatch = async (batch: number[]): Promise<FetchMessageObject[]> => {
          // PEEK: reading does not set \Seen; only a committed message is acknowledged.
          const msgs: FetchMessageObject[] = [];
          for await (const msg of client.fetch(uidSet(batch), { uid: true, source: true, internalDate: true }, { uid: true })) {
            if (msg.source) msgs.push(msg);
          }
          return msgs.sort((a, b) => a.uid - b.uid);
        };
        // Move, else delete, else flag \Seen: one command per destination and batch (on a Maildir
        // server each costs time in proportion to the folder size, so fewer and larger is faster).
        const acknowledge = async (byDest: Map<string, number[]>): Promise<void> => {
          for (const [dest, list] of byDest) {
            const range = uidSet(list);
            let what = '';
            try {
              if (dest && dest !== folder) {
                what = `move from "${folder}" to "${dest}"`;
                if (!(await client.messageMove(range, dest, { uid: true }))) throw new Error('MOVE was refused');
              } else if (cfg.delete) {
                what = `delete from "${folder}"`;
                if (!(await client.messageDelete(range, { uid: true }))) throw new Error('delete (STORE \\Deleted + EXPUNGE) was refused');
              } else if (cfg.markSeen) {
                what = `flag \\Seen in "${folder}"`;
                if (!(await client.messageFlagsAdd(range, ['\\Seen'], { uid: true }))) throw new Error('STORE +FLAGS (\\Seen) was refused');
              }
            } catch (err) {
              throw killedBy ? err : imapError(cfg, what, err);
            }
          }
        };
        // The acknowledgement of batch k runs on the server while batch k+1 is processed here;
        // the cursor passes batch k only once its acknowledgement succeeded.
        let inflight: { ack: Promise<void>; batch: number[] } | null = null;
        const settle = async (): Promise<void> => {
          if (!inflight) return;
          const { ack, batch } = inflight;
          inflight = null;
          doing = `acknowledge messages in "${folder}"`;
          await ack;
          // 5. Remember how far we got.
          await opts.store.setImapCursor(cfg.name, folder, { uidValidity, lastUid: batch[batch.length - 1]! });
          done += batch.length;
          handledHere += batch.length;
          opts.onProgress?.({ mailbox: cfg.name, folder, done, total });
        };

        // Cut the work into batches of at most batchSize messages and BATCH_BYTES bytes (bounces
        // may carry big originals: memory stays bounded), using the sizes the server reports, one
        // window of UIDs at a time.
        const batchIter = batchesOf(client, news.windows, want, batchSize, (what) => (doing = `${what} in "${folder}"`));
        let cur = await batchIter.next();
        let next: Promise<FetchMessageObject[]> | null = cur.done ? null : fetchBatch(cur.value);
        next?.catch(() => undefined);
        while (next && !cur.done) {
          const batch: number[] = cur.value;

          // 1. Fetch (requested while the previous batch was being acknowledged).
          doing = `fetch from "${folder}"`;
          const msgs = await next;
          next = null;
          fr.fetched += msgs.length;
          result.fetched += msgs.length;

          // 2. Commit before anything is acknowledged on the server.
          doing = `commit messages from "${folder}"`;
          const now = clock();
          const items = msgs.map((m) => {
            const internal = m.internalDate ? new Date(m.internalDate).getTime() : NaN;
            const receivedAt = Number.isFinite(internal) ? Math.min(internal, now) : now;
            return { env: envelopeFromHeaders(m.source!, `${cfg.name}/${folder}/${uidValidity}/${m.uid}`, receivedAt, opts.verp), raw: m.source! };
          });
          // With leases: still ours? (Renewed; a host that stalled past its lease stops here,
          // before committing what the new holder may be fetching too.)
          if (leased && !(await opts.store.claimFolder!(cfg.name, folder)))
            throw new DaemonError('imap', `${describeMailbox(cfg)}: lost the lease of folder "${folder}" to another host; stopped before committing`);
          const saved = items.length > 0 ? await opts.store.saveMessages(items) : [];

          // 3. Process, a few at a time (SMTP intake and the status socket get a turn during the
          // analyses and between chunks). A duplicate - refetched after a crash, or found
          // again by a rescan - is not processed twice; the store reports the state it already
          // has. A store failure (busy, disk full) rejects the pass before anything is acknowledged.
          doing = `process messages from "${folder}"`;
          const outcomes: Awaited<ReturnType<ImapStore['processIds']>> = [];
          for (let j = 0; j < saved.length; j += PROCESS_CHUNK) {
            outcomes.push(...(await opts.store.processIds(saved.slice(j, j + PROCESS_CHUNK).map((s) => s.id))));
            await new Promise((r) => setImmediate(r));
          }
          const byDest = new Map<string, number[]>();
          for (const [k, s] of saved.entries()) {
            const uid = msgs[k]!.uid;
            if (s.duplicate) {
              fr.duplicates++;
              result.duplicates++;
            } else {
              fr.stored++;
              result.stored++;
            }
            const state = outcomes[k]?.state ?? 'pending';
            if (state === 'failed') log?.warn({ messageRowId: s.id, uid, folder, error: outcomes[k]?.error }, 'message kept as failed');
            result.outcomes[state]++;
            const dest = destinationOf(cfg, state);
            byDest.set(dest, [...(byDest.get(dest) ?? []), uid]);
          }

          // 4. Acknowledge, now that everything is durable: first wait for the previous batch's
          // acknowledgement (the cursor moves in order), ask for the next batch, then queue this
          // batch's acknowledgement behind that FETCH so that it overlaps the next processing.
          await settle();
          cur = await batchIter.next();
          const more = !cur.done;
          if (more && clock() < deadline) {
            next = fetchBatch(cur.value);
            next.catch(() => undefined);
          } else if (more) result.stoppedBy = 'max-time';
          const ack = acknowledge(byDest);
          ack.catch(() => undefined);
          inflight = { ack, batch };
        }
        await settle();
        fr.backlog = Math.max(0, news.count - handledHere);
        result.backlog += fr.backlog;
        if (result.stoppedBy === 'done' && want < news.count) result.stoppedBy = 'max-messages';
      } finally {
        lock.release();
        // The next pass may be any host's; a lease not released (a crash) expires by itself.
        if (leased) await opts.store.releaseFolder?.(cfg.name, folder).catch(() => undefined);
      }
    }
    // Everything is committed and acknowledged; a failed LOGOUT loses nothing.
    await client.logout().catch(() => client.close());
    if (folderErrors.length > 0)
      throw new DaemonError('imap', folderErrors.join('; ') + ` (the other folders were read: ${result.fetched} messages)`);
  } catch (err) {
    client.close();
    if (killedBy === 'max-time')
      throw new DaemonError('imap', `${describeMailbox(cfg)}: pass exceeded maxRunSeconds=${maxSeconds} during ${doing}; connection closed`, {
        cause: err,
      });
    if (killedBy === 'aborted') throw new DaemonError('imap', `${describeMailbox(cfg)}: poll aborted during ${doing}`, { cause: err });
    throw imapError(cfg, doing, err);
  } finally {
    if (watchdog) clearTimeout(watchdog);
    opts.signal?.removeEventListener('abort', onAbort);
  }
  result.durationMs = clock() - started;
  return result;
}

