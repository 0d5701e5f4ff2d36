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
import { spawnSync } from 'node:child_process';
import { chownSync, cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT_DIR } from '../support/readme.js';
import { gidOf as gid, groupsOf, installFromReadme, sh, startService, uidOf, type Install } from '../support/service.js';

const isRoot = process.getuid?.() === 0;
const ANALYZE = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p));
const missing = !isRoot ? 'needs root (useradd, chown)' : '';
const skip = missing !== '' && !process.env.CI;
const mode = (p: string): string => (statSync(p).mode & 0o7777).toString(8).padStart(4, '0');

let inst: Install;
let root = '';
let user = '';

describe.skipIf(skip)(`README install steps in a scratch root${skip ? ` (skipped: ${missing})` : ''}`, { timeout: 180_000 }, () => {
  beforeAll(() => {
    if (missing) throw new Error(`CI is set but the install test ${missing}`);
    inst = installFromReadme({ prefix: 'rbi', full: true });
    ({ root, user } = inst);
  }, 240_000);

  afterAll(() => inst?.remove());

  it('runs every line of the block (exit 0)', () => {
    expect(inst.code, `${inst.script}\n---\n${inst.out}`).toBe(0);
    expect(inst.systemctl()).toEqual(['systemctl daemon-reload', 'systemctl enable --now rebound']);
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
    expect(uidOf(user)).toBeGreaterThan(0);
    expect(groupsOf(user)).toContain(gid('mail'));
    const home = spawnSync('getent', ['passwd', user], { encoding: 'utf8' }).stdout.split(':')[5];
    expect(home).toBe(join(root, 'var/lib/rebound'));
  });

  it('leaves the config readable to the service user and nobody else', () => {
    const uid = uidOf(user);
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
    expect(inst.out).toMatch(new RegExp(`rebound\\.toml: configuration OK \\(checked as user ${user}, groups [\\d,]+, working directory ${join(root, 'var/lib/rebound')}\\)`));
    expect(inst.out).toMatch(/warning: .*control\.socket: directory .*\/run\/rebound does not exist yet; systemd creates .*\/run\/rebound when the unit starts/);
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
    expect(unit).toMatch(/^User=rebound$/m);
    expect(unit).toMatch(/^SupplementaryGroups=mail$/m);
    const svc = await startService(inst);
    try {
      const sock = join(root, 'run/rebound/rebound.sock');
      const st = statSync(sock);
      expect([st.gid, mode(sock)]).toEqual([gid('mail'), '0660']);
      const db = join(root, 'var/lib/rebound/rebound.db');
      expect(statSync(db).uid).toBe(uidOf(user));
      // UMask=0007 over SQLite's 0644: group-readable, nothing for others (the unit's promise).
      expect(mode(db)).toBe('0640');
      expect(statSync(`${db}-wal`).mode & 0o007).toBe(0);
      const health = sh(`echo health | socat - UNIX-CONNECT:${sock}`);
      expect(health.out).toMatch(/"healthy":true/);
      // The installed CLI reads the same database as the daemon.
      const check = sh(`${join(root, 'usr/bin/rebound')} check -c ${join(root, 'etc/rebound/rebound.toml')} someone@example.com`);
      expect(check).toEqual({ code: 0, out: 'someone@example.com\tok\n' });
    } finally {
      expect(await svc.stop()).toBe(0);
    }
  });
});
