/**
 * check-config checks every file and place the config names, and `serve` refuses a config whose
 * files are missing with exit 2 naming the key (systemd does not restart after a 2): the TLS
 * certificate and key (missing, not a pair), verp.keysFile, socket groups, unwritable directories;
 * and LMTP on a Unix socket needs only intake.lmtp.socket (check-config warns about the settings
 * that start no listener or one Postfix cannot reach). Built CLI in child processes.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configFromObject } from '../../src/config/load.js';

const main = new URL('../../dist/main.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'rebound-cfgfiles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function rebound(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [main, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, REBOUND_CONFIG: '', REBOUND_LOG_LEVEL: 'silent' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function config(name: string, body: string): string {
  const f = join(dir, name);
  writeFileSync(f, `[store]\npath = "${join(dir, 'data', 'r.db')}"\n[control]\nsocket = "${join(dir, 'data', `${name}.sock`)}"\n${body}`);
  return f;
}

const openssl = existsSync('/usr/bin/openssl');
function selfSigned(name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync('/usr/bin/openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', `/CN=${name}`], { stdio: 'ignore' });
  return { cert, key };
}

describe('files the config names', { timeout: 60_000 }, () => {
  it('a missing TLS certificate: check-config and serve exit 2 naming the key', () => {
    const f = config('tls-missing.toml', `[intake.smtp]\nport = 1\n[intake.smtp.tls]\ncert = "${join(dir, 'nope.crt')}"\nkey = "${join(dir, 'nope.key')}"\n`);
    const c = rebound('check-config', '-c', f);
    expect(c.code).toBe(2);
    expect(c.err).toContain(`${f}: intake.smtp.tls.cert: expected a readable file, got "${join(dir, 'nope.crt')}" (ENOENT)`);
    expect(c.err).toContain('intake.smtp.tls.key: expected a readable file');
    const s = rebound('serve', '-c', f);
    expect(s.code).toBe(2);
    expect(s.err).toContain('intake.smtp.tls.cert: expected a readable file');
  });

  it.skipIf(!openssl)('a certificate and a key that are not a pair: exit 2; a real pair passes', () => {
    const a = selfSigned('a');
    const b = selfSigned('b');
    const bad = config('tls-mismatch.toml', `[intake.smtp.tls]\ncert = "${a.cert}"\nkey = "${b.key}"\n`);
    const r = rebound('check-config', '-c', bad);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/intake\.smtp\.tls: expected a PEM certificate and its private key, got .*key values mismatch/);
    const good = config('tls-good.toml', `[intake.smtp.tls]\ncert = "${a.cert}"\nkey = "${a.key}"\n`);
    const ok = rebound('check-config', '-c', good);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
  });

  it('a missing verp.keysFile: exit 2 naming the key', () => {
    const f = config('keys.toml', `[verp]\nkeysFile = "${join(dir, 'keys.txt')}"\n`);
    const r = rebound('check-config', '-c', f);
    expect(r.code).toBe(2);
    expect(r.err).toContain('verp.keysFile: expected a readable file');
  });

  it('a socket group that does not exist: exit 2 naming the key', () => {
    const f = config('group.toml', `[intake.lmtp]\nsocket = "${join(dir, 'lmtp.sock')}"\ngroup = "no-such-group-here"\n`);
    const r = rebound('check-config', '-c', f);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${f}: intake.lmtp.group: no group "no-such-group-here" in /etc/group`);
  });

  it('a store directory that is a file: exit 2 naming store.path', () => {
    writeFileSync(join(dir, 'plainfile'), '');
    const f = join(dir, 'store-file.toml');
    writeFileSync(f, `[store]\npath = "${join(dir, 'plainfile', 'r.db')}"\n[control]\nsocket = "${join(dir, 'ctl.sock')}"\n`);
    const r = rebound('check-config', '-c', f);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/store\.path: .*plainfile/);
  });
});

describe.skipIf(process.getuid?.() !== 0)('check-config run as an unprivileged user (nobody)', { timeout: 60_000 }, () => {
  const asNobody = (...args: string[]) => {
    const r = spawnSync(process.execPath, [main, ...args], {
      encoding: 'utf8',
      timeout: 60_000,
      uid: 65534,
      gid: 65534,
      cwd: dir,
      env: { ...process.env, REBOUND_CONFIG: '', REBOUND_LOG_LEVEL: 'silent' },
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  it('a directory it cannot write is a problem naming the key; a missing /run/rebound is a warning (systemd creates it)', () => {
    chmodSync(dir, 0o755);
    const ro = join(dir, 'ro');
    mkdirSync(ro, { mode: 0o755 });
    const f = join(dir, 'ro.toml');
    writeFileSync(f, `[store]\npath = "${join(ro, 'r.db')}"\n[control]\nsocket = "/run/rebound/rebound.sock"\n`);
    const r = asNobody('check-config', '-c', f);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/store\.path: directory .*\/ro is not writable \(EACCES\); it holds the database and its -wal\/-shm files/);
    if (!existsSync('/run/rebound')) {
      chmodSync(ro, 0o777);
      const ok = asNobody('check-config', '-c', f);
      expect(ok.code, ok.err).toBe(0);
      expect(ok.err).toMatch(/warning: .*control\.socket: directory \/run\/rebound does not exist yet; systemd creates \/run\/rebound when the unit starts/);
    }
  });

  it('a socket group it is not in is a problem (a daemon that is not root cannot chown to it)', () => {
    const f = join(dir, 'grp.toml');
    writeFileSync(f, `[store]\npath = "${join(dir, 'ro', 'r.db')}"\n[control]\nsocket = "${join(dir, 'ro', 'c.sock')}"\ngroup = "0"\n`);
    const r = asNobody('check-config', '-c', f);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/control\.group: the checking user \(uid 65534\) is not in group "0"/);
  });
});

describe('LMTP on a Unix socket', { timeout: 60_000 }, () => {
  it('intake.lmtp.socket alone turns LMTP on, whatever enabled says; enabled alone is LMTP over TCP', () => {
    expect(configFromObject({ intake: { lmtp: { socket: '/run/rebound/lmtp.sock' } } }).intake.lmtp.enabled).toBe(true);
    // The example file's `enabled = false` must not keep an uncommented socket off.
    expect(configFromObject({ intake: { lmtp: { socket: '/run/rebound/lmtp.sock', enabled: false } } }).intake.lmtp.enabled).toBe(true);
    expect(configFromObject({}).intake.lmtp.enabled).toBe(false);
    expect(configFromObject({ intake: { lmtp: { port: 2424 } } }).intake.lmtp.enabled).toBe(false);
    expect(configFromObject({ intake: { lmtp: { enabled: true } } }).intake.lmtp.enabled).toBe(true);
  });

  it('check-config warns about an LMTP socket without a group (Postfix could not connect)', () => {
    const nogroup = config('lmtp-nogroup.toml', `[intake.lmtp]\nsocket = "${join(dir, 'l2.sock')}"\n`);
    const r2 = rebound('check-config', '-c', nogroup);
    expect(r2.err.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r2.code).toBe(0);
    expect(r2.err).toMatch(/warning: .*intake\.lmtp\.group: empty, .*Postfix's lmtp client runs as user postfix .*set group = "postfix"/);
    const fine = config('lmtp-fine.toml', `[intake.lmtp]\nsocket = "${join(dir, 'l3.sock')}"\ngroup = "${process.getgid?.() ?? 0}"\n`);
    const r3 = rebound('check-config', '-c', fine);
    expect(r3.err).toBe('');
    expect(r3.code).toBe(0);
    expect(JSON.parse(rebound('show-config', '-c', fine, '--json').out).intake.lmtp.enabled).toBe(true);
  });
});

describe('VERP keys others can read (issue 16, finding 8)', { timeout: 60_000 }, () => {
  const daemonGroup = spawnSync('getent', ['group', 'daemon'], { encoding: 'utf8' }).status === 0;

  it('a verp.keysFile readable by every user is a warning naming the file, the mode and chmod 600; 0600 is quiet', () => {
    const keys = join(dir, 'verp.keys');
    writeFileSync(keys, '1:first-secret\n');
    chmodSync(keys, 0o644);
    const f = config('keysfile.toml', `[verp]\nkeysFile = "${keys}"\n`);
    chmodSync(f, 0o600);
    const r = rebound('check-config', '-c', f);
    expect(r.code).toBe(0);
    expect(r.err).toContain(`warning: ${f}: verp.keysFile: ${keys} is readable by every user on this host (mode 0644)`);
    expect(r.err).toContain(`chmod 600 ${keys}`);
    chmodSync(keys, 0o604);
    expect(rebound('check-config', '-c', f).err).toContain('(mode 0604)');
    chmodSync(keys, 0o600);
    const quiet = rebound('check-config', '-c', f);
    expect(quiet.code).toBe(0);
    expect(quiet.err).not.toContain('verp.keys');
  });

  it.skipIf(process.getuid?.() !== 0 || !daemonGroup)('group read is a warning when the group holds other users, not when it holds only the owner', () => {
    const keys = join(dir, 'group.keys');
    writeFileSync(keys, '1:first-secret\n');
    chmodSync(keys, 0o640);
    const f = config('groupkeys.toml', `[verp]\nkeysFile = "${keys}"\n`);
    chmodSync(f, 0o600);
    execFileSync('chgrp', ['root', keys]);
    expect(rebound('check-config', '-c', f).err).not.toContain('verp.keysFile');
    execFileSync('chgrp', ['daemon', keys]);
    const r = rebound('check-config', '-c', f);
    expect(r.err).toMatch(new RegExp(`verp\\.keysFile: ${keys.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is readable by group \\d+ \\(mode 0640\\), whose members include daemon`));
  });

  it('keys inline in a config file that others can read are a warning naming the config file', () => {
    const f = config('inline.toml', `[verp]\nkeys = ["1:inline-secret"]\n`);
    chmodSync(f, 0o644);
    const r = rebound('check-config', '-c', f);
    expect(r.code).toBe(0);
    expect(r.err).toContain(`warning: ${f}: verp.keys: the config file holds keys inline and is readable by every user on this host (mode 0644)`);
    expect(r.err).toContain(`chmod 600 ${f}`);
    chmodSync(f, 0o600);
    expect(rebound('check-config', '-c', f).err).not.toContain('verp.keys');
    // No keys inline: the file's mode is not ours to judge.
    const plain = config('nokeys.toml', '');
    chmodSync(plain, 0o644);
    expect(rebound('check-config', '-c', plain).err).not.toContain('verp.keys');
  });
});
