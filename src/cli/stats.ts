/**
 * cli/stats - `rebound stats [--json]`: message counts by processing state, events by category,
 * reason and effect, and address counts (invalid, suspended, suspended now, complained).
 * Config: store.path (--db), state.suspendHours.
 */
import type { Command } from 'commander';
import type { Stats } from '../store/index.js';
import { addStoreOptions, withStore, type StoreCliOptions } from './open-store.js';

export function register(program: Command): void {
  addStoreOptions(
    program.command('stats').description('counts of messages, events and flagged addresses').option('--json', 'print JSON'),
  ).action(async (opts: StoreCliOptions & { json?: boolean }) => {
    const st = await withStore(opts, (store) => store.stats(), { mustExist: true });
    process.stdout.write(opts.json ? `${JSON.stringify(st)}\n` : formatStats(st));
  });
}

export function formatStats(s: Stats): string {
  const kv = (o: Record<string, number>) => Object.entries(o).map(([k, v]) => `${k}=${v}`).join(' ') || '-';
  const m = s.messages;
  return [
    `messages:   ${m.total} (pending ${m.pending}, processed ${m.processed}, not-a-bounce ${m['not-a-bounce']}, failed ${m.failed}; raw ${m.rawBytes} bytes, ${m.pruned} pruned)`,
    `events:     ${s.events.total}`,
    `  category: ${kv(s.events.byCategory)}`,
    `  effect:   ${kv(s.events.byEffect)}`,
    `  reason:   ${kv(s.events.byReason)}`,
    `addresses:  ${s.addresses.known} known, ${s.addresses.invalid} invalid, ${s.addresses.suspended} suspended (${s.addresses.suspendedNow} now), ${s.addresses.complained} complained`,
    `schema:     v${s.schemaVersion}`,
    '',
  ].join('\n');
}
