/**
 * service - for the install tests: run the README's install block in a scratch root, and start the
 * installed daemon the way systemd starts the installed unit (there is no systemd in the test
 * container). test/install/install.test.ts and routing.test.ts share these.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { supervise, type DaemonProcess } from './daemon.js';
import { readmeBlock, ROOT_DIR, toScratch } from './readme.js';

export interface Install {
  root: string;
  user: string;
  /** The install block as it was run (after toScratch). */
  script: string;
  code: number | null;
  out: string;
  /** `systemctl ...` lines the block asked for (recorded, not run). */
  systemctl(): string[];
  /** Run more README text (another block) the same way: sudo dropped, paths and user mapped. */
  run(block: string, extra?: Record<string, string>): { code: number | null; out: string };
  remove(): void;
}

export function sh(cmd: string, opts: { cwd?: string; input?: string; uid?: number; gid?: number } = {}): { code: number | null; out: string } {
  const r = spawnSync('bash', ['-c', cmd], { encoding: 'utf8', cwd: opts.cwd, input: opts.input, timeout: 180_000, uid: opts.uid, gid: opts.gid });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

export function uidOf(name: string): number {
  return Number(spawnSync('id', ['-u', name], { encoding: 'utf8' }).stdout.trim());
}
export function gidOf(group: string): number {
  return Number(spawnSync('getent', ['group', group], { encoding: 'utf8' }).stdout.split(':')[2] ?? 'NaN');
}
export function groupsOf(name: string): number[] {
  return spawnSync('id', ['-G', name], { encoding: 'utf8' }).stdout.trim().split(/\s+/).filter(Boolean).map(Number);
}

/**
 * Run the README's install block in a new scratch root with a new user.
 * full: `npm ci` becomes a real copy of the tested node_modules and build/prune run for real;
 * otherwise npm does nothing but link the tested build and modules in (fast, for routing tests).
 */
export function installFromReadme(how: { prefix: string; full: boolean }): Install {
  const user = `${how.prefix}${process.pid % 100000}`;
  const root = mkdtempSync(join(tmpdir(), `rebound-${how.prefix}-`));
  chmodSync(root, 0o755);
  const checkout = join(root, 'checkout');
  mkdirSync(checkout);
  for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'README.md', 'src', 'config', 'systemd', 'docs', 'samples'])
    cpSync(join(ROOT_DIR, f), join(checkout, f), { recursive: true });
  for (const d of ['usr/bin', 'etc/systemd/system', 'opt', 'var/lib', 'run']) mkdirSync(join(root, d), { recursive: true });
  spawnSync('userdel', [user]);
  spawnSync('groupdel', [user]);
  const log = join(root, 'systemctl.log');
  // Never hard links into the shared node_modules: npm prune rewrites files in place.
  const npm = how.full
    ? `npm() { if [ "$1" = ci ]; then cp -a ${JSON.stringify(join(ROOT_DIR, 'node_modules'))} node_modules; else command npm "$@"; fi; }`
    : `npm() { if [ "$1" = ci ]; then ln -s ${JSON.stringify(join(ROOT_DIR, 'node_modules'))} node_modules; elif [ "$1" = run ]; then cp -r ${JSON.stringify(join(ROOT_DIR, 'dist'))} dist; fi; }`;
  const prelude = ['set -euo pipefail', npm, `systemctl() { echo "systemctl $*" >> ${JSON.stringify(log)}; }`].join('\n');
  const mapped = (block: string, extra?: Record<string, string>): string => toScratch(block, { root, user, extra });
  const script = mapped(readmeBlock('install'));
  const r = sh(`${prelude}\n${script}`, { cwd: checkout });
  return {
    root,
    user,
    script,
    code: r.code,
    out: r.out,
    systemctl() {
      try {
        return readFileSync(log, 'utf8').trim().split('\n').filter(Boolean);
      } catch {
        return [];
      }
    },
    run(block, extra) {
      return sh(`${prelude}\n${mapped(block, extra)}`, { cwd: checkout });
    },
    remove() {
      spawnSync('userdel', [user]);
      spawnSync('groupdel', [user]);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export type Service = DaemonProcess;

/**
 * Start the installed unit's ExecStart as systemd would: User= with the groups /etc/group gives it
 * (setpriv --init-groups), WorkingDirectory=, Environment=, UMask=, and RuntimeDirectory= made
 * with RuntimeDirectoryMode= and owned by the user. Paths of the unit are read under the scratch
 * root. Resolves once the daemon logs "ready".
 */
export async function startService(inst: Install): Promise<Service> {
  const { root, user } = inst;
  const unit = readFileSync(join(root, 'etc/systemd/system/rebound.service'), 'utf8');
  const directive = (k: string): string[] => [...unit.matchAll(new RegExp(`^${k}=(.*)$`, 'gm'))].map((m) => m[1]!.trim());
  const under = (p: string): string => join(root, p);
  const run = under(`/run/${directive('RuntimeDirectory')[0]}`);
  rmSync(run, { recursive: true, force: true }); // systemd removes it when the unit stops
  mkdirSync(run, { recursive: true });
  chmodSync(run, Number.parseInt(directive('RuntimeDirectoryMode')[0]!, 8));
  chownSync(run, uidOf(user), gidOf(user));
  const env: Record<string, string> = { PATH: '/usr/local/bin:/usr/bin:/bin' };
  for (const e of directive('Environment')) {
    const [k, ...v] = e.split('=');
    env[k!] = v.join('=');
  }
  env.REBOUND_CONFIG = under(env.REBOUND_CONFIG!);
  const exec = directive('ExecStart')[0]!.replace('/usr/bin/rebound', under('/usr/bin/rebound'));
  const proc = spawn('setpriv', ['--reuid', user, '--regid', user, '--init-groups', '--', 'sh', '-c', `umask ${directive('UMask')[0]}; exec ${exec}`], {
    cwd: under(directive('WorkingDirectory')[0]!),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return supervise(proc, { readyMs: 60_000, killAfterMs: 30_000 });
}
