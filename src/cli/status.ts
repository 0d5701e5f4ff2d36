/**
 * cli/status - `rebound status ADDRESS [--json] [--now TIME]`: the Marketo state of one address
 * and the answer to "may I send to it now?" (verdict, cause, until when). The exit status is the
 * verdict (0 may send, 3 suspended, 4 complained, 5 invalid; cli/exit-codes.ts), like `postmap -q`
 * exits 1 for a missing key, so scripts need not parse the text. An argument that is not an
 * address is refused (exit 2), as the status socket refuses it.
 * Config: store.path (--db), state.suspendHours.
 */
import type { Command } from 'commander';
import type { AddressStatus } from '../store/index.js';
import { verdictExit } from './exit-codes.js';
import { addStoreOptions, withStoreApi, type StoreCliOptions } from './open-store.js';
import { addNowOption, addressArg, nowOption } from './args.js';
import { formatTime } from './format.js';

export function register(program: Command): void {
  addStoreOptions(
    addNowOption(
      program
        .command('status')
        .description('show the state of an address and whether it may be mailed now (exit status: the verdict)')
        .argument('<address>', 'email address')
        .option('--json', 'print JSON'),
    ),
  ).action(async (address: string, opts: StoreCliOptions & { json?: boolean; now?: string }) => {
    addressArg(address);
    const now = nowOption(opts);
    const st = await withStoreApi(opts, (store) => store.addressStatus(address, now), { readonly: true, mustExist: true });
    process.stdout.write(opts.json ? `${JSON.stringify(st)}\n` : formatStatus(st));
    process.exitCode = verdictExit(st.mayISend.verdict);
  });
}

export function formatStatus(s: AddressStatus): string {
  const m = s.mayISend;
  const lines = [
    `address:          ${s.address}${s.known ? '' : '  (no bounces recorded)'}`,
    `may send now:     ${m.verdict === 'ok' ? 'yes' : `no - ${m.verdict}`}${m.until !== undefined ? ` until ${formatTime(m.until)}` : ''}`,
  ];
  if (m.cause) lines.push(`why:              ${m.cause}`);
  lines.push(
    `email invalid:    ${s.emailInvalid ? `yes since ${formatTime(s.emailInvalidAt)}: ${s.emailInvalidCause}` : 'no'}`,
    `email suspended:  ${s.emailSuspended ? `yes at ${formatTime(s.emailSuspendedAt)}: ${s.emailSuspendedCause}` : 'no'}`,
    `complained:       ${s.complained ? `yes at ${formatTime(s.complainedAt)}` : 'no'}`,
    `soft bounces:     ${s.softBounces} (${s.softDays} counted days)${s.lastSoftAt !== null ? `, last ${formatTime(s.lastSoftAt)}` : ''}`,
  );
  if (s.firstBounceAt !== null) lines.push(`bounces:          first ${formatTime(s.firstBounceAt)}, last ${formatTime(s.lastBounceAt)}`);
  lines.push(`events:           ${s.events}`);
  return `${lines.join('\n')}\n`;
}
