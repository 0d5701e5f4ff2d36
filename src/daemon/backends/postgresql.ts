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
 * (jobs/poll-imap.ts imapPollStore, store/postgresql/imap-state.ts). Not on PostgreSQL: control reader processes (answered here), the WAL checkpoint
 * and file backup jobs (SQLite things: pg_dump, docs/SCALE-OUT.md).
 * Config keys: store.url, store.poolSize, store.tls, store.tlsCa, store.password*, state.*, jobs.*,
 * verp.* (the store's legacyVerp).
 */
import { hostname } from 'node:os';
import { ConfigError, storePassword } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { runCommand, type CommandContext, type ControlStore } from '../../control/commands.js';
import { DaemonError } from '../../errors.js';
import { AsyncGroupCommitter } from '../../intake/group-commit.js';
import { child } from '../../log.js';
import type { metrics } from '../../metrics.js';
import type { Pipeline } from '../../pipeline/run.js';
import { INTAKE_BUSY_MS, Scheduler } from '../../pipeline/scheduler.js';
import type { AddressStatus, HistoryEntry, MayISend, Stats, StoreApi } from '../../store/index.js';
import type { PgStore } from '../../store/postgresql/index.js';
import { verpOptions, type BackendDeps, type DaemonBackend } from '../backend.js';

const log = child('daemon');
/** How often a host looks for messages left pending by another (a daemon killed mid-batch). */
const SWEEP_MS = 2000;

/**
 * The status socket's answers from PostgreSQL: what a command reads is fetched first
 * (asynchronously), then the one command table answers from it, so the replies are those of the
 * SQLite daemon, with the same decision function. Lines this cannot answer return undefined
 * (help, quit, unknown verbs): the command table answers them itself.
 */
function pgControlAnswer(store: StoreApi, ctx: CommandContext, deps: { now?: () => number; metrics?: typeof metrics; health?: () => Record<string, { ok: boolean; detail?: string }>; extraStats?: () => Record<string, unknown> }) {
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
function pgPrefetch(store: Pick<StoreApi, 'mayISend'>) {
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

export function postgresqlBackend(config: Config, deps: BackendDeps): DaemonBackend {
  const cs = config.store;
  if (cs.url === undefined) throw new ConfigError('store.url: required when store.backend = "postgresql"');
  const url = cs.url;
  const owner = `${hostname()}:${process.pid}`;
  let store: PgStore | undefined;
  let pipeline: Pipeline | undefined;
  let sweep: NodeJS.Timeout | undefined;
  const committers: AsyncGroupCommitter[] = [];
  // Processing runs in this thread: claims and writes are round trips, the analyses the worker's.
  const processor = new Scheduler(
    { processPending: (limit, o) => pipeline!.processPending(limit, o), processClaimIds: (ids, o) => pipeline!.processClaimIds(ids, o) },
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
      // The driver is loaded only here: a daemon on SQLite never loads it.
      const { describeUrl, openPgStore } = await import('../../store/postgresql/index.js');
      try {
        store = await openPgStore({
          url,
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
        throw new Error(`store: cannot open the PostgreSQL store at ${describeUrl(url)}: ${(err as Error).message}`, { cause: err });
      }
      log.info({ store: describeUrl(url), owner }, 'store: PostgreSQL');
      const warn = await store.durabilityWarning().catch(() => '');
      if (warn) log.warn(warn);
      pipeline = deps.pipeline(store);
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
    store: opened,
    pipeline: () => {
      opened();
      return pipeline!;
    },
    // Prune only: PostgreSQL has its own checkpointer, and its backups are pg_dump's or the
    // operator's base backups.
    jobs(cfg) {
      if (cfg.backup.enabled) log.warn('jobs.backup: not run on PostgreSQL; back the database up with pg_dump (docs/SCALE-OUT.md)');
      return { ...cfg, checkpoint: { ...cfg.checkpoint, enabled: false }, backup: { ...cfg.backup, enabled: false } };
    },
    async drain() {
      if (sweep) clearInterval(sweep);
      await processor.stop();
    },
    async close() {
      await store?.close().catch(() => undefined);
    },
  };
}
