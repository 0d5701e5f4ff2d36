/**
 * intake/imap - read bounces from an IMAP mailbox: one bounded pass (pollMailbox) and IDLE
 * watchers (watchMailbox: one connection per folder, at most MAX_IDLE_FOLDERS) that say when new
 * mail arrived. The only file that imports imapflow.
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
import type { Envelope } from '../types.js';
import { decodeEncodedWords, textFromBinary } from '../address/text.js';

/** What one processed message became; decides where it goes on the server. */
export type HandledState = MessageState;

/** The part of the store the poller needs. */
export type ImapStore = Pick<Store, 'saveMessages' | 'processIds' | 'getImapCursor' | 'setImapCursor'>;

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
}

/** Most bytes of raw messages held in memory per batch. */
const BATCH_BYTES = 16 * 1024 * 1024;

/** "1:3,7,9:10" for [1,2,3,7,9,10]: short command lines even for big batches (RFC 3501 sequence-set). */
export function uidSet(uids: readonly number[]): string {
  const sorted = [...uids].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}:${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** UIDs looked at per UID SEARCH at first (a window of UID values; it widens where UIDs are sparse). */
const UID_WINDOW = 4096;

async function* noWindows(): AsyncGenerator<number[]> {}

/**
 * The messages of the selected folder with a UID above `lastUid`: how many, and their UIDs in
 * ascending windows. With ESEARCH (RFC 4731: Dovecot, Cyrus, IMAP4rev2) the count is one
 * `UID SEARCH RETURN (COUNT MIN)` and the UIDs come from searches over successive ranges of UID
 * values up to UIDNEXT, each answering at most one window - memory stays flat however big the
 * folder. A server without ESEARCH answers the count with the whole list; its windows are then cut
 * from that list.
 */
async function newMessages(client: ImapFlow, lastUid: number, uidNext: number, window: number): Promise<{ count: number; windows: AsyncGenerator<number[]> }> {
  const r = await client.search({ uid: `${lastUid + 1}:*` }, { uid: true, returnOptions: ['COUNT', 'MIN'] });
  if (r === false || r === undefined) throw new Error('UID SEARCH was refused');
  if (Array.isArray(r)) {
    // "n:*" always matches the highest UID, even below n: filter.
    const all = r.filter((u) => u > lastUid).sort((a, b) => a - b);
    return {
      count: all.length,
      windows: (async function* () {
        for (let i = 0; i < all.length; i += window) yield all.slice(i, i + window);
      })(),
    };
  }
  // The same "n:*" rule: when nothing is above lastUid the highest UID (<= lastUid) was counted.
  const count = Math.max(0, (r.count ?? 0) - (r.min !== undefined && r.min <= lastUid ? 1 : 0));
  const end = uidNext > 0 ? uidNext - 1 : Number.MAX_SAFE_INTEGER;
  return {
    count,
    windows: (async function* () {
      let from = Math.max(lastUid + 1, r.min ?? 0);
      let width = window;
      let seen = 0;
      while (seen < count && from <= end) {
        // Past the last assigned UID: "n:*" (new mail since SELECT is left for the next pass).
        const to = from + width - 1;
        const range = to >= end ? `${from}:*` : `${from}:${to}`;
        const found = await client.search({ uid: range }, { uid: true });
        if (found === false || found === undefined) throw new Error('UID SEARCH was refused');
        const upTo = to >= end ? end : to;
        const uids = found.filter((u) => u >= from && u <= upTo).sort((a, b) => a - b);
        if (uids.length > 0) {
          seen += uids.length;
          yield uids;
        }
        from = upTo + 1;
        // Sparse UIDs (a folder whose older messages were moved away): wider windows.
        if (uids.length < width / 8) width = Math.min(width * 4, 1 << 26);
        else if (uids.length > 2 * window) width = Math.max(window, Math.floor(width / 2));
      }
    })(),
  };
}

/** The batches of at most `want` messages taken from the windows, each window's sizes asked once. */
async function* batchesOf(
  client: ImapFlow,
  windows: AsyncGenerator<number[]>,
  want: number,
  maxCount: number,
  doing: (what: string) => void,
): AsyncGenerator<number[]> {
  let left = want;
  while (left > 0) {
    doing('search');
    const w = await windows.next();
    if (w.done) return;
    const todo = w.value.slice(0, left);
    left -= todo.length;
    doing('read message sizes');
    for (const b of await planBatches(client, todo, maxCount)) yield b;
  }
}

/** Split UIDs (ascending) into batches bounded by count and by RFC822.SIZE total. */
async function planBatches(client: ImapFlow, todo: number[], maxCount: number): Promise<number[][]> {
  const sizes = new Map<number, number>();
  // One FETCH over the span (not the list: a list of 10,000 UIDs would exceed line limits).
  for await (const m of client.fetch(`${todo[0]}:${todo[todo.length - 1]}`, { uid: true, size: true }, { uid: true }))
    sizes.set(m.uid, m.size ?? 0);
  const out: number[][] = [];
  let cur: number[] = [];
  let bytes = 0;
  for (const uid of todo) {
    const size = sizes.get(uid) ?? 0;
    if (cur.length > 0 && (cur.length >= maxCount || bytes + size > BATCH_BYTES)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(uid);
    bytes += size;
  }
  if (cur.length > 0) out.push(cur);
  return out;
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

/** "name (user@host:port)" - how a mailbox is named in every log line and error; no password. */
export function describeMailbox(cfg: ImapMailboxConfig): string {
  return `imap mailbox "${cfg.name}" (${cfg.user}@${cfg.host}:${cfg.port})`;
}

/**
 * An error message fit to log and to store (imap_health.last_error): imapError never quotes the
 * password, but a server's free-text reply might echo what it was sent, so cut it out anyway.
 */
export function errorText(cfg: ImapMailboxConfig, err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const pw = cfg.password ?? '';
  return pw.length >= 3 ? text.split(pw).join('[password]') : text;
}

function newClient(cfg: ImapMailboxConfig, opts: { idle: boolean; timeoutMs: number }): ImapFlow {
  // tls: implicit = TLS from the first byte (993); starttls = must upgrade, never send the
  // password in clear; none = cleartext, meant for loopback only.
  return new ImapFlow({
    host: cfg.host,
    port: cfg.port,
    secure: cfg.tls === 'implicit',
    doSTARTTLS: cfg.tls === 'starttls' ? true : cfg.tls === 'none' ? false : undefined,
    auth: { user: cfg.user, pass: cfg.password ?? '' },
    logger: false,
    disableAutoIdle: !opts.idle,
    autoIdleDelay: opts.idle ? 1000 : undefined,
    // A slow or silent server must fail the pass, not hang it.
    connectionTimeout: Math.min(opts.timeoutMs, 30_000),
    greetingTimeout: Math.min(opts.timeoutMs, 16_000),
    socketTimeout: opts.idle ? 10 * 60_000 : Math.max(opts.timeoutMs, 10_000),
    // Re-issue IDLE every 5 min: NAT boxes and some servers drop sessions silent for longer.
    maxIdleTime: opts.idle ? 5 * 60_000 : undefined,
    clientInfo: { name: 'rebound' },
  });
}

/** Turn whatever imapflow threw into one DaemonError that says what failed, for whom, and why. */
export function imapError(cfg: ImapMailboxConfig, doing: string, err: unknown): DaemonError {
  if (err instanceof DaemonError) return err;
  const e = (err ?? {}) as {
    message?: string;
    code?: string;
    authenticationFailed?: boolean;
    response?: string;
    responseText?: string;
    serverResponseCode?: string;
  };
  const where = describeMailbox(cfg);
  if (e.authenticationFailed) {
    const said = e.responseText ?? e.response ?? e.message ?? '';
    // A wrong password will not fix itself; retrying is still right (the operator may fix the
    // file), but the job backs off to its longest interval.
    return new DaemonError('imap', `${where}: login failed for user "${cfg.user}": ${said.trim() || 'authentication failed'}`, {
      cause: err,
      temporary: false,
    });
  }
  const code = e.code ? ` [${e.code}]` : '';
  const text = (e.responseText ?? e.message ?? String(err)).trim();
  return new DaemonError('imap', `${where}: ${doing} failed${code}: ${text}`, { cause: err });
}

function headerBlock(raw: Buffer): string {
  let end = raw.indexOf('\r\n\r\n');
  if (end < 0) end = raw.indexOf('\n\n');
  if (end < 0) end = Math.min(raw.length, 64 * 1024);
  return raw.subarray(0, Math.min(end, 256 * 1024)).toString('latin1').replace(/\r?\n[ \t]+/g, ' ');
}

/** The address in one delivery header value, read as address text (address/text.ts): the block is
 *  latin1 (one char per byte) so that the bytes survive; Postfix writes raw UTF-8 here (RFC 6532). */
function addressOf(v: string): string {
  const t = decodeEncodedWords(textFromBinary(v));
  // The first "<" and the next ">" (by index: /<([^>]*)>/ rescans from every "<" without a ">").
  const lt = t.indexOf('<');
  const gt = lt < 0 ? -1 : t.indexOf('>', lt + 1);
  return (gt < 0 ? t : t.slice(lt + 1, gt)).trim();
}

/**
 * The envelope an SMTP intake would have seen, recovered from the delivery headers the final MTA
 * added: Return-Path (RFC 5321 4.4) and Delivered-To / X-Original-To / Envelope-To (the VERP
 * address the bounce was sent to; Postfix and Exim write these, Dovecot LDA keeps them).
 */
export function envelopeFromHeaders(raw: Buffer, origin: string, receivedAt: number): Envelope {
  const lines = headerBlock(raw).split(/\r?\n/);
  let mailFrom = '';
  const rcpt: string[] = [];
  for (const line of lines) {
    const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    const name = m[1]!.toLowerCase();
    if (name === 'return-path' && mailFrom === '') mailFrom = addressOf(m[2]!);
    else if (name === 'delivered-to' || name === 'x-original-to' || name === 'envelope-to') {
      for (const part of m[2]!.split(',')) {
        const a = addressOf(part);
        if (a && !rcpt.includes(a)) rcpt.push(a);
      }
    }
  }
  return { source: 'imap', origin, mailFrom, rcptTo: rcpt, receivedAt };
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
      try {
        const mb = client.mailbox;
        if (!mb) throw new Error(`folder "${folder}" is not selected`);
        const uidValidity = Number(mb.uidValidity);
        const cursor = opts.store.getImapCursor(cfg.name, folder);
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
        if (rescanned && news.count === 0) opts.store.setImapCursor(cfg.name, folder, { uidValidity, lastUid: 0 });
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
          opts.store.setImapCursor(cfg.name, folder, { uidValidity, lastUid: batch[batch.length - 1]! });
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
            return { env: envelopeFromHeaders(m.source!, `${cfg.name}/${folder}/${uidValidity}/${m.uid}`, receivedAt), raw: m.source! };
          });
          const saved = items.length > 0 ? opts.store.saveMessages(items) : [];

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
