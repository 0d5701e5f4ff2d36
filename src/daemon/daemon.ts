/**
 * daemon - build rebound's long-running components from Config, start them in order and stop
 * them in reverse (maddy lifetime.go). In: a frozen Config (and a way to reload it). Out: a
 * running daemon; stop() drains.
 *
 * Start order: store -> writer thread (pending rows left by a crash first) -> control socket ->
 * metrics http -> SMTP -> LMTP -> IMAP polling -> housekeeping jobs. Stop is the reverse:
 * listeners stop accepting and let sessions in DATA finish and commit, the writer thread's scheduler finishes its current batch (what is left
 * stays pending for the next start), then the control socket and the database close.
 * SIGHUP (reload()): re-read the config; VERP rules and log level apply at once, other changes
 * are logged as needing a restart. A bad config on reload is logged and the old one kept.
 * Threads: the main thread keeps the sockets (SMTP/LMTP, status socket, IMAP, jobs); the writer
 * thread (writer-thread.ts, driven by writer.ts) commits intake's messages and runs the
 * pipeline. The store must be a file (the thread opens it too).
 * Parsing and classification run in neither: each store connection that runs the pipeline (the
 * writer thread's, and this thread's for IMAP) hands them to an analysis worker of its own
 * (pipeline/analyze-pool.ts poolAnalyzer) with a per-message deadline and heap cap (analysis.*); a
 * message over either is stored marked failed, and health ('analysis') and metrics
 * (rebound_analysis_abandoned_total, rebound_analysis_worker_restarts_total) count it.
 * Config keys: all sections; each component gets only its slice.
 */
import { child, setLogLevel } from '../log.js';
import { ConfigError } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { openStore, type Store } from '../store/index.js';
import { Pipeline, processingStore } from '../pipeline/run.js';
import { createSmtpIntake, type SmtpIntake } from '../intake/smtp.js';
import { startCheckpointer, WRITER_AUTOCHECKPOINT } from '../store/checkpointer.js';
import type { CheckOptions } from '../verp/sign.js';
import { startControl, type ControlHandle } from '../control/server.js';
import { metrics, startMetricsHttp } from '../metrics.js';
import { startImapPolling, type ImapPolling } from '../jobs/poll-imap.js';
import { startJobs, type JobsHandle } from '../jobs/schedule.js';
import { countAbandoned, WriterThread } from './writer.js';
import { pathToFileURL } from 'node:url';
import { emptyAnalysisStats, poolAnalyzer, type AnalysisStats } from '../pipeline/analyze-pool.js';
import { WriteHealth, type WriteState } from '../pipeline/scheduler.js';
import type { Committer } from '../intake/group-commit.js';

const log = child('daemon');

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
    allowUnverifiedState: cfg.allowUnverifiedState,
  };
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
  // signature failed changes no state unless verp.allowUnverifiedState (pipeline/plan.ts). Intake
  // judges the tokens (RCPT, IMAP's envelope) with the config of the moment, so SIGHUP applies
  // from the next message on; the store judges rows stored before it kept verdicts (legacyVerp).
  if (config.store.path === ':memory:') throw new ConfigError("store.path: expected a file for the daemon, got \":memory:\" (its writer thread opens the store too)");
  const storeOptions = { path: config.store.path, busyTimeoutMs: config.store.busyTimeoutMs, state: config.state, legacyVerp: verpOptions(config.verp) };
  // The checkpointer thread (store/checkpointer.ts) checkpoints: no commit of ours does inline
  // below WRITER_AUTOCHECKPOINT pages.
  const walAutocheckpoint = WRITER_AUTOCHECKPOINT;
  // This thread's handle: IMAP intake commits and processes through it, jobs and the status
  // socket of a daemon without reader processes read it.
  // The first open of the file checks it whole (quick_check): a damaged store is refused at start.
  const store = openStore({ ...storeOptions, walAutocheckpoint, check: true });
  // This thread's pipeline (IMAP polling) analyses in a worker of its own too, with the same
  // budget (analysis.*). REBOUND_ANALYZE_WORKER names another worker script (tests: a stand-in
  // that is slow on purpose).
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
  const pipeline = new Pipeline(store, { analyze: analyzer.analyze });
  // The writer thread commits SMTP/LMTP intake's messages and runs the pipeline on them beside
  // the sockets' thread (writer.ts); it is also the processing queue.
  const writer = new WriterThread({ ...storeOptions, walAutocheckpoint, analysis: budget, analyzeWorker });
  const checkpointer = startCheckpointer(config.store.path, config.store.busyTimeoutMs);
  // Store writes: intake's commits (seen here) and the pipeline's (its scheduler's WriteHealth,
  // reported by the writer thread). Health is degraded while either fails.
  const intakeWrites = new WriteHealth();
  const pipelineWrites = (): WriteState => writer.writeHealth();
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
    h.processor = { ok: true, detail: `${writer.backlog()} queued` };
    h['store-writes'] = writesHealth(intakeWrites.state(), pipelineWrites());
    h.analysis = analysisHealth([writer.analysisStats(), analyzer.stats()]);
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
      writer.sweepPending();

      // A separate read-only handle: the status socket and Postfix lookups can never write.
      control = await startControl(config.control, {
        storeOptions,
        metrics,
        health,
        imap: () => imap?.health() ?? [],
        extraStats: () => ({ processingQueue: writer.backlog() }),
      });
      metricsHttp = await startMetricsHttp(config.metrics.http, metrics);
      // Zero until something is abandoned, so that an alert rule finds the series.
      for (const why of ['deadline', 'memory', 'crash']) metrics.analysisAbandoned.inc({ why }, 0);
      metrics.analysisRestarts.inc({}, 0);
      removeCollector = metrics.addCollector(() => [
        { name: 'rebound_processing_queue', help: 'Committed messages waiting for the pipeline.', value: writer.backlog() },
        {
          name: 'rebound_store_writes_failing',
          help: '1 while the last intake or pipeline commit failed (disk full, read-only, locked); pending rows are retried.',
          value: intakeWrites.state().ok && pipelineWrites().ok ? 0 : 1,
        },
      ]);

      // Every listener commits through the writer thread; each message's source rides in its envelope.
      const verp = verpOptions(config.verp);
      if (config.intake.smtp.enabled)
        intakes.push(createSmtpIntake({ protocol: 'smtp', listen: config.intake.smtp, limits: limits(), verp }, { committer: observed(writer) }));
      if (config.intake.lmtp.enabled)
        intakes.push(createSmtpIntake({ protocol: 'lmtp', listen: config.intake.lmtp, limits: limits(), verp }, { committer: observed(writer) }));
      for (const i of intakes) await i.start();

      if (config.imap.mailboxes.length > 0) imap = startImapPolling(config.imap, { store: processingStore(store, pipeline), verp: () => verpOptions(config.verp) });
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
        await writer.stop();
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
