/**
 * cli/list - `rebound list --invalid|--suspended|--complained [--since TIME] [--active]
 * [--json|--csv]`: the addresses with that flag, oldest first. --active (suspended only) keeps
 * the addresses still inside their suspension window. Written as read (flat memory); a reader that
 * goes away (`| head`) ends it quietly. Config: store.path, state.suspendHours.
 */
import type { Command } from 'commander';
import type { ListEntry, ListKind } from '../store/index.js';
import { addStoreOptions, withStoreApi, type StoreCliOptions } from './open-store.js';
import { addNowOption, nowOption, parseTime, UsageError } from './args.js';
import { csvLine, formatTime } from './format.js';
import { LineSink } from './output.js';

interface ListOpts extends StoreCliOptions {
  invalid?: boolean;
  suspended?: boolean;
  complained?: boolean;
  since?: string;
  active?: boolean;
  json?: boolean;
  csv?: boolean;
  now?: string;
}

export function register(program: Command): void {
  addStoreOptions(
    addNowOption(program
      .command('list')
      .description('list invalid, suspended or complained addresses')
      .option('--invalid', 'Email Invalid addresses')
      .option('--suspended', 'Email Suspended addresses (the flag stays set; see --active)')
      .option('--complained', 'addresses that sent a complaint')
      .option('--since <time>', 'only flagged at or after this time (ISO date, or 7d / 36h ago)')
      .option('--active', 'with --suspended: only those still inside the suspension window')
      .option('--json', 'one JSON object per line')
      .option('--csv', 'CSV with a header line')),
  ).action(async (opts: ListOpts) => {
    const kinds = (['invalid', 'suspended', 'complained'] as const).filter((k) => opts[k]);
    if (kinds.length !== 1) throw new UsageError('list: give exactly one of --invalid, --suspended, --complained');
    if (opts.json && opts.csv) throw new UsageError('list: --json and --csv are exclusive');
    const kind: ListKind = kinds[0]!;
    const now = nowOption(opts);
    const since = opts.since !== undefined ? parseTime(opts.since, now) : undefined;
    let n = 0;
    let gone = false;
    // Written as read (flat memory on a million addresses); stops quietly when the reader goes.
    const write = async (rows: AsyncIterable<ListEntry>): Promise<void> => {
      const out = LineSink.open();
      if (opts.csv) await out.write(csvLine(kind === 'suspended' ? ['address', 'at', 'cause', 'until', 'active'] : ['address', 'at', 'cause']));
      for await (const r of rows) {
        if (opts.active && r.active === false) continue;
        let line: string;
        if (opts.json) line = `${JSON.stringify(r)}\n`;
        else if (opts.csv)
          line = csvLine(kind === 'suspended' ? [r.address, formatTime(r.at), r.cause, formatTime(r.until), r.active] : [r.address, formatTime(r.at), r.cause]);
        else {
          const until = r.until !== undefined ? `  until ${formatTime(r.until)}${r.active ? '' : ' (ended)'}` : '';
          line = `${r.address}\t${formatTime(r.at)}${until}${r.cause ? `\t${r.cause}` : ''}\n`;
        }
        const w = out.write(line);
        if (w !== true && !(await w)) break;
        n++;
      }
      await out.end();
      gone = out.closed;
    };
    await withStoreApi(opts, (store) => write(store.listEntries(kind, since, now)), {
      mustExist: true,
    });
    if (!opts.json && !opts.csv && !gone) process.stderr.write(`${n} ${kind} address${n === 1 ? '' : 'es'}\n`);
  });
}
