/**
 * cli/poll - `rebound poll [--mailbox NAME] [--until-empty] [--json]`: one IMAP pass by hand over
 * every configured mailbox (or one), with a progress bar on a terminal. Useful for backfills:
 * `--until-empty` repeats passes until nothing is left, `--max-messages 0 --max-seconds 0` lifts
 * the per-pass limits.
 *
 * In: config (imap.mailboxes[], store.*; -c / $REBOUND_CONFIG), --db. Out: one summary line per
 * mailbox with the rate (or one JSON object per line); a large folder is read a window of UIDs at
 * a time (intake/imap.ts), so memory stays flat. Exit 0 when every pass succeeded, 1 when one failed (the
 * error says which mailbox and why), 2 for an unknown --mailbox or no mailboxes configured.
 * Safe next to a running daemon: the store dedupes by content, and each pass commits before it
 * moves anything on the server. Each pass (and a failure) is recorded in the store's imap_health
 * table like the daemon's passes, so `rebound stats` shows it; passwords never appear.
 */
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { hostname } from 'node:os';
import type { ImapMailboxConfig } from '../config/schema.js';
import { errorText, pollMailbox, type PollResult } from '../intake/imap.js';
import { imapPollStore, saveMailboxHealth, type ImapPollStore } from '../jobs/poll-imap.js';
import type { CheckOptions } from '../verp/sign.js';
import { addStoreOptions, withStoreApi, type StoreCliOptions } from './open-store.js';
import { UsageError } from './args.js';
import { pipelineFor } from './pipeline-for.js';

interface PollOpts extends StoreCliOptions {
  mailbox?: string;
  untilEmpty?: boolean;
  json?: boolean;
  progress?: boolean;
  maxMessages?: string;
  maxSeconds?: string;
  batch?: string;
}

export function register(program: Command): void {
  addStoreOptions(
    program
      .command('poll')
      .description('run one IMAP pass now over the configured mailboxes (backfills, checks)')
      .option('--mailbox <name>', 'only this mailbox (imap.mailboxes[].name)')
      .option('--until-empty', 'repeat passes until no backlog is left')
      .option('--max-messages <n>', 'messages per pass (default: maxMessagesPerRun; 0 = no limit)')
      .option('--max-seconds <n>', 'seconds per pass (default: maxRunSeconds; 0 = no limit)')
      .option('--batch <n>', 'most messages per FETCH + commit + MOVE round (default 500)')
      .option('--json', 'one JSON object per mailbox, one per line')
      .option('--no-progress', 'no progress bar even on a terminal'),
  ).action(async (opts: PollOpts) => {
    const failures = await withStoreApi(opts, async (store, config) =>
      // A folder is read under this process's lease, as a daemon reads it (PostgreSQL: the daemons
      // skip it meanwhile).
      runPoll(config.imap.mailboxes, imapPollStore(store, pipelineFor(store), `${hostname()}:${process.pid} (rebound poll)`), {
        verp: config.verp,
        mailbox: opts.mailbox,
        untilEmpty: Boolean(opts.untilEmpty),
        maxMessages: count(opts.maxMessages, '--max-messages'),
        maxRunSeconds: count(opts.maxSeconds, '--max-seconds'),
        batchSize: count(opts.batch, '--batch') || undefined,
        json: Boolean(opts.json),
        progress: opts.progress !== false && process.stderr.isTTY === true,
        write: (s) => process.stdout.write(s),
        warn: (s) => process.stderr.write(s),
      }),
    );
    if (failures > 0) process.exitCode = 1;
  });
}

function count(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`${flag}: expected a whole number, got ${JSON.stringify(v)}`);
  return Number(v);
}

export interface RunPollOptions {
  mailbox?: string;
  untilEmpty?: boolean;
  maxMessages?: number;
  maxRunSeconds?: number;
  batchSize?: number;
  json?: boolean;
  progress?: boolean;
  /** verp.*: judges the fetched messages' return paths (intake/imap-session.ts). */
  verp?: CheckOptions;
  write: (s: string) => void;
  warn: (s: string) => void;
}

/** Poll the selected mailboxes one after the other; returns how many failed. */
async function runPoll(mailboxes: readonly ImapMailboxConfig[], store: ImapPollStore, o: RunPollOptions): Promise<number> {
  if (mailboxes.length === 0) throw new UsageError('no IMAP mailboxes are configured ([[imap.mailboxes]] in the config file)');
  const chosen = o.mailbox === undefined ? mailboxes : mailboxes.filter((m) => m.name === o.mailbox);
  if (chosen.length === 0)
    throw new UsageError(`no IMAP mailbox named "${o.mailbox}"; configured: ${mailboxes.map((m) => m.name).join(', ')}`);

  let failures = 0;
  for (const cfg of chosen) {
    const bar = o.progress
      ? new SingleBar({
          format: `${cfg.name} [{bar}] {value}/{total} messages | {folder} | {rate} msg/s`,
          hideCursor: true,
          stream: process.stderr,
        })
      : undefined;
    const started = Date.now();
    const sum = { passes: 0, fetched: 0, stored: 0, duplicates: 0, outcomes: { pending: 0, processed: 0, 'not-a-bounce': 0, failed: 0 }, backlog: 0 };
    let last: PollResult | undefined;
    let error: string | undefined;
    let base = 0;
    bar?.start(1, 0, { folder: '', rate: 0 });
    let passStarted = started;
    try {
      for (;;) {
        passStarted = Date.now();
        const r = await pollMailbox(cfg, {
          store,
          verp: o.verp,
          batchSize: o.batchSize,
          maxMessages: o.maxMessages,
          maxRunSeconds: o.maxRunSeconds,
          onProgress: (p) => {
            const secs = Math.max(0.001, (Date.now() - started) / 1000);
            bar?.setTotal(Math.max(1, base + p.total));
            bar?.update(base + p.done, { folder: p.folder, rate: Math.round((base + p.done) / secs) });
          },
        });
        last = r;
        await saveMailboxHealth(store, cfg, { startedAt: passStarted, endedAt: Date.now(), result: r }, (m) => o.warn(`rebound poll: ${m}\n`));
        sum.passes++;
        sum.fetched += r.fetched;
        sum.stored += r.stored;
        sum.duplicates += r.duplicates;
        for (const k of Object.keys(sum.outcomes) as (keyof typeof sum.outcomes)[]) sum.outcomes[k] += r.outcomes[k];
        sum.backlog = r.backlog;
        base += r.fetched;
        // Stop when done, or when a pass made no progress (nothing more can be fetched now).
        if (!o.untilEmpty || r.backlog === 0 || r.fetched === 0) break;
      }
    } catch (err) {
      error = errorText(cfg, err);
      await saveMailboxHealth(store, cfg, { startedAt: passStarted, endedAt: Date.now(), error: err }, (m) => o.warn(`rebound poll: ${m}\n`));
      failures++;
    } finally {
      bar?.stop();
    }
    const seconds = (Date.now() - started) / 1000;
    // Messages fetched (and committed, processed, acknowledged) per second over all passes.
    const rate = seconds > 0 ? Math.round(sum.fetched / seconds) : 0;
    if (o.json) {
      o.write(`${JSON.stringify({ mailbox: cfg.name, ok: error === undefined, error: error ?? null, ...sum, stoppedBy: last?.stoppedBy ?? null, seconds, rate })}\n`);
    } else if (error === undefined) {
      const oc = sum.outcomes;
      o.write(
        `${cfg.name}: fetched ${sum.fetched}, stored ${sum.stored}, duplicates ${sum.duplicates}; ` +
          `processed ${oc.processed}, not-a-bounce ${oc['not-a-bounce']}, failed ${oc.failed}; ` +
          `backlog ${sum.backlog} (${last?.stoppedBy ?? 'done'}) in ${seconds.toFixed(1)} s, ${rate} msg/s\n`,
      );
    }
    if (error !== undefined) o.warn(`rebound poll: ${error}${sum.fetched > 0 ? ` (after ${sum.fetched} messages, which are kept)` : ''}\n`);
  }
  return failures;
}
