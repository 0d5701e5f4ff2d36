/**
 * cli/export - `rebound export --csv|--json [--out FILE] [--flagged]`: every address row
 * (Marketo fields, soft counters, first/last bounce), for a CRM or another ESP. CSV has a header
 * line and ISO 8601 UTC times; JSON is one object per line. --flagged keeps only addresses that
 * are invalid, suspended or complained. Config: store.path (--db).
 */
import type { Command } from 'commander';
import { createWriteStream } from 'node:fs';
import type { AddressState } from '../store/index.js';
import { addStoreOptions, csvLine, formatTime, UsageError, withStore, type StoreCliOptions } from './open-store.js';

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
    await withStore(opts, async (store) => {
      const out = opts.out ? createWriteStream(opts.out) : process.stdout;
      if (opts.csv) out.write(csvLine([...EXPORT_COLUMNS]));
      for (const a of store.exportAddresses()) {
        if (opts.flagged && !a.emailInvalid && !a.emailSuspended && !a.complained) continue;
        const ok = out.write(opts.csv ? csvLine(csvRow(a)) : `${JSON.stringify(a)}\n`);
        n++;
        if (!ok) await new Promise<void>((r) => (out as NodeJS.WritableStream).once('drain', () => r()));
      }
      if (opts.out) await new Promise<void>((res, rej) => (out as ReturnType<typeof createWriteStream>).end((e?: Error | null) => (e ? rej(e) : res())));
    }, { mustExist: true });
    process.stderr.write(`exported ${n} address${n === 1 ? '' : 'es'}\n`);
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
