/**
 * The README's install block, run as a bash script in a scratch root, as root, the way a sysadmin
 * runs it on a fresh host - with what a test container needs changed and nothing else
 * (test/install/readme.ts): paths under a temporary directory, a user of the test's own instead
 * of `rebound` (created with the README's useradd line, removed after), `sudo` dropped, `npm ci`
 * replaced by a copy of the node_modules the tests run with (the registry is slow and better-sqlite3
 * would build from source), and `systemctl` recorded instead of run (no systemd in the container).
 * `npm run build` and `npm prune --omit=dev` do run: the installed daemon must work without the
 * dev dependencies.
 *
 * Then: owners and modes of everything it made; check-config as the service user, and what it says
 * about the install the README used to give (/etc/rebound root:root 0750: unreadable to the
 * service); `systemd-analyze verify` on the installed unit and the LMTP-in-chroot drop-in; and the
 * installed daemon started as the unit starts it (User=, its groups, WorkingDirectory=,
 * Environment=, UMask=, RuntimeDirectory=) answering on its status socket, with the database and
 * socket modes the unit promises.
 * Needs root (useradd, chown); skips otherwise, except under CI.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lines, readmeBlock, ROOT_DIR, toScratch } from './readme.js';

const isRoot = process.getuid?.() === 0;
const ANALYZE = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p));
const missing = !isRoot ? 'needs root (useradd, chown)' : '';
const skip = missing !== '' && !process.env.CI;

const user = `rbi${process.pid % 100000}`;
let root = '';
let script = '';
let ran: { code: number | null; out: string } = { code: null, out: '' };

function sh(cmd: string, opts: { cwd?: string; input?: string } = {}): { code: number | null; out: string } {
  const r = spawnSync('bash', ['-c', cmd], { encoding: 'utf8', cwd: opts.cwd, input: opts.input, timeout: 180_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

function id(name: string, flag: '-u' | '-g' | '-G'): number[] {
  const r = spawnSync('id', [flag, name], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().split(/\s+/).map(Number) : [];
}
const gid = (group: string): number => Number((spawnSync('getent', ['group', group], { encoding: 'utf8' }).stdout.split(':')[2] ?? 'NaN'));
const mode = (p: string): string => (statSync(p).mode & 0o7777).toString(8).padStart(4, '0');

describe.skipIf(skip)(`README install steps in a scratch root${skip ? ` (skipped: ${missing})` : ''}`, { timeout: 180_000 }, () => {
  beforeAll(() => {
    if (missing) throw new Error(`CI is set but the install test ${missing}`);
    root = mkdtempSync(join(tmpdir(), 'rebound-install-'));
    chmodSync(root, 0o755);
    // The checkout the README's lines run in: the project's files (not its node_modules).
    const checkout = join(root, 'checkout');
    mkdirSync(checkout);
    for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'README.md', 'src', 'config', 'systemd', 'docs', 'samples'])
      cpSync(join(ROOT_DIR, f), join(checkout, f), { recursive: true });
    for (const d of ['usr/bin', 'etc/systemd/system', 'opt', 'var/lib', 'run']) mkdirSync(join(root, d), { recursive: true });
    spawnSync('userdel', [user]);
    spawnSync('groupdel', [user]);

    script = toScratch(readmeBlock('install'), { root, user });
    // npm ci -> a real copy (never hard links: npm prune rewrites files in place) of the modules
    // the tests run with; systemctl -> a log line (no systemd here). Everything else runs as written.
    const prelude = [
      'set -euo pipefail',
      `npm() { if [ "$1" = ci ]; then cp -a ${JSON.stringify(join(ROOT_DIR, 'node_modules'))} node_modules; else command npm "$@"; fi; }`,
      `systemctl() { echo "systemctl $*" >> ${JSON.stringify(join(root, 'systemctl.log'))}; }`,
    ].join('\n');
    ran = sh(`${prelude}\n${script}`, { cwd: checkout });
  }, 240_000);

  afterAll(() => {
    if (!root) return;
    spawnSync('userdel', [user]);
    spawnSync('groupdel', [user]);
    rmSync(root, { recursive: true, force: true });
  });

  it('runs every line of the block (exit 0)', () => {
    expect(ran.code, `${script}\n---\n${ran.out}`).toBe(0);
    expect(readFileSync(join(root, 'systemctl.log'), 'utf8').trim().split('\n')).toEqual(['systemctl daemon-reload', `systemctl enable --now rebound`]);
  });

  it('installs the program, pruned of dev dependencies, with /usr/bin/rebound linking to it', () => {
    const link = join(root, 'usr/bin/rebound');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(join(root, 'opt/rebound/dist/main.js'));
    expect(statSync(link).mode & 0o111).not.toBe(0);
    const modules = join(root, 'opt/rebound/node_modules');
    expect(existsSync(join(modules, 'better-sqlite3'))).toBe(true);
    expect(existsSync(join(modules, 'vitest'))).toBe(false);
    expect(existsSync(join(modules, 'typescript'))).toBe(false);
    // The unit's Documentation= files are where it says.
    const unit = readFileSync(join(root, 'etc/systemd/system/rebound.service'), 'utf8');
    const docs = [...(/^Documentation=(.*)$/m.exec(unit)?.[1] ?? '').matchAll(/file:\/\/(\S+)/g)].map((m) => m[1]!);
    expect(docs.length).toBeGreaterThan(0);
    for (const d of docs) expect(existsSync(join(root, d)), d).toBe(true);
  });

  it('creates the service user in group mail, with its home as the state directory', () => {
    expect(id(user, '-u')).toHaveLength(1);
    expect(id(user, '-G')).toContain(gid('mail'));
    const home = spawnSync('getent', ['passwd', user], { encoding: 'utf8' }).stdout.split(':')[5];
    expect(home).toBe(join(root, 'var/lib/rebound'));
  });

  it('leaves the config readable to the service user and nobody else', () => {
    const uid = id(user, '-u')[0]!;
    const g = gid(user);
    const etc = statSync(join(root, 'etc/rebound'));
    expect([etc.uid, etc.gid, mode(join(root, 'etc/rebound'))]).toEqual([0, g, '0750']);
    const cfg = statSync(join(root, 'etc/rebound/rebound.toml'));
    expect([cfg.uid, cfg.gid, mode(join(root, 'etc/rebound/rebound.toml'))]).toEqual([0, g, '0640']);
    const state = statSync(join(root, 'var/lib/rebound'));
    expect([state.uid, state.gid, mode(join(root, 'var/lib/rebound'))]).toEqual([uid, g, '0750']);
    expect(mode(join(root, 'etc/systemd/system/rebound.service'))).toBe('0644');
  });

  it('check-config --as-user passes as the service user, from its home, and says systemd makes /run/rebound', () => {
    expect(ran.out).toMatch(new RegExp(`rebound\\.toml: configuration OK \\(checked as user ${user}, groups [\\d,]+, working directory ${join(root, 'var/lib/rebound')}\\)`));
    expect(ran.out).toMatch(/warning: .*control\.socket: directory .*\/run\/rebound does not exist yet; systemd creates .*\/run\/rebound when the unit starts/);
  });

  it("catches the old README's step: /etc/rebound root:root 0750 is unreadable to the service user", () => {
    const etc = join(root, 'etc/rebound');
    chownSync(etc, 0, 0);
    try {
      const rebound = join(root, 'usr/bin/rebound');
      const cfg = join(etc, 'rebound.toml');
      const as = sh(`${rebound} check-config --as-user ${user} -c ${cfg}`);
      expect(as.code).toBe(2);
      expect(as.out).toContain(`${cfg}: cannot read config file (EACCES)`);
      // As root without --as-user: OK for root, and a warning for the service user.
      const plain = sh(`${rebound} check-config --service-user ${user} -c ${cfg}`);
      expect(plain.code).toBe(0);
      expect(plain.out).toMatch(new RegExp(`warning: as the service user ${user}: .*cannot read config file \\(EACCES\\)`));
      expect(plain.out).toContain(`check with: rebound check-config --as-user ${user} -c ${cfg}`);
    } finally {
      chownSync(etc, 0, gid(user));
    }
  });

  describe.skipIf(!ANALYZE && !process.env.CI)('systemd-analyze verify on the installed unit', () => {
    it('passes, with ExecStart at the installed binary (under the scratch root)', () => {
      expect(ANALYZE, 'systemd-analyze is required under CI').toBeDefined();
      const dir = join(root, 'verify');
      mkdirSync(join(dir, 'rebound.service.d'), { recursive: true });
      const unit = readFileSync(join(root, 'etc/systemd/system/rebound.service'), 'utf8').replaceAll('/usr/bin/rebound', join(root, 'usr/bin/rebound'));
      writeFileSync(join(dir, 'rebound.service'), unit);
      // The drop-in the README installs for an LMTP socket inside Postfix's chroot.
      cpSync(join(ROOT_DIR, 'systemd/lmtp-in-postfix-chroot.conf'), join(dir, 'rebound.service.d/lmtp-in-postfix-chroot.conf'));
      const r = spawnSync(ANALYZE!, ['verify', join(dir, 'rebound.service')], { encoding: 'utf8', env: { ...process.env, SYSTEMD_LOG_LEVEL: 'warning' } });
      const ours = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes('rebound')).join('\n');
      expect(ours).toBe('');
      expect(r.status).toBe(0);
      // A drop-in with a typo is caught, so the check above means something.
      writeFileSync(join(dir, 'rebound.service.d/typo.conf'), '[Service]\nReadWritePath=/var/spool/postfix/rebound\n');
      const bad = spawnSync(ANALYZE!, ['verify', join(dir, 'rebound.service')], { encoding: 'utf8' });
      expect(`${bad.stdout}${bad.stderr}`).toMatch(/Unknown key '?ReadWritePath'?/);
    });
  });

  it('the installed daemon, started as the unit starts it, answers on its socket; files get the unit\'s modes', async () => {
    const unit = readFileSync(join(root, 'etc/systemd/system/rebound.service'), 'utf8');
    const directive = (k: string): string[] => [...unit.matchAll(new RegExp(`^${k}=(.*)$`, 'gm'))].map((m) => m[1]!.trim());
    expect(directive('User')).toEqual(['rebound']);
    expect(directive('SupplementaryGroups')).toEqual(['mail']);
    // RuntimeDirectory=rebound, RuntimeDirectoryMode=0755, owned by User=.
    const run = join(root, 'run/rebound');
    mkdirSync(run, { recursive: true });
    chmodSync(run, Number.parseInt(directive('RuntimeDirectoryMode')[0]!, 8));
    chownSync(run, id(user, '-u')[0]!, gid(user));
    const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
    for (const e of directive('Environment')) {
      const [k, ...v] = e.split('=');
      env[k!] = v.join('=');
    }
    env.REBOUND_CONFIG = env.REBOUND_CONFIG!.replace('/etc/rebound', join(root, 'etc/rebound'));
    const exec = directive('ExecStart')[0]!.replace('/usr/bin/rebound', join(root, 'usr/bin/rebound'));
    const wd = directive('WorkingDirectory')[0]!.replace('/var/lib/rebound', join(root, 'var/lib/rebound'));
    // setpriv --init-groups: the user's groups from /etc/group, as systemd's User= gives them.
    const proc = spawn('setpriv', ['--reuid', user, '--regid', user, '--init-groups', '--', 'sh', '-c', `umask ${directive('UMask')[0]}; exec ${exec}`], { cwd: wd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`not ready: ${out}`)), 60_000);
        proc.stdout.on('data', () => {
          if (out.includes('"msg":"ready"')) {
            clearTimeout(t);
            resolve();
          }
        });
        proc.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      const sock = join(run, 'rebound.sock');
      const st = statSync(sock);
      expect([st.gid, mode(sock)]).toEqual([gid('mail'), '0660']);
      const db = join(root, 'var/lib/rebound/rebound.db');
      expect(statSync(db).uid).toBe(id(user, '-u')[0]);
      // UMask=0007 over SQLite's 0644: group-readable, nothing for others (the unit's promise).
      expect(mode(db)).toBe('0640');
      expect(statSync(`${db}-wal`).mode & 0o007).toBe(0);
      const health = sh(`echo health | socat - UNIX-CONNECT:${sock}`);
      expect(health.out).toMatch(/"healthy":true/);
      // The installed CLI reads the same database as the daemon.
      const check = sh(`${join(root, 'usr/bin/rebound')} check -c ${join(root, 'etc/rebound/rebound.toml')} someone@example.com`);
      expect(check).toEqual({ code: 0, out: 'someone@example.com\tok\n' });
    } finally {
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r(null) : proc.once('exit', r)));
    }
    expect(proc.exitCode).toBe(0);
  });
});
