/**
 * jobs/poll-imap - run intake/imap passes for every configured mailbox: on its node-cron schedule,
 * once at start, when IMAP IDLE reports new mail (idle = true), and by hand (runNow, `rebound poll`
 * uses pollMailbox directly). The only file that imports node-cron for IMAP.
 *
 * In: config slice `imap` (imap.mailboxes[].schedule, idle, and everything pollMailbox reads) and
 * the store. Out: { stop(), health(), runNow() }; health() is what `show stats`/`health` on the
 * status socket report per mailbox: last success, last error, backlog, failures, next retry.
 * After every pass (success or failure) the same facts go to the store's imap_health table
 * (saveMailboxHealth, also used by `rebound poll`), which is where `rebound stats` - another
 * process - reads them; at start each mailbox's live view is seeded from that row, so the socket
 * and the CLI agree after a restart. Passwords never reach a log line or the table (errorText).
 *
 * Guarantees: at most one pass per mailbox at a time (a trigger during a pass queues one more pass,
 * never a parallel one); each pass is bounded by maxMessagesPerRun / maxRunSeconds (pollMailbox);
 * after a failure the mailbox waits 30 s, doubling per failure up to 30 min, before it connects
 * again (scheduled ticks in between are skipped); a mailbox that is slow, unreachable or refuses
 * the login affects only itself - everything here is asynchronous and never throws to the caller.
 */
import cron from 'node-cron';
import type { ImapMailboxConfig } from '../config/schema.js';
import { describeMailbox, errorText, pollMailbox, watchMailbox, type ImapStore, type PollResult, type Watcher } from '../intake/imap.js';
import { child, type Logger } from '../log.js';
import { DaemonError } from '../errors.js';
import type { Pipeline } from '../pipeline/run.js';
import type { Store, StoreApi } from '../store/index.js';
import type { CheckOptions } from '../verp/sign.js';

/** The store as the poll job and `rebound poll` use it: the poller's part plus the health table
 *  (SQLite answers at once, PostgreSQL later). */
export type ImapPollStore = ImapStore & {
  saveImapHealth(h: Parameters<Store['saveImapHealth']>[0]): ReturnType<Store['saveImapHealth']> | Promise<ReturnType<Store['saveImapHealth']>>;
  getImapHealth(mailbox?: string): ReturnType<Store['getImapHealth']> | Promise<ReturnType<Store['getImapHealth']>>;
};

/** How long a host holds an IMAP folder's lease without renewing it (each batch renews it). */
const IMAP_LEASE_MS = 120_000;

/**
 * The IMAP poller's store, the same on both backends (the daemon's poll job and `rebound poll`):
 * saves and cursors through the store, processing through the pipeline, and a folder polled only
 * under `owner`'s lease, its cursor written only while the lease is still held - a host that
 * stalled past its lease fails its pass instead of moving the cursor the new holder uses (what it
 * committed meanwhile is a duplicate for the new holder, recognised by content). On SQLite the
 * lease is always granted: one daemon owns the file.
 */
export function imapPollStore(s: StoreApi, pipeline: Pick<Pipeline, 'processIds'>, owner: string, leaseMs = IMAP_LEASE_MS): ImapPollStore {
  return {
    saveMessages: (items) => s.saveMessages(items),
    processIds: (ids, opts) => pipeline.processIds(ids, opts),
    getImapCursor: (account, folder) => s.getImapCursor(account, folder),
    setImapCursor: async (account, folder, cursor) => {
      if (!(await s.setImapCursor(account, folder, cursor, owner)))
        throw new DaemonError('imap', `IMAP cursor of ${account}/${folder} not saved: this host (${owner}) no longer holds the folder's lease`);
    },
    claimFolder: (account, folder) => s.acquireImapLease(account, folder, owner, leaseMs),
    releaseFolder: (account, folder) => s.releaseImapLease(account, folder, owner),
    saveImapHealth: (h) => s.saveImapHealth(h),
    getImapHealth: (mailbox) => s.getImapHealth(mailbox),
  };
}

/**
 * Record one pass in the imap_health table: on success the run, success time, backlog and count;
 * on failure the run and the error (the last success and backlog stay as they were). A store
 * that cannot write (busy, disk full) goes to onError (a message without the password) and does
 * not fail the pass.
 */
export function saveMailboxHealth(
  store: Pick<ImapPollStore, 'saveImapHealth'>,
  cfg: ImapMailboxConfig,
  pass: { startedAt: number; endedAt: number } & ({ result: Pick<PollResult, 'fetched' | 'backlog'> } | { error: unknown }),
  onError: (message: string) => void,
): Promise<void> | void {
  const failed = (err: unknown) => onError(`${describeMailbox(cfg)}: could not save its health to the store: ${errorText(cfg, err)}`);
  try {
    let written: unknown;
    if ('result' in pass)
      written = store.saveImapHealth({
        mailbox: cfg.name,
        lastRunAt: pass.startedAt,
        lastSuccessAt: pass.endedAt,
        backlog: pass.result.backlog,
        messagesLastRun: pass.result.fetched,
      });
    else
      written = store.saveImapHealth({
        mailbox: cfg.name,
        lastRunAt: pass.startedAt,
        lastError: errorText(cfg, pass.error),
        lastErrorAt: pass.endedAt,
        messagesLastRun: null,
      });
    // An asynchronous store (PostgreSQL) answers later: the caller may wait (`rebound poll` does,
    // before it closes the store).
    if (written instanceof Promise) return written.then(() => undefined, failed);
  } catch (err) {
    failed(err);
  }
}

export interface MailboxHealth {
  name: string;
  host: string;
  user: string;
  folders: string[];
  schedule: string;
  /**
   * 'off' when idle = false; else the IDLE connections' state in one word: 'down' when any watched
   * folder's connection is down, else 'connecting' while any connects, else 'idle'.
   */
  idle: string;
  /** Per configured folder: its IDLE connection's state, 'unwatched' past the cap; {} when idle = false. */
  idleFolders: Record<string, string>;
  running: boolean;
  lastRunAt: number | null;
  lastSuccessAt: number | null;
  lastErrorAt: number | null;
  lastError: string | null;
  consecutiveFailures: number;
  /** While backing off: no pass starts before this time (ms since epoch). */
  nextRetryAt: number | null;
  /** Messages found but not yet handled at the end of the last successful pass; null = unknown yet. */
  backlog: number | null;
  lastRun: Pick<PollResult, 'fetched' | 'stored' | 'duplicates' | 'durationMs' | 'stoppedBy'> | null;
  totals: { runs: number; failures: number; fetched: number; stored: number; duplicates: number };
}

export interface ImapPolling {
  /** Stop schedules, IDLE connections and retries; abort running passes and wait for them. */
  stop(): Promise<void>;
  health(): MailboxHealth[];
  /** Run one pass now (waits for a running one first). Rejects if the pass fails. */
  runNow(name: string): Promise<PollResult>;
}

export interface ImapPollingDeps {
  store: ImapPollStore;
  log?: Logger;
  clock?: () => number;
  /** Backoff after a failed pass: minMs doubling up to maxMs (defaults 30 s and 30 min). */
  backoff?: { minMs: number; maxMs: number };
  /** Run a pass right after start (default true), instead of waiting for the first cron tick. */
  runAtStart?: boolean;
  /** The verp.* config each pass judges return paths with, asked per pass so SIGHUP applies. */
  verp?: () => CheckOptions;
}

type Trigger = 'start' | 'schedule' | 'idle' | 'retry' | 'manual';

class MailboxRunner {
  private running: Promise<PollResult> | null = null;
  private again = false;
  private stopped = false;
  private abort: AbortController | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private task: ReturnType<typeof cron.schedule> | null = null;
  private watcher: Watcher | null = null;
  readonly h: MailboxHealth;

  constructor(
    readonly cfg: ImapMailboxConfig,
    private readonly deps: Required<Pick<ImapPollingDeps, 'clock' | 'backoff'>> & Pick<ImapPollingDeps, 'verp'> & { store: ImapPollStore },
    private readonly log: Logger,
  ) {
    this.h = {
      name: cfg.name,
      host: cfg.host,
      user: cfg.user,
      folders: [...cfg.folders],
      schedule: cfg.schedule,
      idle: cfg.idle ? 'connecting' : 'off',
      idleFolders: {},
      running: false,
      lastRunAt: null,
      lastSuccessAt: null,
      lastErrorAt: null,
      lastError: null,
      consecutiveFailures: 0,
      nextRetryAt: null,
      backlog: null,
      lastRun: null,
      totals: { runs: 0, failures: 0, fetched: 0, stored: 0, duplicates: 0 },
    };
    // What earlier runs (this daemon before a restart, or `rebound poll`) saved.
    const seed = (rows: Awaited<ReturnType<ImapPollStore['getImapHealth']>>): void => {
      const saved = rows[0];
      // A pass that already ran here knows better (an asynchronous store answers later).
      if (saved && this.h.totals.runs === 0) {
        this.h.lastRunAt = saved.lastRunAt;
        this.h.lastSuccessAt = saved.lastSuccessAt;
        this.h.lastError = saved.lastError;
        this.h.lastErrorAt = saved.lastErrorAt;
        this.h.backlog = saved.backlog;
      }
    };
    const unreadable = (err: unknown) => log.warn({ err: errorText(cfg, err) }, 'could not read saved IMAP mailbox health');
    try {
      const rows = deps.store.getImapHealth(cfg.name);
      if (rows instanceof Promise) rows.then(seed, unreadable);
      else seed(rows);
    } catch (err) {
      unreadable(err);
    }
  }

  private readonly saveFailed = (message: string): void => this.log.warn(message);

  start(runAtStart: boolean): void {
    this.task = cron.schedule(this.cfg.schedule, () => this.trigger('schedule'), { name: `imap:${this.cfg.name}` });
    if (this.cfg.idle) this.watcher = watchMailbox(this.cfg, { onNewMail: () => this.trigger('idle'), log: this.log });
    if (runAtStart) setImmediate(() => this.trigger('start'));
  }

  health(): MailboxHealth {
    return {
      ...this.h,
      idle: this.watcher ? this.watcher.state() : 'off',
      idleFolders: this.watcher ? this.watcher.folders() : {},
      folders: [...this.h.folders],
      totals: { ...this.h.totals },
    };
  }

  /** Start a pass unless one is running (then queue one) or we are backing off. Never throws. */
  trigger(why: Trigger): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    const now = this.deps.clock();
    if (why !== 'manual' && why !== 'retry' && this.h.nextRetryAt !== null && now < this.h.nextRetryAt) {
      this.log.debug({ why, nextRetryAt: new Date(this.h.nextRetryAt).toISOString() }, 'backing off; pass skipped');
      return;
    }
    this.run(why).catch(() => undefined);
  }

  async runNow(): Promise<PollResult> {
    if (this.stopped) throw new Error(`${describeMailbox(this.cfg)}: polling is stopped`);
    while (this.running) await this.running.catch(() => undefined);
    return this.run('manual');
  }

  private run(why: Trigger): Promise<PollResult> {
    const p = this.pass(why);
    this.running = p;
    this.h.running = true;
    const done = (): void => {
      if (this.running === p) this.running = null;
      this.h.running = false;
      if (this.again && !this.stopped) {
        this.again = false;
        setImmediate(() => this.trigger('idle'));
      }
    };
    p.then(done, done);
    return p;
  }

  private async pass(why: Trigger): Promise<PollResult> {
    const started = this.deps.clock();
    this.h.lastRunAt = started;
    this.h.totals.runs++;
    this.abort = new AbortController();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    try {
      const r = await pollMailbox(this.cfg, { store: this.deps.store, log: this.log, signal: this.abort.signal, clock: this.deps.clock, verp: this.deps.verp?.() });
      this.h.lastSuccessAt = this.deps.clock();
      this.h.consecutiveFailures = 0;
      this.h.nextRetryAt = null;
      this.h.backlog = r.backlog;
      this.h.lastRun = { fetched: r.fetched, stored: r.stored, duplicates: r.duplicates, durationMs: r.durationMs, stoppedBy: r.stoppedBy };
      this.h.totals.fetched += r.fetched;
      this.h.totals.stored += r.stored;
      this.h.totals.duplicates += r.duplicates;
      saveMailboxHealth(this.deps.store, this.cfg, { startedAt: started, endedAt: this.h.lastSuccessAt, result: r }, this.saveFailed);
      const line = { why, fetched: r.fetched, stored: r.stored, duplicates: r.duplicates, outcomes: r.outcomes, backlog: r.backlog, stoppedBy: r.stoppedBy, ms: r.durationMs };
      if (r.fetched > 0 || r.backlog > 0) this.log.info(line, 'IMAP pass done');
      else this.log.debug(line, 'IMAP pass done: nothing new');
      return r;
    } catch (err) {
      const now = this.deps.clock();
      const message = errorText(this.cfg, err);
      this.h.lastErrorAt = now;
      this.h.lastError = message;
      this.h.totals.failures++;
      // A pass aborted by stop() is not the mailbox's fault: keep it out of the table.
      if (this.stopped) throw err;
      saveMailboxHealth(this.deps.store, this.cfg, { startedAt: started, endedAt: now, error: err }, this.saveFailed);
      this.h.consecutiveFailures++;
      const { minMs, maxMs } = this.deps.backoff;
      const delay = Math.min(maxMs, minMs * 2 ** Math.min(this.h.consecutiveFailures - 1, 30));
      this.h.nextRetryAt = now + delay;
      this.log.error(
        { why, err: message, failures: this.h.consecutiveFailures, retryInMs: delay },
        'IMAP pass failed; will retry with backoff',
      );
      this.retryTimer = setTimeout(() => this.trigger('retry'), delay);
      this.retryTimer.unref();
      throw err;
    } finally {
      this.abort = null;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.task) await this.task.destroy();
    this.abort?.abort();
    const watcher = this.watcher;
    await Promise.all([watcher?.stop(), this.running?.catch(() => undefined)]);
  }
}

/** Start polling every configured mailbox. With no mailboxes this does nothing and costs nothing. */
export function startImapPolling(config: { mailboxes: readonly ImapMailboxConfig[] }, deps: ImapPollingDeps): ImapPolling {
  const log = deps.log ?? child('imap');
  const runners = config.mailboxes.map(
    (cfg) =>
      new MailboxRunner(
        cfg,
        { store: deps.store, clock: deps.clock ?? Date.now, backoff: deps.backoff ?? { minMs: 30_000, maxMs: 30 * 60_000 }, verp: deps.verp },
        log.child({ mailbox: cfg.name }),
      ),
  );
  for (const r of runners) {
    // tls = "none" is meant for a server on the same host; anywhere else the password travels in clear.
    if (r.cfg.tls === 'none' && !/^(127\.|::1$|localhost$)/i.test(r.cfg.host))
      log.warn({ mailbox: r.cfg.name, host: r.cfg.host }, 'IMAP without TLS to a host that is not loopback: the password is sent in clear');
    r.start(deps.runAtStart ?? true);
  }
  return {
    health: () => runners.map((r) => r.health()),
    runNow: (name) => {
      const r = runners.find((x) => x.cfg.name === name);
      if (!r) return Promise.reject(new Error(`no IMAP mailbox named "${name}"`));
      return r.runNow();
    },
    stop: async () => {
      await Promise.all(runners.map((r) => r.stop()));
    },
  };
}
