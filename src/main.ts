#!/usr/bin/env node
/**
 * main - the `rebound` command. Builds the CLI and runs it; exit 0 ok, 1 runtime failure,
 * 2 usage or config error. Nothing else in src/ exits the process.
 */
import { buildProgram } from './cli/program.js';

buildProgram(process.argv)
  .then((program) => program.parseAsync(process.argv))
  .catch((err: unknown) => {
    const e = err as { exitCode?: number; message?: string };
    process.stderr.write(`rebound: ${e?.message ?? String(err)}\n`);
    process.exitCode = typeof e?.exitCode === 'number' ? e.exitCode : 1;
  });
