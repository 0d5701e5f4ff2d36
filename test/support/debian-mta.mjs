/**
 * debian-mta - run an MTA that Debian packages but that cannot be installed next to Postfix
 * (exim4, opensmtpd, sendmail all conflict with it as mail-transport-agent): fetch the packages with
 * `apt-get download`, unpack them with `dpkg -x` into a cache directory (never into /), and start
 * the binaries in a private mount namespace whose /etc is a copy with the MTA's system users added.
 * Nothing on the host changes: no package installed, no user added, no file under / written.
 *
 * Needs root (unshare -m, mount --bind) and Debian's apt. Plain JavaScript so that scripts and
 * TypeScript tests share it (types in debian-mta.d.mts).
 *
 *   const root = debianRoot(['exim4-daemon-light', 'exim4-base', 'libidn12']);
 *   const etc = privateEtc(dir, { users: [{ name: 'Debian-exim', uid: 64901 }] });
 *   const child = spawnPrivate('/usr/sbin/exim4', [...], { etc, root });
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** Where packages are downloaded and unpacked; REBOUND_MTA_CACHE overrides. */
export const MTA_CACHE = process.env.REBOUND_MTA_CACHE || join(homedir(), '.cache', 'rebound-mta');

/** Why private Debian MTAs cannot run here, or '' when they can. */
export function debianMtaMissing() {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'needs root (unshare -m, mount --bind)';
  for (const tool of ['apt-get', 'dpkg', 'unshare', 'mount']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not available`;
  }
  const probe = spawnSync('unshare', ['-m', '--propagation', 'private', 'true']);
  if (probe.status !== 0) return `unshare -m fails here: ${probe.stderr?.toString().trim()}`;
  return '';
}

/**
 * Download (once) and unpack (once) the packages; returns the unpack root (binaries under
 * ROOT/usr/sbin, libraries under ROOT/usr/lib/x86_64-linux-gnu).
 */
export function debianRoot(packages) {
  const debs = join(MTA_CACHE, 'debs');
  const root = join(MTA_CACHE, 'root');
  mkdirSync(debs, { recursive: true });
  mkdirSync(root, { recursive: true });
  const have = () => readdirSync(debs).filter((f) => f.endsWith('.deb'));
  const missing = packages.filter((p) => !have().some((f) => f.startsWith(`${p}_`)));
  if (missing.length) {
    const r = spawnSync('apt-get', ['download', ...missing], { cwd: debs, encoding: 'utf8' });
    if (r.status !== 0) {
      // The package lists may be missing on a fresh machine.
      spawnSync('apt-get', ['update', '-qq'], { encoding: 'utf8' });
      execFileSync('apt-get', ['download', ...missing], { cwd: debs, encoding: 'utf8', stdio: 'pipe' });
    }
  }
  for (const p of packages) {
    const deb = have().find((f) => f.startsWith(`${p}_`));
    if (!deb) throw new Error(`apt-get download ${p} left no .deb in ${debs}`);
    const stamp = join(root, `.unpacked-${deb}`);
    if (existsSync(stamp)) continue;
    execFileSync('dpkg', ['-x', join(debs, deb), root]);
    writeFileSync(stamp, '');
  }
  return root;
}

/**
 * A copy of the host's /etc under DIR/etc with extra users and groups, and extra files
 * (relative path under /etc -> content). Returns the copy's path.
 */
export function privateEtc(dir, { users = [], files = {} } = {}) {
  const etc = join(dir, 'etc');
  cpSync('/etc', etc, { recursive: true, dereference: false, verbatimSymlinks: true, errorOnExist: false, force: true, filter: (src) => !src.startsWith('/etc/ssl/private') });
  // A user of the same name on the host (say, from an installed exim4) is replaced in the copy, so
  // the uid is the one the caller gave its directories to.
  const names = new Set(users.map((u) => u.name));
  for (const f of ['passwd', 'group', 'shadow', 'gshadow']) {
    const p = join(etc, f);
    if (!existsSync(p)) continue;
    const kept = readFileSync(p, 'utf8').split('\n').filter((l) => !names.has(l.split(':')[0]));
    writeFileSync(p, kept.join('\n'));
  }
  for (const u of users) {
    appendFileSync(join(etc, 'passwd'), `${u.name}:x:${u.uid}:${u.gid ?? u.uid}::${u.home ?? '/nonexistent'}:/usr/sbin/nologin\n`);
    if (u.gid === undefined) appendFileSync(join(etc, 'group'), `${u.name}:x:${u.uid}:\n`);
  }
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(etc, rel)), { recursive: true });
    writeFileSync(join(etc, rel), content);
  }
  return etc;
}

/**
 * Spawn CMD in a private mount namespace: ETC is bound over /etc, ROOT/usr (the unpacked packages)
 * is laid over /usr with a read-only overlay, so the binaries and their libraries sit at the paths
 * they were built for (Exim re-executes itself as /usr/sbin/exim4, and a set-uid binary ignores
 * LD_LIBRARY_PATH), and each [source, target] of BINDS is bound over its target (which must exist
 * on the host), each [dir, target] of OVERLAYS laid read-only over its target. The namespace ends
 * with the last process in it.
 */
export function spawnPrivate(cmd, args, { etc, root, binds = [], overlays = [], env = {}, stdio = ['ignore', 'pipe', 'pipe'] } = {}) {
  const mounts = [];
  if (etc) mounts.push(['mount', '--bind', etc, '/etc']);
  if (root) mounts.push(['mount', '-t', 'overlay', 'overlay', '-o', `lowerdir=${join(root, 'usr')}:/usr`, '/usr']);
  for (const [src, target] of binds) mounts.push(['mount', '--bind', src, target]);
  // [dir, target]: DIR's entries added read-only to TARGET (for a path that must exist but is
  // missing on the host, such as a chroot directory).
  for (const [dir, target] of overlays) mounts.push(['mount', '-t', 'overlay', 'overlay', '-o', `lowerdir=${dir}:${target}`, target]);
  const quote = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
  const script = [...mounts.map((m) => m.map(quote).join(' ')), 'exec "$@"'].join(' && ');
  return spawn('unshare', ['-m', '--propagation', 'private', '--', 'sh', '-c', script, 'sh', cmd, ...args], {
    stdio,
    env: { ...process.env, ...env },
  });
}

/** Run CMD to completion in the same kind of namespace; returns { status, stdout, stderr }. */
export function runPrivate(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawnPrivate(cmd, args, opts);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => (stdout += d));
    child.stderr?.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
