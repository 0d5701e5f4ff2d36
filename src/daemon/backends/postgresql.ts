/**
 * daemon/backends/postgresql - the daemon's shared store (store.backend = "postgresql"): several
 * rebound daemons, one per MX host, on one database (docs/SCALE-OUT.md). Nothing runs in a thread
 * of its own here: the database server does the writer's, the checkpointer's and the readers' work.
 *
 * Per host: intake answers 250 only after the message's PostgreSQL COMMIT (AsyncGroupCommitter,
 * intake/group-commit.ts: messages finished in one event-loop turn share one INSERT); the
 * scheduler (pipeline/scheduler.ts, in this thread) claims pending messages with SKIP LOCKED,
 * those this host received first and then, every SWEEP_MS, any left pending by another host (one
 * that died mid-batch: its transaction rolled back); their analyses run in the daemon's analysis
 * worker, under the same budget as on SQLite. The status socket answers from PostgreSQL through
 * the one command table (control/commands.ts), its reads done first (pgControlAnswer); the Postfix
 * socketmap and policy listeners look up the keys of each batch of requests first (pgPrefetch).
 * IMAP mailboxes may be configured on every host: a folder is polled by the holder of its lease
 * (pgImapStore). Not on PostgreSQL: control reader processes (answered here), the WAL checkpoint
 * and file backup jobs (SQLite things: pg_dump, docs/SCALE-OUT.md).
 * Config keys: store.url, store.poolSize, store.tls, store.tlsCa, store.password*, state.*, jobs.*.
 */
import { hostname } from 'node:os';
import { ConfigError, storePassword } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { runCommand, type CommandContext, type ControlStore } from '../../control/commands.js';
import { DaemonError } from '../../errors.js';
import { AsyncGroupCommitter } from '../../intake/group-commit.js';
import type { ImapPollStore } from '../../jobs/poll-imap.js';
import { child } from '../../log.js';
import type { metrics } from '../../metrics.js';
import { PgPipeline } from '../../pipeline/postgresql.js';
import { INTAKE_BUSY_MS, Scheduler } from '../../pipeline/scheduler.js';
import type { AddressStatus, HistoryEntry, MayISend, Stats } from '../../store/index.js';
import { describeUrl, openPgStore, type PgStore } from '../../store/postgresql/index.js';
import type { BackendDeps, DaemonBackend } from '../backend.js';

const log = child('daemon');
/** How often a host looks for messages left pending by another (a daemon killed mid-batch). */
const SWEEP_MS = 2000;

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

export function postgresqlBackend(config: Config, deps: BackendDeps): DaemonBackend {
  const cs = config.store;
  if (cs.url === undefined) throw new ConfigError('store.url: required when store.backend = "postgresql"');
  const url = cs.url;
  const owner = `${hostname()}:${process.pid}`;
  let store: PgStore | undefined;
  let pipeline: PgPipeline | undefined;
  let sweep: NodeJS.Timeout | undefined;
  const committers: AsyncGroupCommitter[] = [];
  // Processing runs in this thread: claims and writes are round trips, the analyses the worker's.
  const processor = new Scheduler(
    { processPending: (limit) => pipeline!.processPending(limit), processIds: (ids) => pipeline!.processClaimIds(ids) },
    () => committers.some((c) => Date.now() - c.lastCommitAt < INTAKE_BUSY_MS),
  );
  const opened = (): PgStore => {
    if (!store) throw new DaemonError('internal', 'store: the PostgreSQL store is not open yet');
    return store;
  };

  return {
    name: 'postgresql',
    async open() {
      const password = storePassword(cs);
      try {
        store = await openPgStore({
          url,
          poolSize: cs.poolSize,
          tls: cs.tls,
          ...(cs.tlsCa ? { tlsCa: cs.tlsCa } : {}),
          ...(password !== undefined ? { password } : {}),
          applicationName: `rebound ${owner}`,
          state: config.state,
          onIdleError: (err) => log.warn({ err: err.message }, 'store: an idle database connection failed; it is replaced on next use'),
        });
      } catch (err) {
        // Name the database (without a password) and what went wrong; exit 1, systemd retries.
        throw new Error(`store: cannot open the PostgreSQL store at ${describeUrl(url)}: ${(err as Error).message}`, { cause: err });
      }
      log.info({ store: describeUrl(url), owner }, 'store: PostgreSQL');
      const warn = await store.durabilityWarning().catch(() => '');
      if (warn) log.warn(warn);
      pipeline = new PgPipeline(store, { analyze: deps.analyze, attribute: deps.attribute });
      processor.sweepPending();
      sweep = setInterval(() => processor.sweepPending(), SWEEP_MS);
      sweep.unref();
    },
    committer(source) {
      const c = new AsyncGroupCommitter(opened(), (ids) => processor.enqueue(ids, source));
      committers.push(c);
      return c;
    },
    backlog: () => processor.backlog(),
    pipelineWrites: () => processor.writes.state(),
    analysisStats: () => [],
    control(needs) {
      const unused = (): never => {
        throw new Error('answered from PostgreSQL');
      };
      return {
        store: { mayISend: unused, addressStatus: unused, history: unused, stats: unused },
        remote: pgControlAnswer(opened(), { startedAt: Date.now() }, needs),
        remoteAll: true,
        prefetch: pgPrefetch(opened()),
      };
    },
    // Every host may be configured with the same mailboxes; a folder is polled by the holder of
    // its lease only, the others skip it for that pass.
    imapStore: () => pgImapStore(opened(), pipeline!, owner),
    // Prune only: PostgreSQL has its own checkpointer, and its backups are pg_dump's or the
    // operator's base backups.
    jobs(cfg) {
      if (cfg.backup.enabled) log.warn('jobs.backup: not run on PostgreSQL; back the database up with pg_dump (docs/SCALE-OUT.md)');
      const s = opened();
      return {
        cfg: { ...cfg, checkpoint: { ...cfg.checkpoint, enabled: false }, backup: { ...cfg.backup, enabled: false } },
        store: {
          prune: (m, e) => s.prune(m, e),
          checkpoint: () => undefined,
          backup: () => Promise.reject(new Error('backups of a PostgreSQL store are made with pg_dump')),
        },
      };
    },
    // Attribution reads the daemon's config (deps.attribute): nothing kept here.
    reload: () => undefined,
    async drain() {
      if (sweep) clearInterval(sweep);
      await processor.stop();
    },
    async close() {
      await store?.close().catch(() => undefined);
    },
  };
}
