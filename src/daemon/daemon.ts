/**
 * daemon - build rebound's long-running components from Config, start them in order and stop
 * them in reverse (maddy lifetime.go). In: a frozen Config (and a way to reload it). Out: a
 * running daemon; stop() drains. One daemon for both store backends: where state lives is a
 * DaemonBackend (backend.ts) chosen by store.backend - backends/sqlite.ts (the default: writer
 * thread, checkpointer, reader processes) or backends/postgresql.ts (several daemons on one
 * database) - and everything else is done here once.
 *
 * Start order: backend (store; pending rows left by a crash first) -> control socket -> metrics
 * http -> SMTP -> LMTP -> IMAP polling -> housekeeping jobs. Stop is the reverse: listeners stop
 * accepting and let sessions in DATA finish and commit, the backend's processing finishes its
 * current batch (what is left stays pending for the next start), then the control socket and the
 * store close.
 * SIGHUP (reload()): re-read the config; VERP rules and log level apply at once, other changes
 * are logged as needing a restart. A bad config on reload is logged and the old one kept.
 * Threads: this one keeps the sockets (SMTP/LMTP, status socket, IMAP, jobs); the backend may run
 * its own (SQLite's writer thread). Parsing and classification run in neither: each thread that
 * runs the pipeline hands them to an analysis worker of its own (pipeline/analyze-pool.ts
 * poolAnalyzer; this thread's is made here) with a per-message deadline and heap cap
 * (analysis.*); a message over either is stored marked failed, and health ('analysis') and
 * metrics (rebound_analysis_abandoned_total, rebound_analysis_worker_restarts_total) count it.
 * Config keys: all sections; each component gets only its slice.
 */
import { child, setLogLevel } from '../log.js';
import type { Config } from '../config/schema.js';
import { createSmtpIntake, type SmtpIntake } from '../intake/smtp.js';
import { startControl, type ControlHandle } from '../control/server.js';
import { metrics, startMetricsHttp } from '../metrics.js';
import { imapPollStore, startImapPolling, type ImapPolling } from '../jobs/poll-imap.js';
import { hostname } from 'node:os';
import { Pipeline } from '../pipeline/run.js';
import { startJobs, type JobsHandle } from '../jobs/schedule.js';
import { countAbandoned, emptyAnalysisStats, poolAnalyzer, type AnalysisStats } from '../pipeline/analyze-pool.js';
import { WriteHealth, type WriteState } from '../pipeline/scheduler.js';
import type { Committer } from '../intake/group-commit.js';
import { verpOptions, type BackendDeps, type DaemonBackend } from './backend.js';
import { sqliteBackend } from './backends/sqlite.js';
import { postgresqlBackend } from './backends/postgresql.js';

const log = child('daemon');

export { verpOptions };

/** The health entry for store writes: ok while intake and pipeline commits succeed. */
function writesHealth(intake: WriteState, pipeline: WriteState): { ok: boolean; detail: string } {
  if (intake.ok && pipeline.ok) return { ok: true, detail: 'commits succeed' };
  const since = Math.min(intake.since ?? Infinity, pipeline.since ?? Infinity);
  const parts: string[] = [];
  if (!intake.ok) parts.push(`intake: ${intake.error} (${intake.failures} failed, answered 451)`);
  if (!pipeline.ok) parts.push(`pipeline: ${pipeline.error} (${pipeline.failures} failed; pending rows are retried)`);
  return { ok: false, detail: `degraded: writes failing since ${new Date(since).toISOString()}; ${parts.join('; ')}` };
}

/** The health entry for the analysis budget: what was abandoned, and the last one. Stays ok: an
 *  abandoned message is kept (failed, for `rebound reprocess --failed`) and intake goes on. */
function analysisHealth(all: AnalysisStats[]): { ok: boolean; detail: string } {
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
  /** Which store backend serves it (store.backend). */
  readonly backend: DaemonBackend['name'];
}

/** The backend store.backend names. */
function backendFor(config: Config, deps: BackendDeps): DaemonBackend {
  return config.store.backend === 'postgresql' ? postgresqlBackend(config, deps) : sqliteBackend(config, deps);
}

type Health = Record<string, { ok: boolean; detail?: string }>;

export function createDaemon(initial: Config, deps: DaemonDeps = {}): Daemon {
  let config = initial;
  setLogLevel(config.log.level);
  // This thread's pipeline analyses in a worker of its own, with the budget of analysis.*.
  const budget = { deadlineMs: config.analysis.deadlineSeconds * 1000, heapMb: config.analysis.maxHeapMb };
  let mainAnalysis = emptyAnalysisStats(budget.deadlineMs, budget.heapMb);
  const analyzer = poolAnalyzer(budget, {
    onAbandon: (why, ms) => {
      log.warn({ why, ms: Math.round(ms), ...budget }, 'analysis abandoned; the message is stored marked failed');
      const now = analyzer.stats();
      countAbandoned(mainAnalysis, now);
      mainAnalysis = now;
    },
  });
  // The VERP token of the envelope names the address first, the report second; a token whose
  // signature failed changes no state unless verp.allowUnverifiedState (pipeline/plan.ts). Intake
  // judges the tokens (RCPT, IMAP's envelope) with the config of the moment, so SIGHUP applies
  // from the next message on; the store judges rows stored before it kept verdicts (legacyVerp,
  // given by each backend at open).
  const backend = backendFor(config, { pipeline: (store) => new Pipeline(store, { analyze: analyzer.analyze }) });
  // Store writes: intake's commits (seen here) and the pipeline's (the backend's). Health is
  // degraded while either fails.
  const intakeWrites = new WriteHealth();
  const observed = (c: Committer): Committer => ({
    add: (env, raw, done) =>
      c.add(env, raw, (err, r) => {
        if (err) intakeWrites.failed(err);
        else intakeWrites.succeeded();
        done(err, r);
      }),
    drained: () => c.drained(),
  });
  const writesFailing = (): boolean => !(intakeWrites.state().ok && backend.pipelineWrites().ok);
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

  function health(): Health {
    const h: Health = {};
    for (const i of intakes) h[i.protocol] = { ok: true, detail: JSON.stringify(i.address()) };
    h.processor = { ok: true, detail: `${backend.backlog()} queued` };
    h['store-writes'] = writesHealth(intakeWrites.state(), backend.pipelineWrites());
    h.analysis = analysisHealth([...backend.analysisStats(), analyzer.stats()]);
    for (const j of jobs?.status() ?? []) if (j.enabled) h[`job:${j.name}`] = { ok: j.lastError === null, detail: j.lastError ?? undefined };
    // One entry per IMAP mailbox: down while its passes fail (the error says why).
    for (const m of imap?.health() ?? [])
      h[`imap:${m.name}`] = { ok: m.consecutiveFailures === 0, detail: m.lastError ?? `backlog ${m.backlog ?? 'unknown'}` };
    return h;
  }

  return {
    backend: backend.name,
    async start() {
      // Store first: everything else writes to it or reads from it.
      await backend.open();

      const extraStats = () => ({ processingQueue: backend.backlog() });
      control = await startControl(config.control, {
        ...backend.control({ metrics, health, extraStats }),
        metrics,
        health,
        imap: () => imap?.health() ?? [],
        extraStats,
      });
      metricsHttp = await startMetricsHttp(config.metrics.http, metrics);
      // Zero until something is abandoned, so that an alert rule finds the series.
      for (const why of ['deadline', 'memory', 'crash']) metrics.analysisAbandoned.inc({ why }, 0);
      metrics.analysisRestarts.inc({}, 0);
      removeCollector = metrics.addCollector(() => [
        { name: 'rebound_processing_queue', help: 'Committed messages waiting for the pipeline.', value: backend.backlog() },
        {
          name: 'rebound_store_writes_failing',
          help: '1 while the last intake or pipeline commit failed (disk full, read-only, locked); pending rows are retried.',
          value: writesFailing() ? 1 : 0,
        },
      ]);

      const verp = verpOptions(config.verp);
      if (config.intake.smtp.enabled)
        intakes.push(createSmtpIntake({ protocol: 'smtp', listen: config.intake.smtp, limits: limits(), verp }, { committer: observed(backend.committer('smtp')) }));
      if (config.intake.lmtp.enabled)
        intakes.push(createSmtpIntake({ protocol: 'lmtp', listen: config.intake.lmtp, limits: limits(), verp }, { committer: observed(backend.committer('lmtp')) }));
      for (const i of intakes) await i.start();

      // Every host may be configured with the same mailboxes: a folder is polled under this host's
      // lease only (on PostgreSQL the others skip it for that pass). Each pass judges the return
      // paths with the verp.* of the moment (SIGHUP).
      if (config.imap.mailboxes.length > 0)
        imap = startImapPolling(config.imap, {
          store: imapPollStore(backend.store(), backend.pipeline(), `${hostname()}:${process.pid}`),
          verp: () => verpOptions(config.verp),
        });
      jobs = startJobs(backend.jobs(config.jobs), { store: backend.store(), metrics });
      log.info({ addresses: this.addresses() }, 'started');
    },

    stop() {
      // Idempotent: SIGTERM twice, or SIGTERM during start-up failure cleanup.
      stopping ??= (async () => {
        log.info('stopping: no new sessions; finishing those in flight');
        await jobs?.stop().catch((err: unknown) => log.error({ err }, 'jobs stop failed'));
        await imap?.stop().catch((err: unknown) => log.error({ err }, 'imap stop failed'));
        await Promise.all(intakes.map((i) => i.stop().catch((err: unknown) => log.error({ err }, 'intake stop failed'))));
        await backend.drain().catch((err: unknown) => log.error({ err }, 'processing stop failed'));
        await analyzer.close();
        removeCollector?.();
        await metricsHttp?.stop().catch(() => undefined);
        await control?.stop().catch(() => undefined);
        await backend.close();
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
