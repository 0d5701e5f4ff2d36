/**
 * cli/verp - `rebound verp sign ADDRESS...` prints the return path to use when mailing ADDRESS
 * (signed when verp.keys has a key, else plain with --plain); `rebound verp verify RETURN-PATH...`
 * says whether intake would take it and which recipient it names. Exit 0 when every address is
 * fine, 1 otherwise, 2 on a config error.
 * Config keys: verp.* (file from -c, else $REBOUND_CONFIG, else built-in defaults).
 */
import type { Command } from 'commander';
import { loadConfig, resolveConfigPath } from '../config/load.js';
import { encodeVerp } from '../verp/verp.js';
import { checkReturnPath, signReturnPath, verifyReturnPath } from '../verp/sign.js';

interface Common {
  config?: string;
  json?: boolean;
  now?: string;
}

function nowOf(opts: Common): number {
  if (!opts.now) return Date.now();
  const t = Date.parse(opts.now);
  if (Number.isNaN(t)) throw Object.assign(new Error(`--now: expected an ISO date, got ${JSON.stringify(opts.now)}`), { exitCode: 2 });
  return t;
}

export function register(program: Command): void {
  const verp = program.command('verp').description('make and check VERP return paths (signed or plain)');
  verp
    .command('sign')
    .description('print the return path for each recipient ADDRESS')
    .argument('<address...>', 'recipient address(es)')
    .option('-c, --config <file>', 'config file (default: $REBOUND_CONFIG, else built-in defaults)')
    .option('--plain', 'plain VERP (prefix+local=domain@bounce-domain), no signature')
    .option('--json', 'one JSON object per line')
    .option('--now <iso-date>', 'sign as of this time (testing expiry)')
    .action((addresses: string[], opts: Common & { plain?: boolean }) => {
      const v = loadConfig(resolveConfigPath(opts.config)).verp;
      const now = nowOf(opts);
      for (const a of addresses) {
        const rp = opts.plain ? encodeVerp(a, v) : signReturnPath(a, v, now);
        process.stdout.write(opts.json ? `${JSON.stringify({ address: a, returnPath: rp })}\n` : `${rp}\n`);
      }
    });
  verp
    .command('verify')
    .description('check RETURN-PATH(s): signature, expiry, and the recipient named')
    .argument('<return-path...>', 'address(es) as they arrived at RCPT TO')
    .option('-c, --config <file>', 'config file (default: $REBOUND_CONFIG, else built-in defaults)')
    .option('--json', 'one JSON object per line')
    .option('--now <iso-date>', 'verify as of this time')
    .action((paths: string[], opts: Common) => {
      const v = loadConfig(resolveConfigPath(opts.config)).verp;
      const now = nowOf(opts);
      let bad = 0;
      for (const p of paths) {
        const r = verifyReturnPath(p, v, now);
        const d = checkReturnPath(p, v, now);
        const verdict = d.accept ? (d.verified ? 'accept' : 'accept-unverified') : `refuse ${d.code} ${d.enhanced}`;
        if (!d.accept || !d.verified) bad++;
        if (opts.json) process.stdout.write(`${JSON.stringify({ returnPath: p, ...r, verdict })}\n`);
        else
          process.stdout.write(
            `${p}: ${r.status}; recipient ${r.recipient || '(none)'}` +
              `${r.daysLeft === undefined ? '' : `; ${r.daysLeft >= 0 ? `expires in ${r.daysLeft} day(s)` : `expired ${-r.daysLeft} day(s) ago`}`}; intake: ${verdict}\n`,
          );
      }
      if (bad) process.exitCode = 1;
    });
}
