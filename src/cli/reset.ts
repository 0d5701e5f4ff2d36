/**
 * cli/reset - `rebound reset ADDRESS --invalid|--suspended|--complained|--all --reason TEXT
 * [--who NAME]`: the only way Email Invalid is cleared. Every reset is audited in the
 * address_actions table (who, when, why, state before and after), even one that changed nothing.
 * Config: store.path (--db).
 */
import type { Command } from 'commander';
import type { ResetWhat } from '../store/index.js';
import { addStoreOptions, withStoreApi, type StoreCliOptions } from './open-store.js';
import { addressArg, UsageError, whoAmI } from './args.js';

interface ResetOpts extends StoreCliOptions {
  invalid?: boolean;
  suspended?: boolean;
  complained?: boolean;
  all?: boolean;
  reason?: string;
  who?: string;
  json?: boolean;
}

export function register(program: Command): void {
  addStoreOptions(
    program
      .command('reset')
      .description('clear Email Invalid / Email Suspended / complained for an address (audited)')
      .argument('<address>', 'email address')
      .option('--invalid', 'clear Email Invalid')
      .option('--suspended', 'clear Email Suspended')
      .option('--complained', 'clear the complaint flag')
      .option('--all', 'clear every flag and the soft-bounce counters')
      .option('--reason <text>', 'why (required; stored in the audit table)')
      .option('--who <name>', 'who is resetting (default: $SUDO_USER or the current user)')
      .option('--json', 'print the before/after state as JSON'),
  ).action(async (address: string, opts: ResetOpts) => {
    addressArg(address);
    const whats = (['invalid', 'suspended', 'complained', 'all'] as const).filter((k) => opts[k]);
    if (whats.length !== 1) throw new UsageError('reset: give exactly one of --invalid, --suspended, --complained, --all');
    if (opts.reason === undefined || opts.reason.trim() === '') throw new UsageError('reset: --reason TEXT is required (it is audited)');
    const what: ResetWhat = whats[0]!;
    const r = await withStoreApi(opts, (store) => store.reset(address, what, opts.reason!, whoAmI(opts.who)));
    if (opts.json) process.stdout.write(`${JSON.stringify(r)}\n`);
    else
      process.stdout.write(
        r.changed ? `${r.address}: ${what} reset (audit #${r.actionId})\n` : `${r.address}: nothing to reset; recorded anyway (audit #${r.actionId})\n`,
      );
  });
}
