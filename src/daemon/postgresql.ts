/**
 * daemon/postgresql - the daemon on the PostgreSQL store (store.backend = "postgresql"):
 * several rebound daemons, one per MX host, share one database. Built from the same parts as
 * daemon.ts - SMTP/LMTP intake, the scheduler, the status socket, the IMAP poller, housekeeping -
 * with the store calls awaited: the store seam (store/api.ts) is synchronous, as better-sqlite3
 * is, and PostgreSQL answers later, so this is daemon.ts's asynchronous twin. (One asynchronous
 * seam for both backends would let one daemon serve both: not done.)
 *
 * Per host: intake answers 250 only after the message's PostgreSQL COMMIT (PgCommitter: messages
 * finished in one event-loop turn share one INSERT); the scheduler claims pending messages with
 * SKIP LOCKED, those this host received first and then, every SWEEP_MS, any left pending by
 * another host (one that died mid-batch: its transaction rolled back). The status socket answers
 * from PostgreSQL through the one command table (control/commands.ts), its reads done first.
 * IMAP mailboxes may be configured on every host: a folder is polled by the holder of its lease
 * (pgImapStore). The Postfix socketmap and policy listeners look up the keys of each batch of
 * requests first (pgPrefetch). Not on PostgreSQL: control reader processes (answered here), the
 * WAL checkpoint and file backup jobs (SQLite things: pg_dump, docs/SCALE-OUT.md).
 * Config keys: store.url, store.poolSize, store.tls, store.tlsCa, store.password*, state.*, intake.*,
 * verp.*, control.socket/tcp, jobs.prune.*, log.level.
 */
import { hostname } from 'node:os';
import type { Config } from '../config/schema.js';
import { ConfigError, storePassword } from '../config/load.js';
import { runCommand, type CommandContext, type ControlStore } from '../control/commands.js';
import { startControl, type ControlHandle } from '../control/server.js';
import { DaemonError } from '../errors.js';
import type { Committer, SaveOutcome } from '../intake/group-commit.js';
import { createSmtpIntake, type SmtpIntake } from '../intake/smtp.js';
import { startImapPolling, type ImapPolling, type ImapPollStore } from '../jobs/poll-imap.js';
import { startJobs, type JobsHandle } from '../jobs/schedule.js';
import { child, setLogLevel } from '../log.js';
import { metrics, startMetricsHttp } from '../metrics.js';
import { INTAKE_BUSY_MS, Scheduler } from '../pipeline/scheduler.js';
import { PgPipeline } from '../pipeline/postgresql.js';
import type { AddressStatus, HistoryEntry, MayISend, Stats } from '../store/index.js';
import { describeUrl, openPgStore, type PgStore } from '../store/postgresql/index.js';
import type { Envelope, SourceKind } from '../types.js';
import { verpOptions, type Daemon, type DaemonDeps } from './daemon.js';

const log = child('daemon');
/** How often a host looks for messages left pending by another (a daemon killed mid-batch). */
const SWEEP_MS = 2000;
/** Messages per intake INSERT; what finishes while one commits makes the next. */
const MAX_BATCH = 200;
/** Intake commits in flight at once (each holds one pooled connection). */
const MAX_INFLIGHT = 4;

/**
 * Intake's committer on PostgreSQL: done(null, {id, duplicate}) once the row is committed, so the
 * 250 follows the COMMIT; done(err) (451 upstream) when the database fails or cannot be reached.
 */
export class PgCommitter implements Committer {
  private queue: { env: Envelope; raw: Buffer; done: (err: unknown, r?: SaveOutcome) => void }[] = [];
  private scheduled = false;
  private inflight = 0;
  private idle: (() => void)[] = [];
  lastCommitAt = 0;

  constructor(
    private readonly store: Pick<PgStore, 'saveMessages'>,
    private readonly onCommitted: (ids: number[], envs: Envelope[]) => void,
  ) {}

  add(env: Envelope, raw: Buffer, done: (err: unknown, r?: SaveOutcome) => void): void {
    this.queue.push({ env, raw, done });
    this.schedule();
  }

  drained(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  private isIdle(): boolean {
    return this.queue.length === 0 && this.inflight === 0 && !this.scheduled;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    while (this.queue.length > 0 && this.inflight < MAX_INFLIGHT) {
      const batch = this.queue.splice(0, MAX_BATCH);
      this.inflight++;
      // Uncompressed: gzip is the largest cost of an acknowledgement; the pipeline packs later.
      void this.store.saveMessages(batch.map(({ env, raw }) => ({ env, raw })), { compress: false }).then(
        (results) => {
          this.lastCommitAt = Date.now();
          batch.forEach((b, i) => b.done(null, results[i]!));
          const ids: number[] = [];
          const envs: Envelope[] = [];
          results.forEach((r, i) => {
            if (r.duplicate) return;
            ids.push(r.id);
            envs.push(batch[i]!.env);
          });
          try {
            this.onCommitted(ids, envs);
          } catch {
            // best effort: the sweep finds pending rows
          }
        },
        (err: unknown) => {
          const e = err instanceof DaemonError ? err : new DaemonError('store-write', `store: ${(err as Error)?.message ?? String(err)}`, { cause: err });
          for (const b of batch) b.done(e);
        },
      ).finally(() => {
        this.inflight--;
        if (this.queue.length > 0) this.schedule();
        else if (this.isIdle()) for (const r of this.idle.splice(0)) r();
      });
    }
    if (this.isIdle()) for (const r of this.idle.splice(0)) r();
  };
}

/**
 * The status socket's answers from PostgreSQL: what a command reads is fetched first
 * (asynchronously), then the one command table answers from it, so the replies are those of the
 * SQLite daemon, with the same decision function. Lines this cannot answer return undefined
 * (help, quit, unknown verbs): the command table answers them itself.
 */
export function pgControlAnswer(store: PgStore, ctx: CommandContext, deps: { now?: () => number; metrics?: typeof metrics; health?: () => Record<string, { ok: boolean; detail?: string }>; extraStats?: () => Record<string, unknown> }) {
  return (line: string): Promise<string> | undefined => {
    const words = line.trim().split(/\s+/).filter(Boolean);
    const verb = (words[0] ?? '').toLowerCase();
    if (!['check', 'status', 'history', 'stats', 'health'].includes(verb)) return undefined;
    return (async () => {
      const now = deps.now?.() ?? Date.now();
      let status: AddressStatus | Error | undefined;
      let history: HistoryEntry[] | undefined;
      let stats: Stats | undefined;
      const address = verb === 'health' ? 'health-check@rebound.invalid' : words[1];
      if ((verb === 'check' || verb === 'status' || verb === 'health') && address !== undefined) {
        status = await store.addressStatus(address, now).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
      }
      if (verb === 'history' && address !== undefined) {
        const n = Number(words[2] ?? 20);
        history = await store.history(address, Number.isInteger(n) && n >= 1 && n <= 1000 ? n : 20);
      }
      if (verb === 'stats') stats = await store.stats(now);
      const fetched: ControlStore = {
        mayISend: () => {
          if (status instanceof Error) throw status;
          return status!.mayISend;
        },
        addressStatus: () => {
          if (status instanceof Error) throw status;
          return status!;
        },
        history: () => history ?? [],
        stats: () => stats!,
      };
      const reply = runCommand(line, { store: fetched, metrics: deps.metrics, health: deps.health, extraStats: deps.extraStats, now: () => now }, ctx);
      return JSON.stringify(reply === 'quit' ? { ok: true } : reply);
    })();
  };
}

/**
 * Postfix's socketmap and policy lookups on PostgreSQL: the keys of the requests that arrived
 * together are looked up at once (one query each, in parallel on the pool), then answered from
 * those results by the usual decision (control/commands.ts suppressionFor). A key whose lookup
 * failed answers as a store error (control.failOpen decides).
 */
export function pgPrefetch(store: PgStore) {
  return async (keys: string[], now: number | undefined): Promise<ControlStore> => {
    const unique = [...new Set(keys)];
    const got = new Map<string, MayISend | Error>();
    await Promise.all(
      unique.map(async (k) => {
        got.set(k, await store.mayISend(k, now).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err)))));
      }),
    );
    const answer = (k: string): MayISend => {
      const m = got.get(k);
      if (m === undefined) throw new Error('lookup not prefetched');
      if (m instanceof Error) throw m;
      return m;
    };
    const unused = (): never => {
      throw new Error('not a lookup');
    };
    return { mayISend: answer, addressStatus: unused, history: unused, stats: unused };
  };
}

/** How long a host holds an IMAP folder's lease without renewing it (each batch renews it). */
const IMAP_LEASE_MS = 120_000;

/**
 * The IMAP poller's store on PostgreSQL: a folder is polled only under this host's lease
 * (`owner`), and its cursor is written only while the lease is still held - a host that stalled
 * past its lease fails its pass instead of moving the cursor the new holder uses (what it
 * committed meanwhile is a duplicate for the new holder, recognised by content).
 */
export function pgImapStore(s: PgStore, pipeline: PgPipeline, owner: string, leaseMs = IMAP_LEASE_MS): ImapPollStore {
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

export function createPgDaemon(initial: Config, deps: DaemonDeps = {}): Omit<Daemon, 'store'> & { readonly store: () => PgStore | undefined } {
  let config = initial;
  setLogLevel(config.log.level);
  const cs = config.store;
  if (cs.url === undefined) throw new ConfigError('store.url: required when store.backend = "postgresql"');
  const owner = `${hostname()}:${process.pid}`;
  let store: PgStore | undefined;
  let processor: Scheduler | undefined;
  let sweep: NodeJS.Timeout | undefined;
  const intakes: SmtpIntake[] = [];
  const committers: PgCommitter[] = [];
  let control: ControlHandle | undefined;
  let metricsHttp: Awaited<ReturnType<typeof startMetricsHttp>>;
  let jobs: JobsHandle | undefined;
  let imap: ImapPolling | undefined;
  let stopping: Promise<void> | undefined;

  const health = (): Record<string, { ok: boolean; detail?: string }> => {
    const h: Record<string, { ok: boolean; detail?: string }> = {};
    for (const i of intakes) h[i.protocol] = { ok: true, detail: JSON.stringify(i.address()) };
    h.processor = { ok: true, detail: `${processor?.backlog() ?? 0} queued` };
    for (const j of jobs?.status() ?? []) if (j.enabled) h[`job:${j.name}`] = { ok: j.lastError === null, detail: j.lastError ?? undefined };
    for (const m of imap?.health() ?? [])
      h[`imap:${m.name}`] = { ok: m.consecutiveFailures === 0, detail: m.lastError ?? `backlog ${m.backlog ?? 'unknown'}` };
    return h;
  };

  return {
    store: () => store,
    async start() {
      const password = storePassword(cs);
      try {
        store = await openPgStore({
          url: cs.url!,
          poolSize: cs.poolSize,
          tls: cs.tls,
          ...(cs.tlsCa ? { tlsCa: cs.tlsCa } : {}),
          ...(password !== undefined ? { password } : {}),
          applicationName: `rebound ${owner}`,
          state: config.state,
          legacyVerp: verpOptions(config.verp),
          onIdleError: (err) => log.warn({ err: err.message }, 'store: an idle database connection failed; it is replaced on next use'),
        });
      } catch (err) {
        // Name the database (without a password) and what went wrong; exit 1, systemd retries.
        throw new Error(`store: cannot open the PostgreSQL store at ${describeUrl(cs.url!)}: ${(err as Error).message}`, { cause: err });
      }
      log.info({ store: describeUrl(cs.url!), owner }, 'store: PostgreSQL');
      const warn = await store.durabilityWarning().catch(() => '');
      if (warn) log.warn(warn);
      const s = store;
      const pipeline = new PgPipeline(s);
      processor = new Scheduler(
        { processPending: (limit) => pipeline.processPending(limit), processIds: (ids) => pipeline.processClaimIds(ids) },
        () => committers.some((c) => Date.now() - c.lastCommitAt < INTAKE_BUSY_MS),
      );
      processor.sweepPending();
      sweep = setInterval(() => processor?.sweepPending(), SWEEP_MS);
      sweep.unref();

      const ctx: CommandContext = { startedAt: Date.now() };
      const unused = (): never => {
        throw new Error('answered from PostgreSQL');
      };
      const extraStats = () => ({ processingQueue: processor?.backlog() ?? 0 });
      control = await startControl(config.control, {
        store: { mayISend: unused, addressStatus: unused, history: unused, stats: unused },
        remote: pgControlAnswer(s, ctx, { metrics, health, extraStats }),
        remoteAll: true,
        prefetch: pgPrefetch(s),
        metrics,
        health,
        imap: () => imap?.health() ?? [],
        extraStats,
      });
      metricsHttp = await startMetricsHttp(config.metrics.http, metrics);

      const verp = verpOptions(config.verp);
      const committerFor = (source: SourceKind): Committer => {
        const c = new PgCommitter(s, (ids) => processor?.enqueue(ids, source));
        committers.push(c);
        return c;
      };
      const limits = {
        hostname: config.intake.smtp.hostname,
        maxClients: config.intake.smtp.maxClients,
        maxMessageBytes: config.intake.smtp.maxMessageBytes,
        socketTimeoutMs: config.intake.smtp.socketTimeoutMs,
        commandTimeoutMs: config.intake.smtp.commandTimeoutMs,
        minDataRate: config.intake.smtp.minDataRate,
        hardErrorLimit: config.intake.smtp.hardErrorLimit,
        tls: config.intake.smtp.tls,
      };
      if (config.intake.smtp.enabled)
        intakes.push(createSmtpIntake({ protocol: 'smtp', listen: config.intake.smtp, limits, verp }, { committer: committerFor('smtp') }));
      if (config.intake.lmtp.enabled)
        intakes.push(createSmtpIntake({ protocol: 'lmtp', listen: config.intake.lmtp, limits, verp }, { committer: committerFor('lmtp') }));
      for (const i of intakes) await i.start();

      // IMAP: every host may be configured with the same mailboxes; a folder is polled by the
      // holder of its lease only (pgImapStore), the others skip it for that pass.
      if (config.imap.mailboxes.length > 0) imap = startImapPolling(config.imap, { store: pgImapStore(s, pipeline, owner), verp: () => verpOptions(config.verp) });

      // Housekeeping: prune only. The WAL checkpoint and file backups are SQLite's; PostgreSQL has
      // its own checkpointer, and its backups are pg_dump's or the operator's base backups.
      if (config.jobs.backup.enabled) log.warn('jobs.backup: not run on PostgreSQL; back the database up with pg_dump (docs/SCALE-OUT.md)');
      jobs = startJobs(
        { ...config.jobs, checkpoint: { ...config.jobs.checkpoint, enabled: false }, backup: { ...config.jobs.backup, enabled: false } },
        {
          store: {
            prune: (m, e) => s.prune(m, e),
            checkpoint: () => undefined,
            backup: () => Promise.reject(new Error('backups of a PostgreSQL store are made with pg_dump')),
          },
          metrics,
        },
      );
      log.info({ addresses: this.addresses() }, 'started');
    },

    stop() {
      stopping ??= (async () => {
        log.info('stopping: no new sessions; finishing those in flight');
        if (sweep) clearInterval(sweep);
        await jobs?.stop().catch((err: unknown) => log.error({ err }, 'jobs stop failed'));
        await imap?.stop().catch((err: unknown) => log.error({ err }, 'imap stop failed'));
        await Promise.all(intakes.map((i) => i.stop().catch((err: unknown) => log.error({ err }, 'intake stop failed'))));
        await processor?.stop();
        await metricsHttp?.stop().catch(() => undefined);
        await control?.stop().catch(() => undefined);
        await store?.close().catch(() => undefined);
        log.info('stopped');
      })();
      return stopping;
    },

    reload() {
      if (!deps.reloadConfig) return;
      let next: Config;
      try {
        next = deps.reloadConfig();
      } catch (err) {
        log.error({ err: (err as Error).message }, 'reload: config rejected; keeping the running one');
        return;
      }
      const changed = (Object.keys(next) as (keyof Config)[]).filter((k) => JSON.stringify(next[k]) !== JSON.stringify(config[k]));
      config = next;
      setLogLevel(config.log.level);
      for (const i of intakes) i.setVerp(verpOptions(config.verp));
      const needRestart = changed.filter((k) => k !== 'verp' && k !== 'log');
      log.info({ changed, applied: changed.filter((k) => k === 'verp' || k === 'log'), needRestart }, 'reloaded');
    },

    addresses() {
      const out: Record<string, unknown> = {};
      for (const i of intakes) out[i.protocol] = i.address();
      if (control) out.control = control.addresses;
      if (metricsHttp) out.metrics = metricsHttp.address();
      return out;
    },
  };
}
