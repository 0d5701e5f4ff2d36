/**
 * daemon - run the built daemon (`dist/main.js serve -c FILE`) as a child process, the way systemd
 * runs it, and wait for its "ready" log line. Its log lines stay in the child's pipes (read them
 * with output()), so they never mix with vitest's report.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
export const MAIN = join(root, 'dist', 'main.js');

export interface DaemonProcess {
  proc: ChildProcess;
  /** Everything it wrote so far (stdout and stderr). */
  output(): string;
  /** SIGTERM, wait for the exit (then SIGKILL); resolves to the exit code. */
  stop(): Promise<number | null>;
}

export async function startDaemon(
  config: string,
  opts: { env?: NodeJS.ProcessEnv; main?: string; timeoutMs?: number } = {},
): Promise<DaemonProcess> {
  const proc = spawn(process.execPath, [opts.main ?? MAIN, 'serve', '-c', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, REBOUND_LOG_LEVEL: 'info', ...opts.env },
  });
  return supervise(proc, { readyMs: opts.timeoutMs ?? 45_000, killAfterMs: 10_000 });
}

/**
 * Wait for a spawned daemon's "ready" log line (rejecting, with what it wrote, when it exits first
 * or takes longer than readyMs); stop() sends SIGTERM and SIGKILL after killAfterMs.
 */
export async function supervise(proc: ChildProcess, t: { readyMs: number; killAfterMs: number }): Promise<DaemonProcess> {
  let out = '';
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`rebound did not start within ${t.readyMs} ms:\n${out}`)), t.readyMs);
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (out.includes('"msg":"ready"')) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`rebound exited ${code} before it was ready:\n${out}`));
    });
  });
  return {
    proc,
    output: () => out,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      const kill = setTimeout(() => proc.kill('SIGKILL'), t.killAfterMs);
      const code = await exited;
      clearTimeout(kill);
      return code;
    },
  };
}
