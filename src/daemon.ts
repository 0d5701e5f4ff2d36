/**
 * daemon - build rebound's long-running components from Config, start them in order and stop
 * them in reverse (maddy lifetime.go). In: a frozen Config (and a way to reload it). Out: a
 * running daemon; stop() drains.
 *
 * Start order: store -> processor (pending rows left by a crash first) -> control socket ->
 * metrics http -> SMTP -> LMTP -> IMAP polling -> housekeeping jobs. Stop is the reverse:
 * listeners stop accepting and let sessions in DATA finish and commit, the processor finishes its current batch (what is left
 * stays pending for the next start), then the control socket and the database close.
 * SIGHUP (reload()): re-read the config; VERP rules and log level apply at once, other changes
 * are logged as needing a restart. A bad config on reload is logged and the old one kept.
 * The pipeline runs in-thread, a batch per turn between I/O turns (throttled during SMTP bursts); REBOUND_PIPELINE_WORKER=1
 * moves it to a worker thread with its own store connection (daemon-worker.ts).
 * Config keys: all sections; each component gets only its slice.
 */
import { child, setLogLevel } from './log.js';
import type { Config } from './config/schema.js';
import { openStore, type Store } from './store/index.js';
import { GroupCommitter, createSmtpIntake, type SmtpIntake } from './intake/smtp.js';
import { attributeByVerp, type CheckOptions } from './verp/sign.js';
import { startControl, type ControlHandle } from './control/server.js';
import { metrics, startMetricsHttp } from './metrics.js';
import { startImapPolling, type ImapPolling } from './jobs/poll-imap.js';
import { startJobs, type JobsHandle } from './jobs/schedule.js';
import type { SourceKind } from './types.js';
import { Worker } from 'node:worker_threads';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

const log = child('daemon');

/** Messages per pipeline turn (one transaction): ~0.2-0.3 ms each, so a turn stays near 10 ms. */
const PROCESS_BATCH = 40;
/** Pause between pipeline turns while intake is busy (a commit in the last INTAKE_BUSY_MS): a
 *  trickle, so a long burst still sees some progress; the rest waits for the end of the burst. */
const BUSY_PAUSE_MS = 1000;
const INTAKE_BUSY_MS = 200;
/** Messages per pipeline turn while intake is busy. */
const BUSY_BATCH = 10;
/** Event-loop utilisation between two batches under which the loop counts as having time to spare. */
const SPARE_UTILIZATION = 0.5;
/** How long a committed message may wait for the pipeline before spare event-loop time is used. */
const MAX_DEFER_MS = 10_000;

/** The VERP slice as intake's RCPT check wants it. */
export function verpOptions(cfg: Config['verp']): CheckOptions {
  return {
    domains: cfg.domains,
    prefix: cfg.prefix,
    delimiter: cfg.delimiter,
    equals: cfg.equals,
    keys: cfg.keys,
    maxAgeDays: cfg.maxAgeDays,
    requireSignature: cfg.requireSignature,
  };
}

/**
 * Runs the pipeline on committed messages a batch at a time, yielding to the event loop between
 * batches so that parsing never holds up SMTP replies for long. While intake is committing (a
 * burst), it runs one batch per BUSY_PAUSE_MS only, so acks keep the CPU; what waits is durable
 * (pending) and is caught up back to back as soon as the burst ends. Its commits skip the fsync
 * (relaxed): the results are derived from the stored raw message, and the next intake sync or
 * checkpoint writes them out anyway.
 */
class Processor {
  private queue: { id: number; source: SourceKind | 'pending'; at: number }[] = [];
  private running = false;
  private stopped = false;
  private pendingSweep = true;
  private idle: (() => void)[] = [];
  /** Event-loop utilisation when the last batch ended (null: start of a run). */
  private sinceBatch: EventLoopUtilization | null = null;
  private lastBatchAt = 0;

  constructor(
    private readonly store: Store,
    /** True while intake is committing: processing then runs at a reduced duty cycle. */
    private readonly intakeBusy: () => boolean = () => false,
    private readonly batch = PROCESS_BATCH,
  ) {}

  enqueue(ids: number[], source: SourceKind): void {
    const at = Date.now();
    for (const id of ids) this.queue.push({ id, source, at });
    this.kick();
  }

  /** Process rows left pending (crash, or IMAP/CLI writers) before new arrivals. */
  sweepPending(): void {
    this.pendingSweep = true;
    this.kick();
  }

  private kick(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    this.sinceBatch = null;
    // During a burst a new arrival does not start a batch before the pause after the last one.
    const wait = this.intakeBusy() ? this.lastBatchAt + BUSY_PAUSE_MS - Date.now() : 0;
    if (wait > 0) setTimeout(this.step, wait);
    else setImmediate(this.step);
  }

  private readonly step = (): void => {
    if (this.stopped) return this.finish();
    try {
      if (this.pendingSweep) {
        const t0 = Date.now();
        const n = this.store.processPending(this.batch, { relaxed: true });
        if (n > 0) metrics.latency.observe({ source: 'pending' }, (Date.now() - t0) / 1000 / n);
        if (n < this.batch) this.pendingSweep = false;
      } else {
        // A small batch while intake is busy: it blocks the acks for a few ms only.
        const items = this.queue.splice(0, this.intakeBusy() ? BUSY_BATCH : this.batch);
        const outcomes = this.store.processIds(
          items.map((i) => i.id),
          { relaxed: true },
        );
        const now = Date.now();
        outcomes.forEach((o, i) => {
          const it = items[i]!;
          if (!o.skipped) metrics.recordOutcome(it.source, o.state, (now - it.at) / 1000, o.categories);
          log.debug({ id: o.id, state: o.state, type: o.messageType, events: o.events, error: o.error }, 'processed');
        });
      }
    } catch (err) {
      // The rows stay pending; the next start (or the next sweep) retries them.
      log.error({ err }, 'processing failed; messages stay pending');
      this.queue.length = 0;
    }
    // Acks come first: while intake is busy, wait BUSY_PAUSE_MS between batches; what is not
    // processed yet is safe in the store (pending) and is caught up back to back when the burst
    // ends. Once the oldest waiting message is MAX_DEFER_MS old (traffic that never pauses), the
    // pipeline also runs whenever the event loop had time to spare since the last batch, so a
    // backlog cannot grow for ever behind steady traffic the daemon could keep up with.
    const overdue = this.pendingSweep || (this.queue.length > 0 && Date.now() - this.queue[0]!.at > MAX_DEFER_MS);
    const spare =
      overdue && (this.sinceBatch === null || performance.eventLoopUtilization(this.sinceBatch).utilization < SPARE_UTILIZATION);
    this.sinceBatch = performance.eventLoopUtilization();
    this.lastBatchAt = Date.now();
    if (this.pendingSweep || this.queue.length > 0) {
      if (this.intakeBusy() && !spare) setTimeout(this.step, BUSY_PAUSE_MS);
      else setImmediate(this.step);
    } else this.finish();
  };

  private finish(): void {
    this.running = false;
    for (const r of this.idle.splice(0)) r();
  }

  /** Stop after the current batch; what is not processed stays pending in the store. */
  stop(): Promise<void> {
    this.stopped = true;
    if (!this.running) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  /** Resolves when nothing is queued (tests). */
  drained(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  backlog(): number {
    return this.queue.length;
  }
}

/** The same job as Processor, in a worker thread (daemon-worker.ts): the pipeline gets its own core. */
class WorkerProcessor {
  private worker: Worker;
  private queued = 0;
  private stopped: Promise<void> | undefined;

  constructor(private readonly storeOptions: { path: string; busyTimeoutMs: number; state: Config['state']; verp: Config['verp'] }) {
    this.worker = this.spawn();
  }

  private spawn(): Worker {
    const w = new Worker(new URL('./daemon-worker.js', import.meta.url), { workerData: this.storeOptions });
    w.on('message', (m: { type: string; outcomes?: { id: number; state: string; skipped: boolean; categories: number[]; error?: string }[]; source?: string; at?: number; message?: string }) => {
      if (m.type === 'done' && m.outcomes) {
        this.queued = Math.max(0, this.queued - m.outcomes.length);
        const now = Date.now();
        for (const o of m.outcomes) {
          if (!o.skipped) metrics.recordOutcome(m.source ?? 'pending', o.state, (now - (m.at ?? now)) / 1000, o.categories);
          log.debug({ id: o.id, state: o.state, error: o.error }, 'processed');
        }
      } else if (m.type === 'error') {
        this.queued = 0;
        log.error({ err: m.message }, 'processing failed; messages stay pending');
      }
    });
    w.on('error', (err) => {
      // A crashed pipeline must not take intake down: start a new worker, which sweeps pending rows.
      log.error({ err }, 'processing worker crashed; restarting it');
      this.queued = 0;
      if (!this.stopped) this.worker = this.spawn();
    });
    return w;
  }

  enqueue(ids: number[], source: SourceKind): void {
    if (ids.length === 0 || this.stopped) return;
    this.queued += ids.length;
    this.worker.postMessage({ type: 'process', ids, source, at: Date.now() });
  }

  sweepPending(): void {
    this.worker.postMessage({ type: 'sweep' });
  }

  stop(): Promise<void> {
    this.stopped ??= new Promise<void>((resolve) => {
      const w = this.worker;
      const t = setTimeout(() => void w.terminate(), 10_000);
      w.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      w.postMessage({ type: 'stop' });
    });
    return this.stopped;
  }

  backlog(): number {
    return this.queued;
  }
}

export interface DaemonDeps {
  /** Re-read the config for SIGHUP; throws ConfigError when the file is bad. */
  reloadConfig?: () => Config;
}

export interface Daemon {
  start(): Promise<void>;
  stop(): Promise<void>;
  reload(): void;
  /** Listener addresses, for tests and the startup log. */
  addresses(): Record<string, unknown>;
  readonly store: Store;
}

export function createDaemon(initial: Config, deps: DaemonDeps = {}): Daemon {
  let config = initial;
  setLogLevel(config.log.level);
  // The VERP token of the envelope names the address first, the report second; a token whose
  // signature failed changes no state unless verp.allowUnverifiedState (pipeline.ts).
  // The hook reads `config`, so SIGHUP applies to it.
  const store = openStore({
    path: config.store.path,
    busyTimeoutMs: config.store.busyTimeoutMs,
    state: config.state,
    attribute: (env) => attributeByVerp(config.verp)(env),
  });
  // In-thread by default: measured (bench:smtp) faster than the worker, because two connections
  // writing the same SQLite file make SQLite's busy handler sleep inside intake's commit.
  // REBOUND_PIPELINE_WORKER=1 runs it in a worker thread instead (worth it with slow parsing).
  const processor: Pick<Processor, 'enqueue' | 'sweepPending' | 'stop' | 'backlog'> =
    process.env.REBOUND_PIPELINE_WORKER === '1'
      ? new WorkerProcessor({ path: config.store.path, busyTimeoutMs: config.store.busyTimeoutMs, state: config.state, verp: config.verp })
      : new Processor(store, () => committers.some((c) => Date.now() - c.lastCommitAt < INTAKE_BUSY_MS));
  const intakes: SmtpIntake[] = [];
  const committers: GroupCommitter[] = [];
  let control: ControlHandle | undefined;
  let metricsHttp: Awaited<ReturnType<typeof startMetricsHttp>>;
  let imap: ImapPolling | undefined;
  let jobs: JobsHandle | undefined;
  let removeCollector: (() => void) | undefined;
  let stopping: Promise<void> | undefined;

  const limits = () => ({
    hostname: config.intake.smtp.hostname,
    maxClients: config.intake.smtp.maxClients,
    maxMessageBytes: config.intake.smtp.maxMessageBytes,
    socketTimeoutMs: config.intake.smtp.socketTimeoutMs,
    tls: config.intake.smtp.tls,
  });

  function health(): Record<string, { ok: boolean; detail?: string }> {
    const h: Record<string, { ok: boolean; detail?: string }> = {};
    for (const i of intakes) h[i.protocol] = { ok: true, detail: JSON.stringify(i.address()) };
    h.processor = { ok: true, detail: `${processor.backlog()} queued` };
    for (const j of jobs?.status() ?? []) if (j.enabled) h[`job:${j.name}`] = { ok: j.lastError === null, detail: j.lastError ?? undefined };
    // One entry per IMAP mailbox: down while its passes fail (the error says why).
    for (const m of imap?.health() ?? [])
      h[`imap:${m.name}`] = { ok: m.consecutiveFailures === 0, detail: m.lastError ?? `backlog ${m.backlog ?? 'unknown'}` };
    return h;
  }

  return {
    store,
    async start() {
      // Store first: everything else writes to it or reads from it.
      processor.sweepPending();

      // A separate read-only handle: the status socket and Postfix lookups can never write.
      control = await startControl(config.control, {
        // (':memory:' cannot be opened twice; tests that use it share the writer's handle.)
        ...(config.store.path === ':memory:'
          ? { store }
          : { storeOptions: { path: config.store.path, busyTimeoutMs: config.store.busyTimeoutMs, state: config.state } }),
        metrics,
        health,
        imap: () => imap?.health() ?? [],
        extraStats: () => ({ processingQueue: processor.backlog() }),
      });
      metricsHttp = await startMetricsHttp(config.metrics.http, metrics);
      removeCollector = metrics.addCollector(() => [
        { name: 'rebound_processing_queue', help: 'Committed messages waiting for the pipeline.', value: processor.backlog() },
      ]);

      // One committer per listener; each commits at most one transaction per event-loop turn.
      const onCommitted = (source: SourceKind) => (ids: number[]) => processor.enqueue(ids, source);
      const verp = verpOptions(config.verp);
      if (config.intake.smtp.enabled) {
        const committer = new GroupCommitter(store, onCommitted('smtp'));
        committers.push(committer);
        intakes.push(createSmtpIntake({ protocol: 'smtp', listen: config.intake.smtp, limits: limits(), verp }, { committer }));
      }
      if (config.intake.lmtp.enabled) {
        const committer = new GroupCommitter(store, onCommitted('lmtp'));
        committers.push(committer);
        intakes.push(createSmtpIntake({ protocol: 'lmtp', listen: config.intake.lmtp, limits: limits(), verp }, { committer }));
      }
      for (const i of intakes) await i.start();

      if (config.imap.mailboxes.length > 0) imap = startImapPolling(config.imap, { store });
      jobs = startJobs(config.jobs, { store, metrics });
      log.info({ addresses: this.addresses() }, 'started');
    },

    stop() {
      // Idempotent: SIGTERM twice, or SIGTERM during start-up failure cleanup.
      stopping ??= (async () => {
        log.info('stopping: no new sessions; finishing those in flight');
        await jobs?.stop().catch((err: unknown) => log.error({ err }, 'jobs stop failed'));
        await imap?.stop().catch((err: unknown) => log.error({ err }, 'imap stop failed'));
        await Promise.all(intakes.map((i) => i.stop().catch((err: unknown) => log.error({ err }, 'intake stop failed'))));
        await processor.stop();
        removeCollector?.();
        await metricsHttp?.stop().catch(() => undefined);
        await control?.stop().catch(() => undefined);
        store.close();
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
