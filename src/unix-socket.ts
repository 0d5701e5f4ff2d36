/**
 * unix-socket - listening on TCP or on a Unix socket file the way every rebound listener does
 * (SMTP/LMTP intake, the status socket, the Postfix socketmap): a stale socket file left by a
 * crash is replaced, a live one or a file that is not a socket is refused, and the new socket
 * gets its mode and group set explicitly (the socket file is the access control, not the umask).
 * In: a net.Server and where to listen. Out: a listening server, or a DaemonError('listen') that
 * names the place and the reason. Config keys: the callers' (intake.lmtp.socket/group,
 * control.socket/mode/group, control.socketmap.socket).
 */
import { chmodSync, chownSync, lstatSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { createConnection, type Server } from 'node:net';
import { dirname } from 'node:path';
import { DaemonError } from './errors.js';

/** A group name from /etc/group, or a numeric gid; `key` names the config key in the error. */
function resolveGid(group: string, key: string): number {
  if (/^\d+$/.test(group)) return Number(group);
  let text = '';
  try {
    text = readFileSync('/etc/group', 'utf8');
  } catch {
    // fall through to the error below
  }
  for (const line of text.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  throw new DaemonError('listen', `${key}: no such group ${JSON.stringify(group)} in /etc/group`);
}

/** True when something accepts connections on the Unix socket at `path`. */
function socketIsLive(path: string): Promise<boolean> {
  return new Promise((res) => {
    const c = createConnection(path);
    c.once('connect', () => {
      c.destroy();
      res(true);
    });
    c.once('error', () => res(false));
  });
}

/** Remove a stale socket file left by a crash; refuse to touch a live socket or a non-socket. */
async function clearSocketPath(path: string): Promise<void> {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new DaemonError('listen', `${path} exists and is not a socket; refusing to replace it`);
  if (await socketIsLive(path)) throw new DaemonError('listen', `${path} is in use by another process`);
  unlinkSync(path);
}

/** server.listen as a promise whose error says where. */
export function listen(server: Server, where: { path: string } | { host: string; port: number }): Promise<void> {
  return new Promise((res, rej) => {
    const onError = (err: Error): void => {
      rej(new DaemonError('listen', `cannot listen on ${'path' in where ? where.path : `${where.host}:${where.port}`}: ${err.message}`, { cause: err }));
    };
    server.once('error', onError);
    const done = (): void => {
      server.off('error', onError);
      res();
    };
    if ('path' in where) server.listen(where.path, done);
    else server.listen(where.port, where.host, done);
  });
}

/** Listen on a Unix socket file with this mode and group ('' = the process's own). */
export async function listenUnix(server: Server, path: string, mode: number, group: string, groupKey: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  await clearSocketPath(path);
  await listen(server, { path });
  try {
    chmodSync(path, mode);
    if (group !== '') chownSync(path, -1, resolveGid(group, groupKey));
  } catch (err) {
    server.close();
    throw err instanceof DaemonError ? err : new DaemonError('listen', `socket ${path}: ${(err as Error).message}`, { cause: err });
  }
}
