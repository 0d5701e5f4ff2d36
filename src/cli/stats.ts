/**
 * cli/stats - `rebound stats [--json]`: message counts by processing state, events by category,
 * reason and effect, address counts (invalid, suspended, suspended now, complained), and each IMAP
 * mailbox's last run, last success, last error and backlog (table imap_health, written by the
 * daemon's poller and `rebound poll`; works while the daemon runs).
 * Config: store.path (--db), state.suspendHours.
 */
import type { Command } from 'commander';
import type { ImapHealth, Stats } from '../store/index.js';
import { addStoreOptions, withStoreApi, type StoreCliOptions } from './open-store.js';
import { addNowOption, nowOption } from './args.js';
import { formatTime } from './format.js';

export function register(program: Command): void {
  addStoreOptions(
    addNowOption(program.command('stats').description('counts of messages, events and flagged addresses; IMAP mailbox health').option('--json', 'print JSON')),
  ).action(async (opts: StoreCliOptions & { json?: boolean; now?: string }) => {
    const now = nowOption(opts);
    const st = await withStoreApi(opts, (store) => store.stats(now), { readonly: true, mustExist: true });
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
    ...formatImap(s.imap),
    `schema:     v${s.schemaVersion}`,
    '',
  ].join('\n');
}

/** One line per mailbox; "failing" when its latest outcome is an error (see docs/SCHEMA.md). */
function formatImap(rows: readonly ImapHealth[]): string[] {
  if (rows.length === 0) return [];
  const t = (ms: number | null) => (ms === null ? 'never' : formatTime(ms));
  return [
    `imap:       ${rows.length} mailbox${rows.length === 1 ? '' : 'es'}`,
    ...rows.map((h) => {
      const failing = h.lastErrorAt !== null && h.lastErrorAt > (h.lastSuccessAt ?? 0);
      const parts = [
        `  ${h.mailbox}: ${failing ? 'FAILING' : h.lastSuccessAt === null ? 'not run yet' : 'ok'}`,
        `last run ${t(h.lastRunAt)}`,
        `last success ${t(h.lastSuccessAt)}`,
        `backlog ${h.backlog ?? 'unknown'}`,
        `messages last run ${h.messagesLastRun ?? '-'}`,
      ];
      if (h.lastError !== null) parts.push(`last error ${t(h.lastErrorAt)}: ${h.lastError}`);
      return parts.join('; ');
    }),
  ];
}
