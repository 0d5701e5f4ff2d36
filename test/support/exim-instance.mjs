/**
 * exim-instance - a private Exim 4 (Debian's exim4-daemon-light, fetched by apt-get download +
 * dpkg -x through debian-mta.mjs) listening on a loopback port with its own configuration, spool
 * and logs under a fresh temp dir. Runs in a private mount namespace whose /etc has the
 * Debian-exim user and lists the configuration in /etc/exim4/trusted_configs, so Exim keeps root
 * only as long as it needs (it delivers as Debian-exim). Nothing is installed on the host.
 *
 *   const exim = await startExim({ routers, transports, main: { delay_warning: '20s' } });
 *   ... send to 127.0.0.1:exim.port ...
 *   exim.queueRun(); exim.log(); await exim.stop();
 *
 * Types in exim-instance.d.mts. Used by the real-MTA corpus generator; usable by any test that
 * needs a real Exim (e.g. to try a router that hands bounces to rebound).
 */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { debianMtaMissing, debianRoot, privateEtc, runPrivate, spawnPrivate } from './debian-mta.mjs';
import { freePort } from './net.mjs';

export const EXIM_PACKAGES = ['exim4-daemon-light', 'exim4-base', 'exim4-config', 'libidn12'];
/** uid/gid of Debian-exim inside the namespace (unused on the host). */
const EXIM_UID = 64901;

/** Why a private Exim cannot run here, or '' when it can. */
export function eximMissing() {
  return debianMtaMissing();
}

function section(entries) {
  return Object.entries(entries)
    .map(([k, v]) => `${k} = ${v}`)
    .join('\n');
}

/**
 * Start Exim. opts.main: extra main-section options; opts.acl: the ACL section text (default:
 * accept from loopback, deny the rest); opts.routers / opts.transports / opts.retry: those
 * sections (default retry: one try a minute, give up after an hour).
 */
export async function startExim(opts = {}) {
  const why = eximMissing();
  if (why) throw new Error(`cannot run a private Exim: ${why}`);
  const root = debianRoot(EXIM_PACKAGES);
  // Inside the namespace the unpacked /usr is laid over the host's (debian-mta.mjs spawnPrivate).
  const exim = '/usr/sbin/exim4';
  const dir = mkdtempSync(join(tmpdir(), 'rebound-exim-'));
  chmodSync(dir, 0o755);
  const spool = join(dir, 'spool');
  const logDir = join(dir, 'log');
  for (const d of [spool, logDir]) {
    mkdirSync(d);
    chownSync(d, EXIM_UID, EXIM_UID);
    chmodSync(d, 0o750);
  }
  const port = opts.port ?? (await freePort());
  const conf = join(dir, 'exim.conf');
  const main = {
    primary_hostname: 'mta.rebound.test',
    spool_directory: spool,
    log_file_path: `${logDir}/%slog`,
    pid_file_path: join(dir, 'exim.pid'),
    daemon_smtp_ports: String(port),
    local_interfaces: '127.0.0.1',
    // No DNS on these machines: no reverse lookups, no ident.
    host_lookup: '',
    rfc1413_hosts: '',
    rfc1413_query_timeout: '0s',
    tls_advertise_hosts: '',
    never_users: 'root',
    keep_environment: '',
    acl_smtp_rcpt: 'acl_check_rcpt',
    queue_run_max: '5',
    remote_max_parallel: '4',
    ...opts.main,
  };
  const acl = opts.acl ?? 'acl_check_rcpt:\n  accept hosts = 127.0.0.0/8\n  deny message = relay not permitted';
  writeFileSync(
    conf,
    `# private Exim instance (test/support/exim-instance.mjs)\n${section(main)}\n\nbegin acl\n${acl}\n\nbegin routers\n${opts.routers ?? ''}\n\nbegin transports\n${opts.transports ?? ''}\n\nbegin retry\n${opts.retry ?? '*  *  F,1h,1m'}\n\nbegin rewrite\n`,
  );
  chmodSync(conf, 0o644);
  const etc = privateEtc(dir, {
    users: [{ name: 'Debian-exim', uid: EXIM_UID }],
    files: { 'exim4/trusted_configs': `${conf}\n` },
  });
  const run = (args) => runPrivate(exim, ['-C', conf, ...args], { etc, root });

  const check = await run(['-bV']);
  if (check.status !== 0) throw new Error(`exim -bV failed: ${check.stdout}${check.stderr}`);
  const version = /Exim version (\S+)/.exec(check.stdout)?.[1] ?? 'unknown';

  const daemon = spawnPrivate(exim, ['-C', conf, '-bdf', `-q${opts.queueInterval ?? '5s'}`], { etc, root });
  let daemonErr = '';
  daemon.stderr?.on('data', (d) => (daemonErr += d));
  const log = () => {
    try {
      return readFileSync(join(logDir, 'mainlog'), 'utf8') + readFileSync(join(logDir, 'paniclog'), 'utf8');
    } catch {
      try {
        return readFileSync(join(logDir, 'mainlog'), 'utf8');
      } catch {
        return '(no exim log)';
      }
    }
  };
  const deadline = Date.now() + 30_000;
  while (!(await canConnect(port))) {
    if (daemon.exitCode !== null || Date.now() > deadline) {
      daemon.kill();
      throw new Error(`exim daemon did not listen on ${port}: ${daemonErr}\n${log()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    dir,
    port,
    conf,
    version: `Exim ${version}`,
    log,
    /** Start a queue run now, forcing retries whose time has not come (exim -qf). */
    queueRun: () => run(['-qf']),
    /** Run exim with other arguments in the instance's namespace (e.g. ['-bp'] to list the queue). */
    exim: run,
    async stop() {
      daemon.kill('SIGTERM');
      await new Promise((r) => (daemon.exitCode !== null ? r() : daemon.once('exit', r)));
      // Deliveries started by the daemon's queue runners finish on their own; give them a moment.
      await new Promise((r) => setTimeout(r, 300));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Fetch and unpack Exim's packages now and start and stop one private instance: for a CI script to
 * run before the tests, so that a test does not wait on the download and a missing piece fails
 * here, naming its cause. Returns Exim's version ("Exim 4.96").
 */
export async function prepareExim() {
  const why = eximMissing();
  if (why) throw new Error(`cannot run a private Exim: ${why}`);
  debianRoot(EXIM_PACKAGES);
  const exim = await startExim();
  await exim.stop();
  return exim.version;
}

function canConnect(port) {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
