/**
 * cli/ingest - `rebound ingest PATH...|- [--json] [--no-progress] [--batch N]`: store and process
 * files, directories (recursively), mbox files and stdin, like the daemon does for SMTP/IMAP.
 *
 * In: paths (read by intake/file.ts). Out: a summary (messages read, stored, duplicates, bounces by
 * category, not-a-bounce, failures, unreadable inputs); a progress bar on stderr when it is a
 * terminal. Messages are committed in batches (one transaction per batch: group commit), then
 * processed in batches, so a long run is fast and another process (the daemon) is never locked out
 * for long. Messages that fail to parse are stored, marked failed and listed in the summary (exit 0).
 *
 * Exit status (cli/exit-codes.ts): 1 when an input path could not be read, 2 usage/config error,
 * 75 (EX_TEMPFAIL) when a temporary failure kept messages from being stored. Reading stdin ('-', the
 * MTA pipe transport), every failure exits 75 - Postfix and Exim then keep the bounce and retry,
 * where any other status would bounce it and lose it - except input that can never be stored
 * (65, EX_DATAERR). A retry after a partial commit is safe: stored messages are duplicates.
 * Config: store.path (--db), store.busyTimeoutMs, state.*.
 */
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readInputs } from '../intake/file.js';
import type { ProcessOutcome, Store } from '../store/index.js';
import type { Envelope } from '../types.js';
import { isTemporary } from '../errors.js';
import { EXIT } from './exit-codes.js';
import { addStoreOptions, UsageError, withStore, type StoreCliOptions } from './open-store.js';

export interface IngestSummary {
  inputs: number;
  unreadable: number;
  messages: number;
  stored: number;
  duplicates: number;
  processed: number;
  notABounce: number;
  failed: number;
  /** Recipient results that were failures (bounces), by Marketo category. */
  bounces: number;
  byCategory: Record<string, number>;
  /** Message types seen (bounce, delayed, feedback, autoreply, delivered, not-bounce). */
  byType: Record<string, number>;
  /** permanent: the input can never be stored (stdin over its size limit). */
  errors: { source: string; error: string; permanent?: true }[];
  seconds: number;
}

interface IngestOpts extends StoreCliOptions {
  json?: boolean;
  progress?: boolean;
  batch: string;
}

export function register(program: Command): void {
  addStoreOptions(
    program
      .command('ingest')
      .description('store and process bounce messages from files, directories, mbox files or stdin')
      .argument('<paths...>', "files, directories, mbox files, or '-' for stdin")
      .option('--json', 'print the summary as JSON')
      .option('--no-progress', 'no progress bar even on a terminal')
      .option('--batch <n>', 'messages per transaction', '100'),
  ).action(async (paths: string[], opts: IngestOpts) => {
    const stdin = paths.includes('-');
    let summary: IngestSummary;
    try {
      const batch = Number(opts.batch);
      if (!Number.isInteger(batch) || batch < 1 || batch > 10_000) throw new UsageError(`--batch: expected 1-10000, got ${JSON.stringify(opts.batch)}`);
      const showBar = opts.progress !== false && process.stderr.isTTY === true;
      summary = await withStore(opts, (store) => ingest(store, paths, { batch, progress: showBar }));
    } catch (err) {
      throw ingestFailure(err, stdin);
    }
    process.stdout.write(opts.json ? `${JSON.stringify(summary)}\n` : formatSummary(summary));
    // A message that fails to parse is stored and marked (reprocess later): not an ingest error.
    if (summary.unreadable > 0) {
      const permanent = summary.errors.every((e) => e.permanent === true);
      process.exitCode = stdin ? (permanent ? EXIT.dataErr : EXIT.tempFail) : EXIT.failure;
    }
  });
}

/** The error main.ts reports, with the exit status the caller (an MTA, a script) needs. */
export function ingestFailure(err: unknown, stdin: boolean): Error & { exitCode: number } {
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

export async function ingest(
  store: Store,
  paths: string[],
  how: { batch?: number; progress?: boolean; now?: () => number } = {},
): Promise<IngestSummary> {
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
    seconds: 0,
  };
  const bar = how.progress ? new SingleBar({
    format: 'ingest [{bar}] {value}/{total} messages | {rate} msg/s | {bounces} bounces',
    hideCursor: true,
    stream: process.stderr,
  }) : undefined;
  let total = how.progress ? estimate(paths) : 0;
  bar?.start(Math.max(total, 1), 0, { rate: 0, bounces: 0 });

  let pending: { env: Envelope; raw: Buffer; source: string }[] = [];
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    // One transaction per batch (group commit); duplicates still pending (a previous run died
    // half-way) are processed too, finished ones are skipped.
    for (const r of await store.ingestMessages(pending.map(({ env, raw }) => ({ env, raw })))) {
      if (r.duplicate) s.duplicates++;
      else s.stored++;
      tally(s, r.outcome);
    }
    pending = [];
    if (bar) {
      if (s.messages > total) bar.setTotal((total = s.messages));
      const secs = (Date.now() - started) / 1000;
      bar.update(s.messages, { rate: secs > 0 ? Math.round(s.messages / secs) : 0, bounces: s.bounces });
    }
  };

  for await (const item of readInputs(paths)) {
    if ('error' in item) {
      s.unreadable++;
      s.errors.push({ source: item.source, error: item.error, ...(item.permanent ? { permanent: true as const } : {}) });
      continue;
    }
    s.messages++;
    const stdin = item.source === '-' || item.source.startsWith('-#');
    pending.push({
      source: item.source,
      raw: item.raw,
      env: { source: stdin ? 'stdin' : 'file', origin: item.source, mailFrom: '', rcptTo: [], receivedAt: now() },
    });
    if (pending.length >= batchSize) await flush();
  }
  await flush();
  bar?.stop();
  s.seconds = (Date.now() - started) / 1000;
  return s;
}

function tally(s: IngestSummary, o: ProcessOutcome): void {
  if (o.skipped) return;
  if (o.messageType) s.byType[o.messageType] = (s.byType[o.messageType] ?? 0) + 1;
  if (o.state === 'processed') s.processed++;
  else if (o.state === 'not-a-bounce') s.notABounce++;
  else if (o.state === 'failed') {
    s.failed++;
    s.errors.push({ source: `message #${o.id}`, error: o.error ?? 'failed' });
  }
  for (const c of o.categories) {
    s.bounces++;
    s.byCategory[String(c)] = (s.byCategory[String(c)] ?? 0) + 1;
  }
}

/** Files under the paths (an mbox counts once; the bar's total grows when it is passed). */
function estimate(paths: string[]): number {
  let n = 0;
  const walk = (p: string, depth: number) => {
    try {
      const st = statSync(p);
      if (st.isDirectory()) {
        if (depth > 20) return;
        for (const e of readdirSync(p)) walk(join(p, e), depth + 1);
      } else n++;
    } catch {
      n++;
    }
  };
  for (const p of paths) if (p !== '-') walk(p, 0);
  return n;
}

const CATEGORY_NAMES: Record<string, string> = {
  '1': 'spam/blocked (suspend)',
  '2': 'invalid address',
  '3': 'soft: full/timeout/throttle',
  '4': 'soft: DNS/transient/policy',
  '9': 'soft: unknown',
};

export function formatSummary(s: IngestSummary): string {
  const lines = [
    `messages:      ${s.messages} read, ${s.stored} stored, ${s.duplicates} duplicate${s.duplicates === 1 ? '' : 's'} (${s.seconds.toFixed(1)} s)`,
    `processed:     ${s.processed}, not a bounce: ${s.notABounce}, failed: ${s.failed}`,
    `bounces:       ${s.bounces} recipient failure${s.bounces === 1 ? '' : 's'}`,
  ];
  for (const [c, n] of Object.entries(s.byCategory).sort()) lines.push(`  category ${c}:  ${n}  ${CATEGORY_NAMES[c] ?? ''}`);
  const types = Object.entries(s.byType).map(([k, v]) => `${k} ${v}`).join(', ');
  if (types) lines.push(`message types: ${types}`);
  if (s.unreadable > 0) lines.push(`unreadable:    ${s.unreadable}`);
  for (const e of s.errors.slice(0, 20)) lines.push(`  ${e.source}: ${e.error}`);
  if (s.errors.length > 20) lines.push(`  ... and ${s.errors.length - 20} more`);
  return `${lines.join('\n')}\n`;
}
