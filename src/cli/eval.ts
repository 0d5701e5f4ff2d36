/**
 * cli/eval - `rebound eval [--json] [--quiet] DIR`: score the parser against a labelled corpus
 * (labels.json + corpus/ as in ../shared/sisimai). Optional floors make it usable as a gate:
 * `--min-reason 97 --min-hard 99 --min-count 99` exits 1 when a figure is below its floor.
 */
import type { Command } from 'commander';
import { evaluate, formatScore, percent } from '../eval.js';

interface EvalOptions {
  json?: boolean;
  quiet?: boolean;
  minReason?: string;
  minHard?: string;
  minCount?: string;
}

export function register(program: Command): void {
  program
    .command('eval')
    .description('score parsing and classification against a labelled corpus (e.g. ../shared/sisimai)')
    .argument('<dir>', 'corpus directory containing labels.json and corpus/')
    .option('--json', 'print the score as JSON')
    .option('--quiet', 'omit the per-recipient disagreement list')
    .option('--min-reason <pct>', 'exit 1 if reason agreement is below this')
    .option('--min-hard <pct>', 'exit 1 if hard agreement is below this')
    .option('--min-count <pct>', 'exit 1 if recipient-count agreement is below this')
    .action(async (dir: string, opts: EvalOptions) => {
      const score = await evaluate(dir);
      process.stdout.write(opts.json ? JSON.stringify(score) + '\n' : formatScore(score, !opts.quiet));
      const below: string[] = [];
      const check = (name: string, floor: string | undefined, p: { agree: number; total: number }) => {
        if (floor !== undefined && percent(p) < Number(floor)) below.push(`${name} ${percent(p).toFixed(2)}% < ${floor}%`);
      };
      check('reason', opts.minReason, score.reason);
      check('hard', opts.minHard, score.hard);
      check('count', opts.minCount, score.count);
      const gated = opts.minReason !== undefined || opts.minHard !== undefined || opts.minCount !== undefined;
      if (gated && score.negatives.agree < score.negatives.total) below.push('a negative produced a result');
      if (below.length > 0) {
        process.stderr.write(`rebound eval: below floor: ${below.join('; ')}\n`);
        process.exitCode = 1;
      }
    });
}
