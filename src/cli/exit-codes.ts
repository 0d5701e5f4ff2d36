/**
 * cli/exit-codes - every exit status the `rebound` command uses, in one table, and the "Exit
 * status" paragraph each subcommand's --help prints from it.
 *
 * The base rule for every command: 0 done, 1 runtime failure, 2 usage or configuration error
 * (systemd does not restart `serve` after a 2: RestartPreventExitStatus=2). Two families add to it:
 *  - "may I send?" (`status`, `check`): the verdict is the exit status, worse is higher, so that
 *    `rebound check "$rcpt" && send` works and a script can tell the reasons apart; like
 *    `postmap -q`, which exits 1 when the key is not found.
 *  - the MTA pipe transport (`ingest -`): sysexits.h codes, because that is what Postfix pipe(8)
 *    and Exim's pipe transport read. 75 (EX_TEMPFAIL) makes them keep the message and retry;
 *    any other non-zero status bounces it, and a bounced bounce is lost to rebound.
 */
import type { Command } from 'commander';
import type { SendVerdict } from '../store/index.js';

export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  suspended: 3,
  complained: 4,
  invalid: 5,
  /** sysexits.h EX_DATAERR: input that can never be stored (Postfix: 5.6.0, bounced). */
  dataErr: 65,
  /** sysexits.h EX_TEMPFAIL: try again later (Postfix: 4.3.0 deferred; Exim: temp_errors). */
  tempFail: 75,
  /** Stopped by SIGINT/SIGTERM (128 + 2, as a shell reports a command killed by Ctrl-C). */
  interrupted: 130,
} as const;

/** The exit status for a "may I send?" verdict. Invalid beats complained beats suspended. */
export function verdictExit(v: SendVerdict): number {
  switch (v) {
    case 'invalid':
      return EXIT.invalid;
    case 'complained':
      return EXIT.complained;
    case 'suspended':
      return EXIT.suspended;
    default:
      return EXIT.ok;
  }
}

const BASE = ['0  done', '1  runtime failure (no database, store error, unreadable input)', '2  usage or configuration error, or a damaged database file (named in the message)'];

const VERDICT = [
  '0  may send (verdict ok)',
  '3  suspended (may send again after "until")',
  '4  complained',
  '5  invalid',
  '1  runtime failure (no database, store error)',
  '2  usage or configuration error, or an argument that is not an address',
];

/** Each command's "Exit status" lines (--help); commands not listed use BASE. */
export const EXIT_HELP: Record<string, readonly string[]> = {
  parse: ['0  every input parsed (whatever it turned out to be)', '1  an input could not be read (the others are still parsed)', '2  usage error'],
  eval: ['0  scored (and at or above every --min-* floor given)', '1  a figure is below its floor, or the corpus cannot be read', '2  usage error'],
  serve: [
    '0  stopped after SIGTERM/SIGINT, work drained',
    '1  a component could not start (port in use, unwritable database) or failed',
    '2  configuration error (the systemd unit does not restart it: RestartPreventExitStatus=2)',
  ],
  'check-config': ['0  the configuration is fine (warnings, if any, on stderr)', '2  problems, each on stderr with file, key and reason'],
  'show-config': ['0  printed', '2  configuration error'],
  sign: ['0  every return path made', '1  cannot sign: no key in verp.keys (--plain makes unsigned ones)', '2  usage or configuration error'],
  verify: ['0  every return path accepted and verified', '1  one was refused or could not be verified', '2  usage or configuration error'],
  status: VERDICT,
  check: [...VERDICT.slice(0, 4).map((l) => `${l} (the worst over all addresses)`), ...VERDICT.slice(4)],
  ingest: [
    '0  every message stored (one that fails to parse is stored and marked failed)',
    '1  an input path could not be read (files and directories)',
    '2  usage or configuration error (files and directories)',
    '65 stdin holds input that can never be stored (larger than 256 MiB): EX_DATAERR, the MTA bounces it',
    '75 temporary failure, not stored: database locked, busy, full or not writable, config',
    '   unreadable. EX_TEMPFAIL: Postfix pipe(8) and Exim defer and retry. With "-" (stdin)',
    '   every failure except 65 exits 75, usage and config errors included',
    '130 interrupted (Ctrl-C, SIGTERM): what was read is stored; run it again to go on',
  ],
  poll: ['0  every pass succeeded', '1  a pass failed (the error names the mailbox)', '2  usage or configuration error, unknown --mailbox, no mailboxes configured'],
  'verify-state': [
    '0  every address row equals the fold of its history (or every difference was repaired)',
    '1  a row differs from its history (listed on stdout), or no database',
    '2  usage or configuration error',
  ],
  backup: ['0  backup written', '1  FILE exists (without --force), no database, or the copy failed', '2  usage or configuration error'],
};

/** Append the "Exit status" paragraph to the --help of a command and of its subcommands. */
export function addExitHelp(cmd: Command): void {
  const lines = EXIT_HELP[cmd.name()] ?? BASE;
  if (cmd.commands.length === 0) cmd.addHelpText('after', `\nExit status:\n${lines.map((l) => `  ${l}`).join('\n')}\n`);
  for (const sub of cmd.commands) addExitHelp(sub);
}
