/**
 * cli/verify-state - `rebound verify-state [--repair] [--address A...] [--json] [--no-progress]`:
 * fold every address's whole event and action history again (the rules of docs/STATE-RULES.md)
 * and compare it with the stored address row, which rebound keeps up to date one event at a time.
 * A consistent store prints nothing on stdout and exits 0.
 *
 * Out: one line per differing address (with --json one object: address, fields, stored, computed,
 * repaired) on stdout as found, a summary on stderr, a progress bar on a terminal. Exit 1 when a
 * difference is left (not repaired); with --repair each differing row is replaced by the fold, in
 * the transaction that found it, and the exit is 0. Safe next to a running daemon: a few hundred
 * addresses per transaction. Config: store.path (--db), state.* (the rules the fold uses: run it
 * with the daemon's config, or rows that differ only because the rules changed are reported).
 */
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import type { AddressFold, StateDifference } from '../store/index.js';
import { addStoreOptions, withStoreApi, type StoreCliOptions } from './open-store.js';
import { LineSink } from './output.js';

interface VerifyOpts extends StoreCliOptions {
  repair?: boolean;
  address?: string[];
  json?: boolean;
  progress?: boolean;
}

export function register(program: Command): void {
  addStoreOptions(
    program
      .command('verify-state')
      .description('recompute every address from its history and report (or --repair) rows that differ')
      .option('--repair', 'replace each differing row by the recomputed state')
      .option('--address <address...>', 'only these addresses')
      .option('--json', 'one JSON object per differing address')
      .option('--no-progress', 'no progress bar even on a terminal'),
  ).action(async (opts: VerifyOpts) => {
    const left = await withStoreApi(opts, async (store) => {
      const out = LineSink.open();
      const showBar = opts.progress !== false && process.stderr.isTTY === true && !opts.address;
      const bar = showBar ? new SingleBar({ format: 'verify [{bar}] {value}/{total} addresses | {differ} differ', hideCursor: true, stream: process.stderr }) : undefined;
      if (bar) bar.start(Math.max(1, (await store.stats()).addresses.known), 0, { differ: 0 });
      const it = store.verifyState({
        repair: opts.repair === true,
        ...(opts.address ? { addresses: opts.address } : {}),
        onProgress: (checked, differing) => bar?.update(checked, { differ: differing }),
      });
      let r = await it.next();
      while (!r.done) {
        await out.write(opts.json ? `${JSON.stringify(r.value)}\n` : `${formatDifference(r.value)}\n`);
        r = await it.next();
      }
      await out.end();
      bar?.stop();
      const s = r.value;
      process.stderr.write(
        `verify-state: ${s.checked} address${s.checked === 1 ? '' : 'es'} checked, ${s.differing} differ` +
          `${opts.repair ? `, ${s.repaired} repaired` : ''}\n`,
      );
      return s.differing - s.repaired;
    }, { mustExist: true });
    if (left > 0) process.exitCode = 1;
  });
}

function show(f: AddressFold | null, field: string): string {
  if (f === null) return 'none';
  if (field === 'softDayList') return `[${f.softDayList.join(',')}]`;
  if (field === 'last') return f.last ? `${f.last.rank === 0 ? 'event' : 'action'} ${f.last.id} @${f.last.order}` : 'none';
  return JSON.stringify((f.state as unknown as Record<string, unknown>)[field]);
}

/** "a@x: events 6 -> 4, softBounces 6 -> 4 (repaired)": stored value -> value from the history. */
export function formatDifference(d: StateDifference): string {
  const parts =
    d.fields[0] === 'row'
      ? [d.stored === null ? 'no row, but history' : 'row, but no history']
      : d.fields.map((f) => `${f} ${show(d.stored, f)} -> ${show(d.computed, f)}`);
  return `${d.address}: ${parts.join(', ')}${d.repaired ? ' (repaired)' : ''}`;
}
