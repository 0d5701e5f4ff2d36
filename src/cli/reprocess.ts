/**
 * cli/reprocess - `rebound reprocess [--failed] [--pending] [--not-a-bounce] [--processed]
 * [--id N...] [--since TIME] [--until TIME] [--all] [--json]`: run the pipeline again on stored
 * messages (after an upgrade of the parser or classifier). Each message's old events are replaced
 * and the touched addresses recomputed, so reprocessing never double-counts.
 * Both store backends (store.backend), through the one pipeline (pipeline/run.ts): on PostgreSQL a
 * message a daemon is processing right now is waited for, then done again.
 * Config: store.backend, store.path (--db) or store.url..., state.*, verp.* (attribution).
 */
import type { Command } from 'commander';
import type { MessageState, ReprocessFilter } from '../store/index.js';
import { addStoreOptions, withStoreApi, type StoreCliOptions } from './open-store.js';
import { parseTime, UsageError } from './args.js';
import { pipelineFor } from './pipeline-for.js';

interface ReprocessOpts extends StoreCliOptions {
  failed?: boolean;
  pending?: boolean;
  notABounce?: boolean;
  processed?: boolean;
  id?: string[];
  since?: string;
  until?: string;
  all?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  addStoreOptions(
    program
      .command('reprocess')
      .description('parse and classify stored messages again (e.g. --failed after an upgrade)')
      .option('--failed', 'messages that failed')
      .option('--pending', 'messages not processed yet')
      .option('--not-a-bounce', 'messages judged not to be bounces')
      .option('--processed', 'messages already processed')
      .option('--id <id...>', 'these message ids')
      .option('--since <time>', 'received at or after (ISO date, or 7d / 36h ago)')
      .option('--until <time>', 'received before')
      .option('--all', 'every stored message')
      .option('--json', 'one JSON outcome per message'),
  ).action(async (opts: ReprocessOpts) => {
    const filter = buildFilter(opts);
    const outcomes = await withStoreApi(opts, (store) => pipelineFor(store).reprocess(filter), { mustExist: true });
    if (opts.json) for (const o of outcomes) process.stdout.write(`${JSON.stringify(o)}\n`);
    const by: Record<string, number> = {};
    for (const o of outcomes) by[o.skipped ? 'skipped' : o.state] = (by[o.skipped ? 'skipped' : o.state] ?? 0) + 1;
    const summary = Object.entries(by).map(([k, v]) => `${k} ${v}`).join(', ');
    (opts.json ? process.stderr : process.stdout).write(`reprocessed ${outcomes.length} message(s)${summary ? `: ${summary}` : ''}\n`);
  });
}

export function buildFilter(opts: ReprocessOpts): ReprocessFilter {
  const states: MessageState[] = [];
  if (opts.failed) states.push('failed');
  if (opts.pending) states.push('pending');
  if (opts.notABounce) states.push('not-a-bounce');
  if (opts.processed) states.push('processed');
  const ids = (opts.id ?? []).map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--id: not a message id: ${JSON.stringify(s)}`);
    return n;
  });
  const f: ReprocessFilter = {};
  if (opts.all) f.all = true;
  if (states.length) f.states = states;
  if (ids.length) f.ids = ids;
  if (opts.since !== undefined) f.since = parseTime(opts.since);
  if (opts.until !== undefined) f.until = parseTime(opts.until);
  if (!f.all && !f.states && !f.ids && f.since === undefined && f.until === undefined) {
    throw new UsageError('reprocess: choose messages: --failed, --pending, --not-a-bounce, --processed, --id, --since/--until or --all');
  }
  return f;
}
