#!/usr/bin/env node
/**
 * main - the `rebound` command: builds the CLI (cli/program.ts) and runs it. Exit statuses are
 * cli/exit-codes.ts's table; the commands set them (process.exitCode), and a few exit at once
 * (program.ts for --help and usage errors, ingest.ts on a second Ctrl-C).
 */
import { buildProgram } from './cli/program.js';

buildProgram(process.argv)
  .then((program) => program.parseAsync(process.argv))
  .catch((err: unknown) => {
    const e = err as { exitCode?: number; message?: string };
    process.stderr.write(`rebound: ${e?.message ?? String(err)}\n`);
    process.exitCode = typeof e?.exitCode === 'number' ? e.exitCode : 1;
  });
