/**
 * cli/ingest - `rebound ingest PATH...|- [--json] [--no-progress] [--batch N]`: store and process
 * files, directories (recursively, Maildirs), mbox files and stdin, like the daemon does for
 * SMTP/IMAP; built for backfills of millions of messages.
 *
 * In: paths (read message by message by intake/file.ts: memory stays flat whatever their size).
 * Out: a summary (messages read, stored, duplicates, bounces by category, not-a-bounce, failures,
 * unreadable inputs, rate; --json for scripts); on a terminal a progress bar on stderr with the
 * messages done, the rate and the ETA from the input size. Each batch of messages is analysed,
 * then stored and recorded in one transaction (group commit), in input order, so another process
 * (the daemon) is never locked out for long and a new event is always one state step.
 *
 * Ctrl-C (SIGINT) or SIGTERM stops reading, commits what was already read, prints the summary
 * ("interrupted") and exits 130; every batch is one transaction, so the store is consistent at any
 * point (a second Ctrl-C exits at once, losing only the batch in flight). Running the same command
 * again resumes: messages already stored and processed are recognised by their content hash and
 * skipped without being analysed again, so nothing is stored or counted twice.
 * Messages that fail to parse are stored, marked failed and listed in the summary (exit 0).
 *
 * Exit status (cli/exit-codes.ts): 1 when an input path could not be read, 2 usage/config error,
 * 75 (EX_TEMPFAIL) when a temporary failure kept messages from being stored. Reading stdin ('-', the
 * MTA pipe transport), every failure exits 75 - Postfix and Exim then keep the bounce and retry,
 * where any other status would bounce it and lose it - except input that can never be stored
 * (65, EX_DATAERR). A retry after a partial commit is safe: stored messages are duplicates.
 * Both store backends, one code path (store/api.ts StoreApi): on PostgreSQL every commit is durable
 * when it answers, and a message a daemon is processing right now is waited for, not done twice.
 * Config: store.backend; store.path (--db), store.busyTimeoutMs; or store.url and the rest of the
 * PostgreSQL keys; state.*, verp.* (attribution, as the daemon has it).
 */
import type { Command } from 'commander';
import { defaultThreads, startAnalyzePool, type AnalyzePool } from '../pipeline/analyze-pool.js';
import { fileEnvelope, readInputs } from '../intake/file.js';
import { decodeContextOf } from '../pipeline/plan.js';
import type { Pipeline } from '../pipeline/run.js';
import type { IngestItem, ProcessOutcome, ProcessPlan } from '../store/index.js';
import type { Envelope } from '../types.js';
import { isTemporary } from '../errors.js';
import { EXIT } from './exit-codes.js';
import { startProgress } from './ingest-progress.js';
import { addStoreOptions, withStoreApi, type StoreCliOptions } from './open-store.js';
import { UsageError } from './args.js';
import { pipelineFor } from './pipeline-for.js';

export interface IngestSummary {
  inputs: number;
  unreadable: number;
  messages: number;
  stored: number;
  /** Already stored (a re-run, a resumed backfill, the same bounce twice): not stored again. */
  duplicates: number;
  processed: number;
  notABounce: number;
  failed: number;
  /** Recipient results that were failures (bounces), by Marketo category. */
  bounces: number;
  byCategory: Record<string, number>;
  /** Message types seen (bounce, delayed, feedback, autoreply, delivered, not-bounce). */
  byType: Record<string, number>;
  /** The first MAX_ERRORS problems; permanent: the input can never be stored (stdin over its size limit). */
  errors: { source: string; error: string; permanent?: true }[];
  /** Problems beyond those listed in `errors` (a backfill can have thousands; memory stays flat). */
  moreErrors: number;
  /** Input bytes read. */
  bytes: number;
  seconds: number;
  /** Messages per second over the run. */
  rate: number;
  /** Stopped by SIGINT/SIGTERM: what was read is committed; run the same command again to go on. */
  interrupted: boolean;
  /** Worker threads that parsed and classified (0: all in the main thread). */
  threads: number;
}

/** Problems kept in the summary, in order; the rest are counted. */
const MAX_ERRORS = 1000;
/** Raw bytes read ahead of the commit at most (besides the two-batch limit): big messages commit sooner. */
const AHEAD_BYTES = 8 * 1024 * 1024;

interface IngestOpts extends StoreCliOptions {
  json?: boolean;
  progress?: boolean;
  batch: string;
  threads: string;
}

/** With --threads auto, the pool starts once this many messages were read: a handful of messages
 *  (an MTA's pipe delivers one) is done before worker threads would have started. */
const POOL_AFTER = 200;

export function register(program: Command): void {
  addStoreOptions(
    program
      .command('ingest')
      .description('store and process bounce messages from files, directories, mbox files or stdin')
      .argument('<paths...>', "files, directories, mbox files, or '-' for stdin")
      .option('--json', 'print the summary as JSON')
      .option('--no-progress', 'no progress bar even on a terminal')
      .option('--batch <n>', 'messages per transaction', '100')
      .option('--threads <n>', "worker threads that parse and classify ('auto': one per core but one, from the 200th message; 0: none)", 'auto'),
  ).action(async (paths: string[], opts: IngestOpts) => {
    const stdin = paths.includes('-');
    let summary: IngestSummary;
    // Ctrl-C: stop reading, commit what was read, report. A second one: out at once (every batch
    // is one transaction, so the store stays consistent either way).
    const stop = new AbortController();
    const onSignal = (): void => {
      if (stop.signal.aborted) process.exit(EXIT.interrupted);
      stop.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const batch = Number(opts.batch);
      if (!Number.isInteger(batch) || batch < 1 || batch > 10_000) throw new UsageError(`--batch: expected 1-10000, got ${JSON.stringify(opts.batch)}`);
      const threads = opts.threads === 'auto' ? 'auto' : Number(opts.threads);
      if (threads !== 'auto' && (!Number.isInteger(threads) || threads < 0 || threads > 64))
        throw new UsageError(`--threads: expected 'auto' or 0-64, got ${JSON.stringify(opts.threads)}`);
      const showBar = opts.progress !== false && process.stderr.isTTY === true;
      summary = await withStoreApi(opts, (store) => ingest(pipelineFor(store), paths, { batch, threads, progress: showBar, signal: stop.signal }));
    } catch (err) {
      throw ingestFailure(err, stdin);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    process.stdout.write(opts.json ? `${JSON.stringify(summary)}\n` : formatSummary(summary));
    if (summary.interrupted) {
      process.stderr.write(`rebound ingest: interrupted after ${summary.messages} messages; what was read is stored. Run the same command again to go on (messages already stored are skipped).\n`);
      process.exitCode = EXIT.interrupted;
      return;
    }
    // A message that fails to parse is stored and marked (reprocess later): not an ingest error.
    if (summary.unreadable > 0) {
      const permanent = summary.errors.every((e) => e.permanent === true);
      process.exitCode = stdin ? (permanent ? EXIT.dataErr : EXIT.tempFail) : EXIT.failure;
    }
  });
}

/** The error main.ts reports, with the exit status the caller (an MTA, a script) needs. */
function ingestFailure(err: unknown, stdin: boolean): Error & { exitCode: number } {
  const e = err as { message?: string; exitCode?: number; code?: unknown; cause?: { code?: unknown } };
  const message = e?.message ?? String(err);
  const sqlite = String(e?.cause?.code ?? e?.code ?? '');
  if (sqlite === 'SQLITE_TOOBIG') return Object.assign(new Error(`message can never be stored: ${message}`), { exitCode: EXIT.dataErr });
  // Reading stdin for an MTA: a usage or config error, a locked or read-only database, a
  // missing directory - each can be fixed, and the MTA keeps the bounce until it is.
  const temporary = stdin || isTemporary(err) || sqlite.startsWith('SQLITE_') || e?.code === 'EACCES' || e?.code === 'EROFS';
  if (temporary) return Object.assign(new Error(`temporary failure, not stored (try again later): ${message}`), { exitCode: EXIT.tempFail });
  return Object.assign(new Error(message), { exitCode: typeof e?.exitCode === 'number' ? e.exitCode : EXIT.failure });
}

interface IngestHow {
  /** Messages per transaction (default 100). */
  batch?: number;
  /** Worker threads for the analysis (analyze-pool.ts): a number (0: in this thread, the
   *  default), or 'auto' (defaultThreads(), started after POOL_AFTER messages). */
  threads?: number | 'auto';
  /** A pool already started (tests): used from the first message instead of `threads`; not closed here. */
  pool?: AnalyzePool;
  progress?: boolean;
  now?: () => number;
  /** Aborting stops reading; what was read is committed and the summary says interrupted. */
  signal?: AbortSignal;
  /** Called after each committed batch (tests, benches). */
  onBatch?: (s: IngestSummary) => void;
}

/** One message on its way: read, hashed, being analysed (plan), then committed in input order. */
interface Slot {
  env: Envelope;
  raw: Buffer;
  sha256: string;
  bytes: number;
  /** A worker's plan on its way, or (analysed in this thread) the call that makes it, run at the
   *  commit one message at a time: many analyses interleaved in one thread would only hold more
   *  memory at once (their objects outlive young-generation collections), not go faster. */
  plan: null | Promise<ProcessPlan> | (() => Promise<ProcessPlan>);
  /** The stored form, when a worker made it. */
  gzip?: Promise<Buffer | undefined>;
}

export async function ingest(pipeline: Pipeline, paths: string[], how: IngestHow = {}): Promise<IngestSummary> {
  const store = pipeline.store;
  const started = Date.now();
  const batchSize = how.batch ?? 100;
  const now = how.now ?? Date.now;
  const s: IngestSummary = {
    inputs: paths.length,
    unreadable: 0,
    messages: 0,
    stored: 0,
    duplicates: 0,
    processed: 0,
    notABounce: 0,
    failed: 0,
    bounces: 0,
    byCategory: {},
    byType: {},
    errors: [],
    moreErrors: 0,
    bytes: 0,
    seconds: 0,
    rate: 0,
    interrupted: false,
    threads: 0,
  };
  const progress = how.progress ? await startProgress(paths) : undefined;
  // Bytes of inputs that produced no message to commit (errors, empty), counted as done at once.
  let doneBytes = 0;

  // Messages read ahead of the commit: the next batch's analyses run (in worker threads, when the
  // analysis is asynchronous) while this one commits. At most two batches, or AHEAD_BYTES, are held.
  const fifo: Slot[] = [];
  let fifoBytes = 0;
  const commit = async (n: number): Promise<void> => {
    const slots = fifo.splice(0, n);
    if (slots.length === 0) return;
    for (const sl of slots) fifoBytes -= sl.raw.length;
    const items: IngestItem[] = [];
    for (const sl of slots) {
      const item: IngestItem = { env: sl.env, raw: sl.raw, sha256: sl.sha256, plan: typeof sl.plan === 'function' ? await sl.plan() : await sl.plan };
      const gzip = await sl.gzip;
      if (gzip) item.gzip = gzip;
      items.push(item);
    }
    // One transaction per batch (group commit), in input order: events reach each address in the
    // order of the file. A duplicate still pending (stored by the daemon, not processed yet) is
    // processed; one already finished is skipped.
    const results = await store.commitIngest(items, { relaxed });
    for (const [i, r] of results.entries()) {
      if (r.duplicate) s.duplicates++;
      else s.stored++;
      tally(s, r.outcome);
      doneBytes += slots[i]!.bytes;
    }
    progress?.update(s, doneBytes, started);
    how.onBatch?.(s);
  };

  const threads = how.threads ?? 0;
  // From files, batches commit without an fsync each (SQLite; atomic all the same) and the WAL is
  // synced once at the end, before the summary says "stored": a power loss in between loses the last
  // batches, which the same command redoes. From stdin (an MTA's pipe: it deletes the bounce once
  // we exit 0) every commit is durable.
  const relaxed = !paths.includes('-');
  let pool: AnalyzePool | null = how.pool ?? null;
  const reader = readInputs(paths);
  try {
    for await (const item of reader) {
      s.bytes += item.bytes;
      if ('error' in item) {
        s.unreadable++;
        addError(s, { source: item.source, error: item.error, ...(item.permanent ? { permanent: true as const } : {}) });
        doneBytes += item.bytes;
      } else {
        s.messages++;
        const env = fileEnvelope(item.source, now());
        // A message stored and processed before (a re-run, a resumed backfill) is not analysed again.
        const check = (await store.ingestChecks([item.raw]))[0]!;
        if (!pool && !check.done && (threads === 'auto' ? s.messages > POOL_AFTER : threads > 0)) {
          pool = startAnalyzePool(threads === 'auto' ? defaultThreads() : threads);
        }
        const slot: Slot = { env, raw: item.raw, sha256: check.sha256, bytes: item.bytes, plan: null };
        if (!check.done && pool) {
          // Parse, classify and gzip in a worker; the plan (attribution, effects) is made here.
          const work = pool.run(item.raw, true, decodeContextOf(env));
          const raw = item.raw;
          slot.plan = work.then(
            (w) => pipeline.planIngest({ env, raw }, () => w.analysis),
            (err: Error & { code?: string }) =>
              // Too big for a worker's heap: analysed in this thread (its heap is the larger).
              err.code === 'ERR_WORKER_OUT_OF_MEMORY'
                ? pipeline.planIngest({ env, raw })
                : pipeline.planIngest({ env, raw }, () => {
                    throw err;
                  }),
          );
          slot.gzip = work.then((w) => w.gzip, () => undefined);
          // planMessage settles a bad message (or a dead worker's) as failed; a rejection here (the
          // store itself) is rethrown at the commit - keep it from being reported as unhandled meanwhile.
          slot.plan.catch(() => undefined);
        } else if (!check.done) {
          const raw = item.raw;
          slot.plan = () => pipeline.planIngest({ env, raw });
        }
        fifo.push(slot);
        fifoBytes += item.raw.length;
        if (fifo.length >= 2 * batchSize || fifoBytes > AHEAD_BYTES) await commit(batchSize);
      }
      if (how.signal?.aborted) {
        s.interrupted = true;
        break;
      }
    }
    while (fifo.length > 0) await commit(batchSize);
    if (relaxed) await store.sync();
  } finally {
    // On an error or an interrupt: close the input (file handles, stdin) and the workers.
    await reader.return(undefined);
    if (pool !== how.pool) await (pool as AnalyzePool | null)?.close();
    progress?.stop();
  }
  s.seconds = (Date.now() - started) / 1000;
  s.rate = s.seconds > 0 ? Math.round(s.messages / s.seconds) : 0;
  s.threads = (pool as AnalyzePool | null)?.threads ?? 0;
  return s;
}

function addError(s: IngestSummary, e: IngestSummary['errors'][number]): void {
  if (s.errors.length < MAX_ERRORS) s.errors.push(e);
  else s.moreErrors++;
}

function tally(s: IngestSummary, o: ProcessOutcome): void {
  if (o.skipped) return;
  if (o.messageType) s.byType[o.messageType] = (s.byType[o.messageType] ?? 0) + 1;
  if (o.state === 'processed') s.processed++;
  else if (o.state === 'not-a-bounce') s.notABounce++;
  else if (o.state === 'failed') {
    s.failed++;
    addError(s, { source: `message #${o.id}`, error: o.error ?? 'failed' });
  }
  for (const c of o.categories) {
    s.bounces++;
    s.byCategory[String(c)] = (s.byCategory[String(c)] ?? 0) + 1;
  }
}

const CATEGORY_NAMES: Record<string, string> = {
  '1': 'spam/blocked (suspend)',
  '2': 'invalid address',
  '3': 'soft: full/timeout/throttle',
  '4': 'soft: DNS/transient/policy',
  '9': 'soft: unknown',
};

function formatSummary(s: IngestSummary): string {
  const lines = [
    `messages:      ${s.messages} read, ${s.stored} stored, ${s.duplicates} duplicate${s.duplicates === 1 ? '' : 's'} (${s.seconds.toFixed(1)} s, ${s.rate} msg/s${s.threads > 0 ? `, ${s.threads} worker thread${s.threads === 1 ? '' : 's'}` : ''})`,
    `processed:     ${s.processed}, not a bounce: ${s.notABounce}, failed: ${s.failed}`,
    `bounces:       ${s.bounces} recipient failure${s.bounces === 1 ? '' : 's'}`,
  ];
  for (const [c, n] of Object.entries(s.byCategory).sort()) lines.push(`  category ${c}:  ${n}  ${CATEGORY_NAMES[c] ?? ''}`);
  const types = Object.entries(s.byType).map(([k, v]) => `${k} ${v}`).join(', ');
  if (types) lines.push(`message types: ${types}`);
  if (s.unreadable > 0) lines.push(`unreadable:    ${s.unreadable}`);
  for (const e of s.errors.slice(0, 20)) lines.push(`  ${e.source}: ${e.error}`);
  const more = s.errors.length - Math.min(20, s.errors.length) + s.moreErrors;
  if (more > 0) lines.push(`  ... and ${more} more`);
  if (s.interrupted) lines.push('interrupted:   yes (run the same command again to go on)');
  return `${lines.join('\n')}\n`;
}
