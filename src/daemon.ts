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
 * Threads: the main thread keeps the sockets (SMTP/LMTP, status socket, IMAP, jobs); the writer
 * thread (daemon-worker.ts, driven by WriterThread here) commits intake's messages and runs the
 * pipeline. REBOUND_WRITER_THREAD=0 (or a ':memory:' store) keeps both in the main thread.
 * Parsing and classification run in neither: each store connection that runs the pipeline (the
 * writer thread's, and this thread's for IMAP) hands them to an analysis worker of its own
 * (analyze-pool.ts poolAnalyzer) with a per-message deadline and heap cap (analysis.*); a message
 * over either is stored marked failed, and health ('analysis') and metrics
 * (rebound_analysis_abandoned_total, rebound_analysis_worker_restarts_total) count it.
 * Config keys: all sections; each component gets only its slice.
 */
import { child, setLogLevel } from './log.js';
import type { Config } from './config/schema.js';
import { openStore, type Store } from './store/index.js';
import { createSmtpIntake, type SmtpIntake } from './intake/smtp.js';
import { GroupCommitter, type Committer, type SaveOutcome } from './intake/group-commit.js';
import { INTAKE_BUSY_MS, Processor, recordOutcomes, WriteHealth, type QueuedItem, type ReportedOutcome, type SweepReport, type WriteState } from './processor.js';
import { startCheckpointer, WRITER_AUTOCHECKPOINT } from './store/checkpointer.js';
import type { SaveItem, SaveResultMsg } from './daemon-worker.js';
import { DaemonError, type ErrorCode } from './errors.js';
import { attributeByVerp, type CheckOptions } from './verp/sign.js';
import { startControl, type ControlHandle } from './control/server.js';
import { metrics, startMetricsHttp } from './metrics.js';
import { startImapPolling, type ImapPolling } from './jobs/poll-imap.js';
import { startJobs, type JobsHandle } from './jobs/schedule.js';
import type { Envelope, SourceKind } from './types.js';
import { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { emptyAnalysisStats, poolAnalyzer, type AnalysisStats } from './analyze-pool.js';

const log = child('daemon');
/** The writer thread's young generation (V8 scavenger space), MB. */
const WRITER_YOUNG_GENERATION_MB = 8;

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
 * The main thread's side of the writer thread (daemon-worker.ts): a committer for the SMTP/LMTP
 * listeners (add: the message is copied to the thread, committed and synced there, then done())
 * and the pipeline's queue. Messages added during one event-loop turn travel in one postMessage.
 * If the thread dies, every message it had not answered gets the error (451 upstream: the
 * sender retries) and a new thread starts, which sweeps pending rows.
 */
class WriterThread implements Committer {
  private worker: Worker;
  private queued = 0;
  private seq = 0;
  private waiting = new Map<number, (err: unknown, r?: SaveOutcome) => void>();
  private outbox: { seq: number; env: Envelope; raw: Buffer }[] = [];
  private outboxBytes = 0;
  private scheduled = false;
  private idle: (() => void)[] = [];
  private stopped: Promise<void> | undefined;
  /** The pipeline's writes, as the thread last reported them. */
  private writeState: WriteState = new WriteHealth().state();
  /** The thread's analysis budget, as it last reported it (after each abandoned message). */
  private analysis: AnalysisStats;

  constructor(
    private storeOptions: {
      path: string;
      busyTimeoutMs: number;
      state: Config['state'];
      verp: Config['verp'];
      walAutocheckpoint?: number;
      analysis: { deadlineMs: number; heapMb: number };
      analyzeWorker?: string;
    },
  ) {
    this.analysis = emptyAnalysisStats(storeOptions.analysis.deadlineMs, storeOptions.analysis.heapMb);
    this.worker = this.spawn();
  }

  private spawn(): Worker {
    const w = new Worker(new URL('./daemon-worker.js', import.meta.url), {
      workerData: this.storeOptions,
      // V8 grows a busy thread's young generation to ~48 MB; what the writer allocates per message
      // dies young either way, so 8 MB costs no rate and saves ~26 MB of peak RSS in bench:smtp
      // (docs/BENCHMARKS.md). The main thread's is set by --max-semi-space-size (systemd unit, npm start).
      resourceLimits: { maxYoungGenerationSizeMb: WRITER_YOUNG_GENERATION_MB },
    });
    w.on('message', (m: WriterMessage) => {
      if (m.type === 'saved') {
        for (const r of m.results) {
          const done = this.waiting.get(r.seq);
          if (!done) continue;
          this.waiting.delete(r.seq);
          if ('error' in r) done(new DaemonError(toCode(r.error.code), r.error.message, { temporary: r.error.temporary }));
          else done(null, { id: r.id, duplicate: r.duplicate });
        }
        this.checkIdle();
      } else if (m.type === 'done') {
        this.queued = Math.max(0, this.queued - m.outcomes.length);
        recordOutcomes(m.outcomes, m.items, m.sweep);
      } else if (m.type === 'error') {
        this.queued = 0;
        log.error({ err: m.message }, 'processing failed; messages stay pending');
      } else if (m.type === 'writes') {
        this.writeState = m.state;
      } else if (m.type === 'analysis') {
        // Counted here, where the metrics live: the difference since the thread's last report.
        countAbandoned(this.analysis, m.stats);
        this.analysis = m.stats;
      }
    });
    w.on('error', (err) => {
      // A crashed writer must not take intake down: fail what it held, start a new one.
      log.error({ err }, 'writer thread crashed; restarting it');
      this.queued = 0;
      const lost = [...this.waiting.values()];
      this.waiting.clear();
      for (const done of lost) done(new DaemonError('internal', 'writer thread crashed', { temporary: true }));
      this.checkIdle();
      if (!this.stopped) this.worker = this.spawn();
    });
    return w;
  }

  add(env: Envelope, raw: Buffer, done: (err: unknown, r?: SaveOutcome) => void): void {
    const seq = ++this.seq;
    this.waiting.set(seq, done);
    this.outbox.push({ seq, env, raw });
    this.outboxBytes += raw.length;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.post);
    }
  }

  /** One message per turn, all raw bytes in one buffer that is moved, not copied, to the thread. */
  private readonly post = (): void => {
    this.scheduled = false;
    const items = this.outbox;
    if (items.length === 0) return;
    const all = new Uint8Array(this.outboxBytes);
    const meta: SaveItem[] = [];
    let at = 0;
    for (const it of items) {
      all.set(it.raw, at);
      meta.push({ seq: it.seq, env: it.env, offset: at, length: it.raw.length });
      at += it.raw.length;
    }
    this.outbox = [];
    this.outboxBytes = 0;
    this.worker.postMessage({ type: 'save', items: meta, bytes: all }, [all.buffer]);
  };

  drained(): Promise<void> {
    if (this.waiting.size === 0) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  private checkIdle(): void {
    if (this.waiting.size === 0) for (const r of this.idle.splice(0)) r();
  }

  enqueue(ids: number[], source: SourceKind): void {
    if (ids.length === 0 || this.stopped) return;
    this.queued += ids.length;
    this.worker.postMessage({ type: 'process', ids, source });
  }

  sweepPending(): void {
    this.worker.postMessage({ type: 'sweep' });
  }

  /** SIGHUP: the thread's VERP attribution follows the new keys. */
  setVerp(verp: Config['verp']): void {
    this.storeOptions.verp = verp;
    this.worker.postMessage({ type: 'verp', verp });
  }

  /** After the listeners have stopped: what was sent is answered, the pipeline batch finishes. */
  stop(): Promise<void> {
    this.stopped ??= this.drained().then(
      () =>
        new Promise<void>((resolve) => {
          const w = this.worker;
          const t = setTimeout(() => void w.terminate(), 10_000);
          w.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
          w.postMessage({ type: 'stop' });
        }),
    );
    return this.stopped;
  }

  backlog(): number {
    return this.queued;
  }

  /** The pipeline's writes as last reported by the thread. */
  writeHealth(): WriteState {
    return this.writeState;
  }

  /** The analysis budget as last reported by the thread. */
  analysisStats(): AnalysisStats {
    return this.analysis;
  }
}

/** Metrics for what changed between two reports of an analysis budget. */
function countAbandoned(before: AnalysisStats, after: AnalysisStats): void {
  for (const why of ['deadline', 'memory', 'crash'] as const) {
    const n = after.abandoned[why] - before.abandoned[why];
    if (n > 0) metrics.analysisAbandoned.inc({ why }, n);
  }
  if (after.restarts > before.restarts) metrics.analysisRestarts.inc({}, after.restarts - before.restarts);
}

/** The health entry for the analysis budget: what was abandoned, and the last one. Stays ok: an
 *  abandoned message is kept (failed, for `rebound reprocess --failed`) and intake goes on. */
export function analysisHealth(all: AnalysisStats[]): { ok: boolean; detail: string } {
  const sum = (why: 'deadline' | 'memory' | 'crash') => all.reduce((n, s) => n + s.abandoned[why], 0);
  const restarts = all.reduce((n, s) => n + s.restarts, 0);
  const last = all.map((s) => s.last).filter((l) => l !== null).sort((a, b) => b.at - a.at)[0];
  const first = all[0]!;
  let detail =
    `deadline ${first.deadlineMs / 1000} s, heap ${first.heapMb} MB per message; abandoned ${sum('deadline')} over the deadline, ` +
    `${sum('memory')} out of memory, ${sum('crash')} crashed; worker restarts ${restarts}`;
  if (last) detail += `; last: ${last.why} at ${new Date(last.at).toISOString()} after ${last.ms} ms`;
  return { ok: true, detail };
}

type WriterMessage =
  | { type: 'saved'; results: SaveResultMsg[] }
  | { type: 'done'; outcomes: ReportedOutcome[]; items: QueuedItem[]; sweep?: SweepReport }
  | { type: 'error'; message: string }
  | { type: 'writes'; state: WriteState }
  | { type: 'analysis'; stats: AnalysisStats }
  | { type: 'stopped' };

function toCode(code: string | undefined): ErrorCode {
  return (code ?? 'internal') as ErrorCode;
}

/** The health entry for store writes: ok while intake and pipeline commits succeed. */
export function writesHealth(intake: WriteState, pipeline: WriteState): { ok: boolean; detail: string } {
  if (intake.ok && pipeline.ok) return { ok: true, detail: 'commits succeed' };
  const since = Math.min(intake.since ?? Infinity, pipeline.since ?? Infinity);
  const parts: string[] = [];
  if (!intake.ok) parts.push(`intake: ${intake.error} (${intake.failures} failed, answered 451)`);
  if (!pipeline.ok) parts.push(`pipeline: ${pipeline.error} (${pipeline.failures} failed; pending rows are retried)`);
  return { ok: false, detail: `degraded: writes failing since ${new Date(since).toISOString()}; ${parts.join('; ')}` };
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
  const fileStore = config.store.path !== ':memory:';
  const storeOptions = { path: config.store.path, busyTimeoutMs: config.store.busyTimeoutMs, state: config.state };
  // A file store gets a checkpointer thread (store/checkpointer.ts): no commit of ours checkpoints
  // inline below WRITER_AUTOCHECKPOINT pages.
  const walAutocheckpoint = fileStore ? WRITER_AUTOCHECKPOINT : undefined;
  // The first open of the file checks it whole (quick_check): a damaged store is refused at start.
  // This thread's pipeline (IMAP polling, and everything when there is no writer thread) analyses
  // in a worker of its own too, with the same budget (analysis.*). REBOUND_ANALYZE_WORKER names
  // another worker script (tests: a stand-in that is slow on purpose).
  const budget = { deadlineMs: config.analysis.deadlineSeconds * 1000, heapMb: config.analysis.maxHeapMb };
  const analyzeWorker = process.env.REBOUND_ANALYZE_WORKER ? pathToFileURL(process.env.REBOUND_ANALYZE_WORKER).href : undefined;
  let mainAnalysis = emptyAnalysisStats(budget.deadlineMs, budget.heapMb);
  const analyzer = poolAnalyzer(budget, {
    workerUrl: analyzeWorker === undefined ? undefined : new URL(analyzeWorker),
    onAbandon: (why, ms) => {
      log.warn({ why, ms: Math.round(ms), ...budget }, 'analysis abandoned; the message is stored marked failed');
      const now = analyzer.stats();
      countAbandoned(mainAnalysis, now);
      mainAnalysis = now;
    },
  });
  const store = openStore({
    ...storeOptions,
    analyze: analyzer.analyze,
    attribute: (env) => attributeByVerp(config.verp)(env),
    walAutocheckpoint,
    check: fileStore,
  });
  // The writer thread commits intake's messages and runs the pipeline beside the sockets' thread
  // (daemon-worker.ts). In-thread instead for ':memory:' (one connection only) or
  // REBOUND_WRITER_THREAD=0 (one core to spare, or to compare in bench:smtp).
  const writer =
    fileStore && process.env.REBOUND_WRITER_THREAD !== '0' ? new WriterThread({ ...storeOptions, verp: config.verp, walAutocheckpoint, analysis: budget, analyzeWorker }) : null;
  const checkpointer = fileStore ? startCheckpointer(config.store.path, config.store.busyTimeoutMs) : null;
  const inThread = writer ? null : new Processor(store, () => committers.some((c) => Date.now() - c.lastCommitAt < INTAKE_BUSY_MS));
  const processor: Pick<Processor, 'enqueue' | 'sweepPending' | 'stop' | 'backlog'> = writer ?? inThread!;
  // Store writes: intake's commits (seen here, whichever thread commits) and the pipeline's (its
  // processor's WriteHealth, reported by the writer thread). Health is degraded while either fails.
  const intakeWrites = new WriteHealth();
  const pipelineWrites = (): WriteState => (writer ? writer.writeHealth() : inThread!.writes.state());
  const observed = (c: Committer): Committer => ({
    add: (env, raw, done) =>
      c.add(env, raw, (err, r) => {
        if (err) intakeWrites.failed(err);
        else intakeWrites.succeeded();
        done(err, r);
      }),
    drained: () => c.drained(),
  });
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
    commandTimeoutMs: config.intake.smtp.commandTimeoutMs,
    minDataRate: config.intake.smtp.minDataRate,
    hardErrorLimit: config.intake.smtp.hardErrorLimit,
    tls: config.intake.smtp.tls,
  });

  function health(): Record<string, { ok: boolean; detail?: string }> {
    const h: Record<string, { ok: boolean; detail?: string }> = {};
    for (const i of intakes) h[i.protocol] = { ok: true, detail: JSON.stringify(i.address()) };
    h.processor = { ok: true, detail: `${processor.backlog()} queued` };
    h['store-writes'] = writesHealth(intakeWrites.state(), pipelineWrites());
    h.analysis = analysisHealth(writer ? [writer.analysisStats(), analyzer.stats()] : [analyzer.stats()]);
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
        ...(fileStore ? { storeOptions } : { store }),
        metrics,
        health,
        imap: () => imap?.health() ?? [],
        extraStats: () => ({ processingQueue: processor.backlog() }),
      });
      metricsHttp = await startMetricsHttp(config.metrics.http, metrics);
      // Zero until something is abandoned, so that an alert rule finds the series.
      for (const why of ['deadline', 'memory', 'crash']) metrics.analysisAbandoned.inc({ why }, 0);
      metrics.analysisRestarts.inc({}, 0);
      removeCollector = metrics.addCollector(() => [
        { name: 'rebound_processing_queue', help: 'Committed messages waiting for the pipeline.', value: processor.backlog() },
        {
          name: 'rebound_store_writes_failing',
          help: '1 while the last intake or pipeline commit failed (disk full, read-only, locked); pending rows are retried.',
          value: intakeWrites.state().ok && pipelineWrites().ok ? 0 : 1,
        },
      ]);

      // One committer per listener; each commits at most one transaction per event-loop turn.
      const onCommitted = (source: SourceKind) => (ids: number[]) => processor.enqueue(ids, source);
      const verp = verpOptions(config.verp);
      const committerFor = (source: SourceKind): Committer => {
        if (writer) return observed(writer);
        const c = new GroupCommitter(store, onCommitted(source));
        committers.push(c);
        return observed(c);
      };
      if (config.intake.smtp.enabled)
        intakes.push(createSmtpIntake({ protocol: 'smtp', listen: config.intake.smtp, limits: limits(), verp }, { committer: committerFor('smtp') }));
      if (config.intake.lmtp.enabled)
        intakes.push(createSmtpIntake({ protocol: 'lmtp', listen: config.intake.lmtp, limits: limits(), verp }, { committer: committerFor('lmtp') }));
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
        await analyzer.close();
        await checkpointer?.stop();
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
      control?.setLogLevel(config.log.level);
      for (const i of intakes) i.setVerp(verpOptions(config.verp));
      writer?.setVerp(config.verp);
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
