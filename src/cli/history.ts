/**
 * cli/history - `rebound history ADDRESS [--limit N] [--json]`: every event (bounce, delay,
 * complaint, auto-reply...) and every reset/import for one address, newest first.
 * Config: store.path (--db).
 */
import type { Command } from 'commander';
import type { HistoryEntry } from '../store/index.js';
import { addressArg, addStoreOptions, formatTime, UsageError, withStore, type StoreCliOptions } from './open-store.js';

export function register(program: Command): void {
  addStoreOptions(
    program
      .command('history')
      .description('list the events and operator actions for an address, newest first')
      .argument('<address>', 'email address')
      .option('--limit <n>', 'at most this many entries', '100')
      .option('--json', 'one JSON object per line'),
  ).action(async (address: string, opts: StoreCliOptions & { json?: boolean; limit: string }) => {
    addressArg(address);
    const limit = Number(opts.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit: expected a positive integer, got ${JSON.stringify(opts.limit)}`);
    const entries = await withStore(opts, (store) => store.history(address, limit), { mustExist: true });
    if (opts.json) {
      for (const e of entries) process.stdout.write(`${JSON.stringify(e)}\n`);
      return;
    }
    if (entries.length === 0) process.stdout.write(`no history for ${address}\n`);
    for (const e of entries) process.stdout.write(`${formatEntry(e)}\n`);
  });
}

export function formatEntry(e: HistoryEntry): string {
  const when = formatTime(e.at);
  if (e.kind !== 'event') return `${when}  ${e.kind.padEnd(9)} ${e.what} by ${e.who}: ${e.why}`;
  const code = [e.replyCode, e.status].filter(Boolean).join(' ');
  const cat = e.category ? ` cat ${e.category}` : '';
  const lfp = e.likelyFalsePositive ? ' (likely false positive)' : '';
  return `${when}  ${(e.messageType ?? '').padEnd(9)} ${e.reason}${cat}${lfp} ${code} -> ${e.effect}  msg #${e.messageId}${e.diagnostic ? `\n    ${e.diagnostic}` : ''}`;
}
