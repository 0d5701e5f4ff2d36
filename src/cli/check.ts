/**
 * cli/check - `rebound check ADDRESS... [--json] [--quiet] [--now TIME]`: "may I send?" for
 * scripts. One line per address, in the order given: the address (normalised as the store keeps
 * it), the verdict, and for a suspension the time it ends, then the stored cause, tab-separated;
 * `--json` prints the status socket's `check` reply instead. `-` reads addresses from stdin, one
 * per line. The exit status is the worst verdict (0 ok, 3 suspended, 4 complained, 5 invalid), so
 * `rebound check "$rcpt" && send` works. Arguments are all checked first: one that is not an
 * address is a usage error (exit 2) and nothing is looked up.
 * Config: store.path (--db), state.suspendHours.
 */
import type { Command } from 'commander';
import { verdictReply } from '../control/commands.js';
import type { MayISend } from '../store/index.js';
import { verdictExit } from './exit-codes.js';
import { addStoreOptions, withStoreApi, type StoreCliOptions } from './open-store.js';
import { addNowOption, addressArg, nowOption } from './args.js';
import { formatTime } from './format.js';

interface CheckOpts extends StoreCliOptions {
  json?: boolean;
  quiet?: boolean;
  now?: string;
}

export function register(program: Command): void {
  addStoreOptions(
    addNowOption(
      program
        .command('check')
        .description('may I send to each ADDRESS? one line per address; exit status: the worst verdict')
        .argument('<address...>', "email address(es), or '-' to read them from stdin, one per line")
        .option('--json', "one JSON object per line (the status socket's check reply)")
        .option('-q, --quiet', 'print nothing; the exit status says it'),
    ),
  ).action(async (args: string[], opts: CheckOpts) => {
    const addresses = await expand(args);
    for (const a of addresses) addressArg(a);
    const now = nowOption(opts);
    let worst = 0;
    await withStoreApi(
      opts,
      async (store) => {
        let out = '';
        for (const a of addresses) {
          const m = await store.mayISend(a, now);
          worst = Math.max(worst, verdictExit(m.verdict));
          if (!opts.quiet) out += opts.json ? `${JSON.stringify(verdictReply(m))}\n` : formatCheck(m);
        }
        process.stdout.write(out);
      },
      { readonly: true, mustExist: true },
    );
    process.exitCode = worst;
  });
}

/** ADDRESS<TAB>VERDICT[<TAB>until ISO]<TAB>CAUSE */
function formatCheck(m: MayISend): string {
  const fields = [m.address, m.verdict];
  if (m.verdict === 'suspended' && m.until !== undefined) fields.push(`until ${formatTime(m.until)}`);
  if (m.cause) fields.push(m.cause.replace(/[\t\r\n]+/g, ' '));
  return `${fields.join('\t')}\n`;
}

async function expand(args: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const a of args) {
    if (a !== '-') {
      out.push(a);
      continue;
    }
    let text = '';
    for await (const chunk of process.stdin) text += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    for (const line of text.split(/\r?\n/)) if (line.trim() !== '' && !line.trim().startsWith('#')) out.push(line.trim());
  }
  return out;
}
