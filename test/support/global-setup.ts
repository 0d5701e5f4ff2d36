/**
 * Vitest global setup: tests that spawn `dist/main.js` (CLI, daemon, Postfix end-to-end) need a
 * build that matches src/. `npm test` builds first; a bare `vitest run` rebuilds here only when a
 * source file is newer than the build, so both ways test the current code.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

export default function setup(): void {
  // test/support/log-to-file.ts appends in-process daemons' logs here; one run's lines at a time.
  rmSync(process.env.REBOUND_TEST_LOG || join(tmpdir(), 'rebound-vitest.log'), { force: true });
  const main = join(root, 'dist/main.js');
  if (existsSync(main) && statSync(main).mtimeMs >= newestMtime(join(root, 'src'))) return;
  try {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'pipe' });
  } catch (err) {
    // Type errors still emit JavaScript; `npm test` runs the build first and fails on them. Here, let
    // the tests run so that unrelated work is not blocked, and say why a spawned binary may be stale.
    const out = (err as { stdout?: Buffer }).stdout?.toString() ?? '';
    console.warn(`global-setup: build reported errors; dist/ may be stale\n${out.slice(0, 2000)}`);
  }
}
