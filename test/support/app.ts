/**
 * app - run the built CLI (dist/main.js) from a test as an operator would, in a child process.
 * privateApp() copies dist/ to a temp dir first: global-setup rebuilds dist/ when src/ is newer,
 * and another test run doing so meanwhile must not hand a child a half-written module.
 * runNode() never blocks the test worker (spawnSync starves vitest's RPC on a busy machine).
 */
import { spawn } from 'node:child_process';
import { cpSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

/** Copy the build into `dir`/app; returns the path of its main.js. */
export function privateApp(dir: string): string {
  const app = join(dir, 'app');
  cpSync(join(root, 'dist'), join(app, 'dist'), { recursive: true });
  writeFileSync(join(app, 'package.json'), '{ "type": "module" }\n');
  symlinkSync(join(root, 'node_modules'), join(app, 'node_modules'), 'dir');
  return join(app, 'dist', 'main.js');
}

export interface RunResult {
  code: number | null;
  out: string;
  err: string;
}

/** `node args...` with optional stdin and environment; killed after 60 s. */
export function runNode(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
    p.stdin.end(opts.input ?? '');
  });
}
