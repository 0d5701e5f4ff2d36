/**
 * daemon/backend - the contract between the one daemon (daemon.ts) and a store backend
 * (store.backend): what the daemon needs from where state lives, and nothing it does itself. As
 * OpenSMTPD keeps its queue backends beside one smtpd, rebound keeps one file per backend:
 * backends/sqlite.ts (the embedded default: writer thread, checkpointer, reader processes, the
 * synchronous group commit that acknowledges) and backends/postgresql.ts (several daemons on one
 * database: pool, committer per COMMIT, SKIP LOCKED claims and the sweep, IMAP leases, the
 * control socket's reads done first).
 *
 * The daemon does the rest once for both: log level, SMTP/LMTP listeners and their limits, the
 * control socket, metrics HTTP, the IMAP poller, housekeeping, the health entries (intake,
 * processor, store-writes, analysis, jobs, IMAP) and metrics built from what a backend reports
 * here, SIGHUP reload, the stop order and addresses().
 */
import type { Config } from '../config/schema.js';
import type { ControlDeps, ControlStore, LookupOptions } from '../control/commands.js';
import type { StartControlDeps } from '../control/server.js';
import type { Committer } from '../intake/group-commit.js';
import type { AnalysisStats } from '../pipeline/analyze-pool.js';
import type { Pipeline } from '../pipeline/run.js';
import type { WriteState } from '../pipeline/scheduler.js';
import type { StoreApi, StoreOptions } from '../store/index.js';
import type { CheckOptions } from '../verp/sign.js';

/** The VERP slice as intake's RCPT check wants it, and as a store judges the return paths of
 *  rows stored before intake kept its verdicts (legacyVerp). */
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

/** What the daemon hands a backend when it builds it. */
export interface BackendDeps {
  /** The one pipeline over a store this thread opened, with the daemon's analysis (its budgeted
   *  worker, pipeline/analyze-pool.ts poolAnalyzer) and attribution (read from the current config). */
  pipeline(store: StoreApi): Pipeline;
}

/** How the control socket reads a backend's store: a store file it opens itself (read-only, with
 *  reader processes), or answers fetched asynchronously first (remote/prefetch). */
export type ControlSource =
  | { storeOptions: StoreOptions }
  | { store: ControlStore; remote: ControlDeps['remote']; remoteAll: true; prefetch: LookupOptions['prefetch'] };

/** What the control socket's own answers need from the daemon (the remote answers include them). */
export type ControlNeeds = Pick<StartControlDeps, 'metrics' | 'health' | 'extraStats'>;

export interface DaemonBackend {
  readonly name: StoreApi['backend'];
  /** Open the store and start processing; rows left pending (a crash, another host) come first. */
  open(): Promise<void>;
  /** This thread's store and the pipeline over it (after open): IMAP intake saves, processes and
   *  keeps its cursors and leases through them, housekeeping runs on the store. */
  store(): StoreApi;
  pipeline(): Pipeline;
  /** Intake's committer for one listener: done() only once the message is durable (the 250
   *  follows), done(err) when it is not (451: the sender retries). */
  committer(source: 'smtp' | 'lmtp'): Committer;
  /** Committed messages queued for the pipeline (health `processor`, rebound_processing_queue). */
  backlog(): number;
  /** Whether the pipeline's commits succeed (intake's are watched by the daemon itself). */
  pipelineWrites(): WriteState;
  /** Analysis budgets of processing threads the backend owns, besides the daemon's. */
  analysisStats(): AnalysisStats[];
  /** How the control socket answers from this store. */
  control(needs: ControlNeeds): ControlSource;
  /** Housekeeping: the jobs this backend runs (the WAL checkpoint and file backups are SQLite's). */
  jobs(cfg: Config['jobs']): Config['jobs'];
  /** After the listeners have stopped and their messages are answered: finish the batch in
   *  flight (what is left stays pending) and stop the backend's threads. */
  drain(): Promise<void>;
  /** Last, after the control socket: close the store. */
  close(): Promise<void>;
}
