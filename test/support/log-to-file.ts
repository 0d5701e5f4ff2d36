/**
 * Vitest setup file: daemons and listeners that tests start in-process log through src/log.ts,
 * which writes to stdout by default - into the middle of vitest's report. Here they append to a
 * file instead ($TMPDIR/rebound-vitest.log, or REBOUND_TEST_LOG), so the report stays readable and
 * the lines stay available when a test fails. Child processes that tests spawn (`dist/main.js
 * serve`, the CLI) keep logging to their own stdout, which the tests read: the variable is set
 * only while log.ts loads (src/log.ts and dist/log.js, which some tests import), and reader
 * processes get it from log.ts itself.
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const target = process.env.REBOUND_TEST_LOG || join(tmpdir(), 'rebound-vitest.log');
const before = process.env.REBOUND_LOG_FILE;
process.env.REBOUND_LOG_FILE = target;
await import('../../src/log.js');
// Tests that load the build (dist/) instead of src/ get their own copy of the module.
const dist = join(import.meta.dirname, '..', '..', 'dist', 'log.js');
if (existsSync(dist)) await import(dist);
if (before === undefined) delete process.env.REBOUND_LOG_FILE;
else process.env.REBOUND_LOG_FILE = before;
