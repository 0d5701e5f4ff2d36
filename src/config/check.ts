/**
 * config/check - what `rebound check-config` checks beyond the file's syntax and values: that the
 * process running the check (the service user, with `--as-user`) can use every place the config
 * names. load.ts already reads the files (verp.keysFile, passwordFile, TLS cert and key);
 * here: the directories the daemon writes to (store.path and its -wal/-shm files, sockets,
 * backups), the groups sockets are given, and an LMTP socket that Postfix could not reach.
 *
 * In: a loaded Config, the config file name, and who is checking (uid, groups). Out: problems
 * (check-config exits 2) and warnings (printed, exit 0). Nothing is created or changed.
 * Secrets (secretWarnings, also logged by `serve`): a verp.keysFile, or a config file with keys
 * inline in verp.keys, that users other than its owner and the service can read is a warning, as
 * ssh warns about an open private key: whoever reads the HMAC keys can sign return paths that
 * credit bounces to any address.
 * Config keys: store.path, control.socket, control.group, control.socketmap.socket,
 * intake.lmtp.socket, intake.lmtp.group, intake.lmtp.enabled, jobs.backup.dir, verp.keys,
 * verp.keysFile.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import type { Config } from './schema.js';

export interface EnvironmentReport {
  problems: string[];
  warnings: string[];
}

export interface Checker {
  uid: number;
  /** Every group id of the checking process (primary and supplementary). */
  gids: number[];
  /** Directory relative paths resolve against (the daemon's WorkingDirectory). */
  cwd: string;
}

/**
 * Directories systemd creates for the unit (StateDirectory=, RuntimeDirectory=), absent before its
 * first start. Matched as path endings, so that the same install under another root (a test's
 * scratch root, an image being built) is treated alike.
 */
const UNIT_DIRS = ['/var/lib/rebound', '/run/rebound'];
function unitDir(dir: string): string | undefined {
  for (const u of UNIT_DIRS) {
    const i = dir.indexOf(`${u}/`) >= 0 ? dir.indexOf(`${u}/`) : dir.endsWith(u) ? dir.length - u.length : -1;
    if (i >= 0) return dir.slice(0, i + u.length);
  }
  return undefined;
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

function errCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? 'error';
}

/** Group name -> gid from /etc/group; a numeric string is a gid; undefined when unknown. */
function groupId(group: string): number | undefined {
  if (/^\d+$/.test(group)) return Number(group);
  let text = '';
  try {
    text = readFileSync('/etc/group', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  return undefined;
}

/** Users whose primary or supplementary group is gid (/etc/passwd and /etc/group). */
function groupMembers(gid: number): Set<string> {
  const members = new Set<string>();
  const read = (f: string): string[] => {
    try {
      return readFileSync(f, 'utf8').split('\n');
    } catch {
      return [];
    }
  };
  for (const line of read('/etc/passwd')) {
    const f = line.split(':');
    if (f[3] === String(gid) && f[0]) members.add(f[0]);
  }
  for (const line of read('/etc/group')) {
    const f = line.split(':');
    if (f[2] === String(gid)) for (const m of (f[3] ?? '').split(',')) if (m.trim()) members.add(m.trim());
  }
  return members;
}

function userName(uid: number): string | undefined {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[2] === String(uid)) return f[0];
    }
  } catch {
    // no /etc/passwd: compare by uid only
  }
  return undefined;
}

/**
 * Who besides the file's owner can read a file holding secrets; undefined when nobody. Group read
 * is fine when the group holds nobody but the owner and the service user (the README installs
 * rebound.toml root:rebound 0640); anyone else in it, or read for others, is too open.
 */
function openTo(path: string, allowed: (string | undefined)[]): string | undefined {
  let st;
  try {
    st = statSync(path);
  } catch {
    return undefined; // unreadable files are load.ts's problem
  }
  const mode = `0${(st.mode & 0o777).toString(8)}`;
  if (st.mode & 0o004) return `readable by every user on this host (mode ${mode})`;
  if (st.mode & 0o040) {
    const owner = userName(st.uid);
    const others = [...groupMembers(st.gid)].filter((u) => u !== owner && !allowed.includes(u));
    if (others.length > 0) return `readable by group ${st.gid} (mode ${mode}), whose members include ${others.slice(0, 5).join(', ')}`;
  }
  return undefined;
}

/** Warnings for VERP keys that others can read: verp.keysFile, or keys inline in the config file. */
export function secretWarnings(cfg: Config, file: string | undefined, who: { uid: number; cwd: string }): string[] {
  const out: string[] = [];
  // The checking user and the unit's user (systemd/rebound.service: User=rebound) may read them.
  const service = [userName(who.uid), 'rebound'];
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(who.cwd, p));
  const advice = (p: string): string =>
    `; whoever reads the VERP keys can sign return paths for any address: chmod 600 ${p} (or 640 with a group only the service user is in, e.g. chgrp rebound)`;
  if (cfg.verp.keysFile !== undefined) {
    const p = abs(cfg.verp.keysFile);
    const open = openTo(p, service);
    if (open) out.push(`${file ?? '(defaults)'}: verp.keysFile: ${p} is ${open}${advice(p)}`);
  }
  if (cfg.store.passwordFile !== undefined) {
    const p = abs(cfg.store.passwordFile);
    const open = openTo(p, service);
    if (open)
      out.push(`${file ?? '(defaults)'}: store.passwordFile: ${p} is ${open}; whoever reads it can change every address's state in the shared database: chmod 600 ${p} (or 640 with a group only the service user is in)`);
  }
  if (file !== undefined) {
    let inline = false;
    try {
      const t = parseToml(readFileSync(file, 'utf8')) as { verp?: { keys?: unknown } };
      inline = Array.isArray(t.verp?.keys) && t.verp.keys.length > 0;
    } catch {
      // load.ts reported it
    }
    const p = abs(file);
    const open = inline ? openTo(p, service) : undefined;
    if (open) out.push(`${file}: verp.keys: the config file holds keys inline and is ${open}${advice(p)}; or move them to verp.keysFile`);
  }
  return out;
}

export function checkEnvironment(cfg: Config, file: string, who: Checker): EnvironmentReport {
  const problems: string[] = [];
  const warnings: string[] = [];
  warnings.push(...secretWarnings(cfg, file === '(defaults)' ? undefined : file, who));
  const at = (key: string, text: string): string => `${file}: ${key}: ${text}`;
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(who.cwd, p));

  /** A directory the daemon creates files in: it must exist and be writable, or be creatable. */
  const writableDir = (key: string, dir: string, what: string): void => {
    let st;
    try {
      st = statSync(dir);
    } catch (err) {
      if (errCode(err) !== 'ENOENT') return void problems.push(at(key, `cannot reach directory ${dir} (${errCode(err)}) for ${what}`));
      // The daemon creates missing directories (mkdir -p): the nearest existing one must be writable.
      let parent = dirname(dir);
      while (parent !== dirname(parent) && !exists(parent)) parent = dirname(parent);
      try {
        accessSync(parent, constants.W_OK | constants.X_OK);
      } catch (e) {
        const made = unitDir(dir);
        if (made !== undefined && !exists(made)) warnings.push(at(key, `directory ${dir} does not exist yet; systemd creates ${made} when the unit starts (StateDirectory=/RuntimeDirectory=)`));
        else problems.push(at(key, `directory ${dir} does not exist and ${parent} is not writable (${errCode(e)}), so ${what} cannot be created`));
      }
      return;
    }
    if (!st.isDirectory()) return void problems.push(at(key, `${dir} is not a directory; it would hold ${what}`));
    try {
      accessSync(dir, constants.W_OK | constants.X_OK);
    } catch (err) {
      problems.push(at(key, `directory ${dir} is not writable (${errCode(err)}); it holds ${what}`));
    }
  };

  // store.path: the database, and SQLite's -wal and -shm files beside it.
  const db = abs(cfg.store.path);
  // (Not used with store.backend = "postgresql": the database is the server's.)
  if (cfg.store.path !== ':memory:' && cfg.store.backend !== 'postgresql') {
    let isFile = false;
    try {
      isFile = statSync(db).isFile();
      if (!isFile) problems.push(at('store.path', `${db} exists and is not a file`));
    } catch (err) {
      if (errCode(err) !== 'ENOENT') problems.push(at('store.path', `cannot reach ${db} (${errCode(err)})`));
    }
    if (isFile) {
      try {
        accessSync(db, constants.R_OK | constants.W_OK);
      } catch (err) {
        problems.push(at('store.path', `database ${db} is not readable and writable (${errCode(err)})`));
      }
    }
    writableDir('store.path', dirname(db), 'the database and its -wal/-shm files');
  }

  // Sockets: the daemon creates each file (and replaces a stale one) in its directory.
  writableDir('control.socket', dirname(abs(cfg.control.socket)), 'the status socket');
  if (cfg.control.socketmap.enabled && cfg.control.socketmap.socket !== undefined)
    writableDir('control.socketmap.socket', dirname(abs(cfg.control.socketmap.socket)), 'the socketmap socket');
  const lmtp = cfg.intake.lmtp;
  if (lmtp.enabled && lmtp.socket !== undefined) writableDir('intake.lmtp.socket', dirname(abs(lmtp.socket)), 'the LMTP socket');
  if (cfg.jobs.backup.enabled) writableDir('jobs.backup.dir', abs(cfg.jobs.backup.dir), 'backups');

  // Socket groups: the group must exist, and a daemon that is not root can give a file only a
  // group it belongs to (chown(2)).
  const group = (key: string, name: string): void => {
    if (name === '') return;
    const gid = groupId(name);
    if (gid === undefined) return void problems.push(at(key, `no group ${JSON.stringify(name)} in /etc/group`));
    if (who.uid !== 0 && !who.gids.includes(gid))
      problems.push(at(key, `the checking user (uid ${who.uid}) is not in group ${JSON.stringify(name)}, so the daemon cannot give the socket that group (usermod -aG ${name} USER, then restart the daemon)`));
  };
  group('control.group', cfg.control.group);
  if (lmtp.enabled && lmtp.socket !== undefined) group('intake.lmtp.group', lmtp.group);

  // Settings that start no listener, or one the MTA cannot connect to.
  if (lmtp.enabled && lmtp.socket !== undefined && lmtp.group === '')
    warnings.push(
      at(
        'intake.lmtp.group',
        'empty, so the LMTP socket gets the daemon\'s own group (mode 0660); Postfix\'s lmtp client runs as user postfix with only group postfix, and gets "Permission denied": set group = "postfix" (and usermod -aG postfix rebound)',
      ),
    );
  return { problems, warnings };
}
