/**
 * cli/export - `rebound export --csv|--json [--out FILE] [--flagged]`: every address row
 * (Marketo fields, soft counters, first/last bounce), for a CRM or another ESP. CSV has a header
 * line and ISO 8601 UTC times; JSON is one object per line. --flagged keeps only addresses that
 * are invalid, suspended or complained. Written as read, so memory stays flat on any number of
 * addresses; a reader that goes away (`| head`) ends the export quietly. Config: store.path (--db).
 */
import type { Command } from 'commander';
import type { AddressState } from '../store/index.js';
import { addStoreOptions, withStoreApi, type StoreCliOptions } from './open-store.js';
import { UsageError } from './args.js';
import { csvLine, formatTime } from './format.js';
import { LineSink } from './output.js';

export const EXPORT_COLUMNS = [
  'address',
  'email_invalid',
  'email_invalid_cause',
  'email_invalid_at',
  'email_suspended',
  'email_suspended_cause',
  'email_suspended_at',
  'complained',
  'complained_at',
  'soft_bounces',
  'first_bounce_at',
  'last_bounce_at',
] as const;

export function register(program: Command): void {
  addStoreOptions(
    program
      .command('export')
      .description('export every address state as CSV or JSON lines')
      .option('--csv', 'CSV with a header line')
      .option('--json', 'one JSON object per line')
      .option('--flagged', 'only invalid, suspended or complained addresses')
      .option('--out <file>', 'write to a file instead of stdout'),
  ).action(async (opts: StoreCliOptions & { csv?: boolean; json?: boolean; flagged?: boolean; out?: string }) => {
    if (Boolean(opts.csv) === Boolean(opts.json)) throw new UsageError('export: give exactly one of --csv, --json');
    let n = 0;
    let gone = false;
    await withStoreApi(opts, async (store) => {
      // Row by row from one read of the table (a consistent snapshot), a chunk written at a time.
      const out = LineSink.open(opts.out);
      if (opts.csv) await out.write(csvLine([...EXPORT_COLUMNS]));
      for await (const a of store.exportAddresses({ flagged: opts.flagged === true })) {
        // No await while a chunk fills: only a full chunk is written and waited for.
        const w = out.write(opts.csv ? csvLine(csvRow(a)) : `${JSON.stringify(a)}\n`);
        if (w !== true && !(await w)) break;
        n++;
      }
      await out.end();
      gone = out.closed;
    }, { mustExist: true });
    // The reader went away (| head): stop quietly, as the other end asked.
    if (!gone) process.stderr.write(`exported ${n} address${n === 1 ? '' : 'es'}\n`);
  });
}

export function csvRow(a: AddressState): unknown[] {
  return [
    a.address,
    a.emailInvalid ? 1 : 0,
    a.emailInvalidCause,
    formatTime(a.emailInvalidAt),
    a.emailSuspended ? 1 : 0,
    a.emailSuspendedCause,
    formatTime(a.emailSuspendedAt),
    a.complained ? 1 : 0,
    formatTime(a.complainedAt),
    a.softBounces,
    formatTime(a.firstBounceAt),
    formatTime(a.lastBounceAt),
  ];
}
