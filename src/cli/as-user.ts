/**
 * cli/as-user - become another user for the rest of this process, the way systemd starts the
 * unit (User=, the user's groups from /etc/group, WorkingDirectory = the user's home), so that
 * `rebound check-config --as-user rebound` sees the files and directories exactly as the daemon
 * will. Only root can switch; switching to yourself is a no-op.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { UsageError } from './args.js';

export interface UserEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** The passwd entry for a user name or uid (getent: /etc/passwd, or NSS), or undefined. */
export function lookupUser(user: string): UserEntry | undefined {
  const r = spawnSync('getent', ['passwd', user], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const [name, , uid, gid, , home] = r.stdout.trim().split('\n')[0]!.split(':');
  if (name === undefined || !/^\d+$/.test(uid ?? '') || !/^\d+$/.test(gid ?? '')) return undefined;
  return { name, uid: Number(uid), gid: Number(gid), home: home ?? '/' };
}

/** The user's group ids (`id -G`: primary and supplementary). */
function groupsOf(u: UserEntry): number[] {
  const r = spawnSync('id', ['-G', u.name], { encoding: 'utf8' });
  const ids = r.status === 0 ? r.stdout.trim().split(/\s+/).filter((x) => /^\d+$/.test(x)).map(Number) : [];
  return ids.includes(u.gid) ? ids : [u.gid, ...ids];
}

/**
 * Switch this process to `user` (supplementary groups, gid, uid; cwd to the home directory when
 * it exists). Returns the entry; throws a UsageError (exit 2) when that is not possible.
 */
export function becomeUser(user: string): UserEntry & { cwd: string } {
  const u = lookupUser(user);
  if (!u) throw new UsageError(`--as-user: no such user ${JSON.stringify(user)}`);
  const uid = process.getuid?.();
  if (uid !== u.uid) {
    if (uid !== 0) throw new UsageError(`--as-user ${u.name}: only root can check as another user (run it with sudo)`);
    // initgroups(3), as systemd does for User=: the groups /etc/group lists the user in.
    process.setgroups!(groupsOf(u));
    process.setgid!(u.gid);
    process.setuid!(u.uid);
  }
  // systemd's WorkingDirectory=/var/lib/rebound is the user's home in the README's useradd line:
  // relative paths in the config resolve there, as they will for the daemon.
  if (existsSync(u.home)) {
    try {
      process.chdir(u.home);
    } catch {
      // not allowed in: relative paths stay relative to where we are, and the report says where.
    }
  }
  return { ...u, cwd: process.cwd() };
}
