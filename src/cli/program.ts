/**
 * cli/program - the table of subcommands. Each subcommand lives in its own file in cli/ and
 * exports `register(program)`; add one line here to add a command.
 */
import { Command } from 'commander';
import { register as checkConfig } from './check-config.js';
import { register as evalCommand } from './eval.js';
import { register as parse } from './parse.js';
import { register as serve } from './serve.js';
import { register as verp } from './verp.js';
import { register as ingest } from './ingest.js';
import { register as status } from './status.js';
import { register as history } from './history.js';
import { register as list } from './list.js';
import { register as reset } from './reset.js';
import { register as exportCommand } from './export.js';
import { register as importCommand } from './import.js';
import { register as stats } from './stats.js';
import { register as reprocess } from './reprocess.js';
import { register as backup } from './backup.js';
import { register as poll } from './poll.js';

type Register = (program: Command) => void;

// One entry per subcommand file, in the order `rebound --help` lists them.
const commands: Register[] = [
  parse,
  evalCommand,
  checkConfig,
  serve,
  verp,
  ingest,
  status,
  history,
  list,
  reset,
  exportCommand,
  importCommand,
  stats,
  reprocess,
  backup,
  poll,
];

export function buildProgram(): Command {
  const program = new Command('rebound')
    .description('Bounce-mail processor: parse, classify and remember bounces; answer "may I send?"')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride((err) => {
      // commander's own usage errors exit 2, like a config error; --help/--version exit 0.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') process.exit(0);
      process.exit(err.exitCode === 0 ? 0 : 2);
    });
  for (const register of commands) register(program);
  return program;
}
