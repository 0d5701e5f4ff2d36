/**
 * cli/history - `rebound history ADDRESS [--limit N | --all] [--json]`: every event (bounce, delay,
 * complaint, auto-reply...) and every reset/import for one address, newest first, written as read
 * (flat memory however long the history); a reader that goes away (`| head`) ends it quietly.
 * Config: store.path (--db).
 */
import type { Command } from 'commander';
import type { HistoryEntry } from '../store/index.js';
import { addStoreOptions, withStoreApi, type StoreCliOptions } from './open-store.js';
import { addressArg, UsageError } from './args.js';
import { formatTime } from './format.js';
import { LineSink } from './output.js';

export function register(program: Command): void {
  addStoreOptions(
    program
      .command('history')
      .description('list the events and operator actions for an address, newest first')
      .argument('<address>', 'email address')
      .option('--limit <n>', 'at most this many entries', '100')
      .option('--all', 'every entry (no limit)')
      .option('--json', 'one JSON object per line'),
  ).action(async (address: string, opts: StoreCliOptions & { json?: boolean; limit: string; all?: boolean }) => {
    addressArg(address);
    const limit = opts.all ? Number.MAX_SAFE_INTEGER : Number(opts.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit: expected a positive integer, got ${JSON.stringify(opts.limit)}`);
    await withStoreApi(opts, async (store) => {
      // Written as read: a role address with thousands of events is never held whole.
      const out = LineSink.open();
      let n = 0;
      for await (const e of store.historyEntries(address, limit)) {
        const w = out.write(opts.json ? `${JSON.stringify(e)}\n` : `${formatEntry(e)}\n`);
        if (w !== true && !(await w)) break;
        n++;
      }
      if (n === 0 && !opts.json) await out.write(`no history for ${address}\n`);
      await out.end();
    }, { readonly: true, mustExist: true });
  });
}

function formatEntry(e: HistoryEntry): string {
  const when = formatTime(e.at);
  if (e.kind !== 'event') return `${when}  ${e.kind.padEnd(9)} ${e.what} by ${e.who}: ${e.why}`;
  const code = [e.replyCode, e.status].filter(Boolean).join(' ');
  const cat = e.category ? ` cat ${e.category}` : '';
  const lfp = e.likelyFalsePositive ? ' (likely false positive)' : '';
  return `${when}  ${(e.messageType ?? '').padEnd(9)} ${e.reason}${cat}${lfp} ${code} -> ${e.effect}  msg #${e.messageId}${e.diagnostic ? `\n    ${e.diagnostic}` : ''}`;
}
