/**
 * cli/program - the table of subcommands. Each subcommand lives in its own file in cli/ and
 * exports `register(program)`; add one row here to add a command.
 *
 * Modules are loaded lazily: `rebound status x` loads only cli/status.ts (and what it imports), not
 * the SMTP engine, imapflow and the whole daemon, so operator commands start fast. `rebound --help`
 * and unknown commands load every row to list them.
 */
import { Command } from 'commander';
import { addExitHelp, EXIT } from './exit-codes.js';

type Register = (program: Command) => void;
type Loader = () => Promise<{ register: Register }>;

// [command names the file registers, loader], in the order `rebound --help` lists them.
const commands: Array<[string[], Loader]> = [
  [['parse'], () => import('./parse.js')],
  [['eval'], () => import('./eval.js')],
  [['serve'], () => import('./serve.js')],
  [['check-config', 'show-config'], () => import('./check-config.js')],
  [['verp'], () => import('./verp.js')],
  [['ingest'], () => import('./ingest.js')],
  [['status'], () => import('./status.js')],
  [['check'], () => import('./check.js')],
  [['history'], () => import('./history.js')],
  [['list'], () => import('./list.js')],
  [['reset'], () => import('./reset.js')],
  [['export'], () => import('./export.js')],
  [['import'], () => import('./import.js')],
  [['stats'], () => import('./stats.js')],
  [['reprocess'], () => import('./reprocess.js')],
  [['verify-state'], () => import('./verify-state.js')],
  [['poll'], () => import('./poll.js')],
  [['backup'], () => import('./backup.js')],
  [['migrate-store'], () => import('./migrate-store.js')],
];

/** Build the program with every command (help), or only the one named in argv. */
export async function buildProgram(argv: string[] = process.argv): Promise<Command> {
  const name = argv[2];
  // `ingest -` is the MTA pipe transport: a usage error there (a typo in master.cf) must defer the
  // bounce (75), not bounce it (cli/exit-codes.ts).
  const usageExit = name === 'ingest' && argv.slice(3).includes('-') ? EXIT.tempFail : EXIT.usage;
  const program = new Command('rebound')
    .description('Bounce-mail processor: parse, classify and remember bounces; answer "may I send?"')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride((err) => {
      // commander's own usage errors exit 2, like a config error; --help/--version exit 0.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') process.exit(0);
      process.exit(err.exitCode === 0 ? 0 : usageExit);
    })
    .addHelpText(
      'after',
      '\nExit status: 0 done, 1 runtime failure, 2 usage or configuration error; `status` and `check`\n' +
        'exit with the verdict (3 suspended, 4 complained, 5 invalid), `ingest -` with 75 on a temporary\n' +
        'failure (the MTA retries). Each command\'s --help lists its own.\n',
    );
  const only = commands.find(([names]) => name !== undefined && names.includes(name));
  const rows = only ? [only] : commands;
  const modules = await Promise.all(rows.map(([, load]) => load()));
  for (const m of modules) m.register(program);
  for (const cmd of program.commands) addExitHelp(cmd);
  return program;
}
