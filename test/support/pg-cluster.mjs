/**
 * support/pg-cluster - a private, throw-away PostgreSQL cluster for the PostgreSQL store tests and
 * benches (plain JavaScript so bench/*.mjs can use it too; types in pg-cluster.d.mts).
 *
 * initdb + pg_ctl from Debian's /usr/lib/postgresql/<version>/bin (the newest one, or
 * REBOUND_PG_BIN), data and socket under a temporary directory, listening on 127.0.0.1 at a free
 * port, trust authentication for one superuser `rebound` (loopback only, a test cluster). When the
 * tests run as root (CI), the directory is given to the `postgres` system user and the server runs
 * as that user: PostgreSQL refuses to run as root.
 *
 * It stops by itself: stop() shuts it down fast and removes the directory, and a small watchdog
 * process sends the postmaster SIGQUIT (immediate shutdown) and removes the directory when the
 * process that started it is gone (a killed test worker leaves nothing running).
 *
 * pgMissing() says why a test must skip; under CI a missing PostgreSQL is an error instead
 * (.ci/run installs `postgresql`).
 */
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.mjs';

/** The bin directory of the newest installed PostgreSQL, or null. */
export function pgBinDir() {
  const env = process.env.REBOUND_PG_BIN;
  if (env) return existsSync(join(env, 'initdb')) ? env : null;
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? join(base, versions[0], 'bin') : null;
}

/** Why PostgreSQL tests cannot run here, or '' when they can. Under CI, absence throws. */
export function pgMissing() {
  if (pgBinDir() !== null) return '';
  if (process.env.CI) throw new Error('PostgreSQL is not installed, and CI must run the PostgreSQL store tests (.ci/run installs postgresql)');
  return 'PostgreSQL is not installed (apt-get install postgresql; or set REBOUND_PG_BIN)';
}

function postgresUser() {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

function run(bin, args, as, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(as ? { uid: as.uid, gid: as.gid } : {}), env: { ...process.env, LC_ALL: 'C' }, ...opts });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${bin} ${args.join(' ')} exited ${code}: ${out.slice(-2000)}`))));
  });
}

/**
 * Start a private cluster. opts.fsync (default false: tests; the bench passes true so that commit
 * costs what it costs in production), opts.settings: extra `-c name=value` server settings.
 */
export async function startPgCluster(opts = {}) {
  const bin = pgBinDir();
  if (bin === null) throw new Error(pgMissing() || 'PostgreSQL is not installed');
  const as = postgresUser();
  const dir = mkdtempSync(join(tmpdir(), 'rebound-pg-'));
  const data = join(dir, 'data');
  const sock = join(dir, 'sock');
  mkdirSync(sock);
  if (as) {
    chownSync(dir, as.uid, as.gid);
    chownSync(sock, as.uid, as.gid);
  }
  const port = await freePort();
  const user = 'rebound';
  await run(join(bin, 'initdb'), ['-D', data, '-U', user, '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'], as, { cwd: dir });
  const settings = {
    listen_addresses: '127.0.0.1',
    port: String(port),
    unix_socket_directories: sock,
    fsync: opts.fsync ? 'on' : 'off',
    synchronous_commit: 'on',
    full_page_writes: opts.fsync ? 'on' : 'off',
    max_connections: '100',
    shared_buffers: '64MB',
    ...(opts.settings ?? {}),
  };
  writeFileSync(
    join(data, 'postgresql.auto.conf'),
    Object.entries(settings)
      .map(([k, v]) => `${k} = '${String(v).replace(/'/g, "''")}'`)
      .join('\n') + '\n',
  );
  if (as) chownSync(join(data, 'postgresql.auto.conf'), as.uid, as.gid);
  const log = join(dir, 'server.log');
  const start = () => run(join(bin, 'pg_ctl'), ['-D', data, '-l', log, '-w', '-t', '60', 'start'], as, { cwd: dir });
  await start();

  // The watchdog: when this process is gone, stop the server (SIGQUIT: immediate) and clean up.
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done
pid=$(head -1 '${data}/postmaster.pid' 2>/dev/null); [ -n "$pid" ] && kill -QUIT "$pid" 2>/dev/null; sleep 1; rm -rf '${dir}'`;
  const watchdog = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
  watchdog.unref();

  const base = `postgresql://${user}@127.0.0.1:${port}`;
  let stopped = false;
  const cluster = {
    dir,
    port,
    user,
    bin,
    /** A URL for database `db` (default `postgres`). */
    url: (db = 'postgres') => `${base}/${db}`,
    /** Create a fresh database and return its URL. */
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      await cluster.psql(`CREATE DATABASE ${name}`);
      return cluster.url(name);
    },
    /** Run SQL with psql as the superuser; returns its output (unaligned, tuples only). */
    psql(sql, db = 'postgres') {
      return run(join(bin, 'psql'), ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', db, '-c', sql], null);
    },
    log: () => (existsSync(log) ? readFileSync(log, 'utf8') : ''),
    /** Immediate shutdown: a crash, as far as clients see (connections cut, no checkpoint). */
    async crash() {
      await run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], as, { cwd: dir });
    },
    /** Start again after crash(): WAL recovery, then the same port. */
    start,
    async crashRestart() {
      await cluster.crash();
      await start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop'], as, { cwd: dir });
      } catch {
        // already down; the directory goes all the same
      }
      try {
        process.kill(-watchdog.pid, 'SIGKILL');
      } catch {
        // gone
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}
