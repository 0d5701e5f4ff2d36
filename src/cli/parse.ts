/**
 * cli/parse - `rebound parse [--json] PATH...`: analyse messages without storing anything.
 * In: files, directories (recursively), mbox files, '-' for stdin. Out: one JSON object per message
 * per line (--json), or a readable table. Unreadable paths: an error on stderr, exit 1 after the rest.
 * This JSON shape is a contract other tools rely on; change it only additively.
 */
import type { Command } from 'commander';
import { analyzeMessage } from '../pipeline/analyze.js';
import { readInputs } from '../intake/file.js';
import type { Analysis } from '../types.js';

export function register(program: Command): void {
  program
    .command('parse')
    .description('parse and classify bounce messages; print the result (stores nothing)')
    .argument('<paths...>', "files, directories, mbox files, or '-' for stdin")
    .option('--json', 'one JSON object per message, one per line')
    .action(async (paths: string[], opts: { json?: boolean }) => {
      const failures = await runParse(paths, Boolean(opts.json), (s) => process.stdout.write(s));
      if (failures > 0) process.exitCode = 1;
    });
}

/** Returns the number of inputs that could not be read. */
async function runParse(paths: string[], json: boolean, write: (s: string) => void): Promise<number> {
  let failures = 0;
  for await (const item of readInputs(paths)) {
    if ('error' in item) {
      failures += 1;
      process.stderr.write(`rebound parse: ${item.source}: ${item.error}\n`);
      continue;
    }
    const analysis = await analyzeMessage(item.raw);
    write(json ? toJsonLine(item.source, analysis) : toTable(item.source, analysis));
  }
  return failures;
}

export function toJsonLine(source: string, a: Analysis): string {
  return (
    JSON.stringify({
      source,
      type: a.type,
      recipients: a.recipients.map((r) => ({
        address: r.address,
        action: r.action,
        status: r.status,
        replyCode: r.replyCode,
        reason: r.reason,
        hard: r.hard,
        category: r.category,
        likelyFalsePositive: r.likelyFalsePositive,
        evidence: r.evidence,
        diagnostic: r.diagnostic,
        remoteMta: r.remoteMta,
        feedbackType: r.feedbackType,
      })),
      // Only when the message could not be read at all (too large, the parser gave up).
      ...(a.unreadable !== undefined ? { unreadable: a.unreadable } : {}),
    }) + '\n'
  );
}

function toTable(source: string, a: Analysis): string {
  const lines = [`${source}: ${a.unreadable !== undefined ? 'unreadable' : a.type}${a.decodedBy ? ` (${a.decodedBy})` : ''}`];
  if (a.recipients.length === 0) lines.push('  (no recipients)');
  for (const r of a.recipients) {
    const flags = [r.hard ? 'hard' : 'soft', `cat ${r.category}`];
    if (r.likelyFalsePositive) flags.push('likely false positive');
    lines.push(
      `  ${r.address || '(unknown)'}  ${r.reason}  ${flags.join(', ')}  ${[r.status, r.replyCode].filter(Boolean).join(' ')}`,
    );
    if (r.diagnostic) lines.push(`    diagnostic: ${clip(r.diagnostic, 160)}`);
    if (r.likelyFalsePositive && r.evidence) lines.push(`    evidence:   ${clip(r.evidence, 160)}`);
    if (r.feedbackType) lines.push(`    feedback:   ${r.feedbackType}`);
  }
  for (const p of a.problems) lines.push(`  problem: ${p}`);
  return lines.join('\n') + '\n';
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
