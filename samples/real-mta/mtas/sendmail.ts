/**
 * Sendmail driver: Debian's sendmail-bin and sendmail-cf from apt-get download + dpkg -x (they
 * conflict with the installed Postfix). The sendmail.cf is built with m4 from the package's own cf
 * macros. Sendmail checks that every directory on the path to its queue and config is safe (not
 * group- or world-writable), so it runs in a private mount namespace (test/support/debian-mta.mjs)
 * where the queue is /var/spool/mqueue and the config /etc/mail/sendmail.cf, both private.
 * Everything goes to the scripted MX (SMART_HOST); Timeout.queuewarn / queuereturn in seconds.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { debianMtaMissing, debianRoot, privateEtc, runPrivate, spawnPrivate } from '../../../test/support/debian-mta.mjs';
import { freePort } from '../../../test/support/net.mjs';
import { MTA_HOSTNAME, type MtaDriver } from './types.js';

const PACKAGES = ['sendmail-bin', 'sendmail-base', 'sendmail-cf', 'm4'];
const SENDMAIL = '/usr/libexec/sendmail/sendmail';

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function mc(port: number, mxPort: number, warn: number, lifetime: number): string {
  return `divert(-1)
# private Sendmail instance (samples/real-mta/mtas/sendmail.ts)
divert(0)dnl
include(\`/usr/share/sendmail/cf/m4/cf.m4')dnl
VERSIONID(\`rebound real-MTA corpus')dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`${MTA_HOSTNAME}')dnl
define(\`ALIAS_FILE', \`')dnl
define(\`confSERVICE_SWITCH_FILE', \`/etc/mail/service.switch')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`confTO_QUEUEWARN', \`${warn}s')dnl
define(\`confTO_QUEUERETURN', \`${lifetime}s')dnl
define(\`confTO_CONNECT', \`5s')dnl
dnl Every scenario stands for another provider, but all of them reach one scripted MX at one
dnl address. Sendmail keeps a status per remote host: after a temporary failure at connection
dnl level (a 421, a 4xx after DATA) it marks the host down for Timeout.hoststatus and defers every
dnl other message to it in that queue run without connecting, reporting the host's last reply;
dnl a cached connection carries the last reply too. That put one scenario's reply into another's
dnl DSN (29 final reports said "451 4.3.0 Error: queue file write error", catalog row
dnl postfix-queue-full-temp). No host status and no connection cache: each message is tried on
dnl a connection of its own, as it would be with a host per provider.
define(\`confTO_HOSTSTATUS', \`0s')dnl
define(\`confMCI_CACHE_SIZE', \`0')dnl
define(\`confMIN_QUEUE_AGE', \`0')dnl
define(\`confDELIVERY_MODE', \`background')dnl
define(\`confPID_FILE', \`/var/spool/sendmail.pid')dnl
define(\`STATUS_FILE', \`/etc/mail/statistics')dnl
define(\`SMART_HOST', \`esmtp:[127.0.0.1]')dnl
define(\`ESMTP_MAILER_ARGS', \`TCP $h ${mxPort}')dnl
define(\`RELAY_MAILER_ARGS', \`TCP $h ${mxPort}')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`accept_unresolvable_domains')dnl
DAEMON_OPTIONS(\`Port=${port}, Addr=127.0.0.1, Name=MTA')dnl
MAILER(\`local')dnl
MAILER(\`smtp')dnl
`;
}

export const sendmail: MtaDriver = {
  name: 'sendmail',
  missing: debianMtaMissing,
  async start({ mx: mxPort }, times) {
    const root = debianRoot(PACKAGES);
    const dir = mkdtempSync(join(tmpdir(), 'rebound-sendmail-'));
    chmodSync(dir, 0o755);
    const spool = join(dir, 'spool'); // over /var/spool
    mkdirSync(join(spool, 'mqueue'), { recursive: true, mode: 0o700 });
    chmodSync(spool, 0o755);
    const port = await freePort();
    const etc = privateEtc(dir, {
      files: {
        'mail/rebound.mc': mc(port, mxPort, times.warn, times.lifetime),
        // No DNS here: host names from /etc/hosts only.
        'mail/service.switch': 'hosts files\naliases files\n',
        'mail/statistics': '',
        'mail/local-host-names': '',
      },
    });
    writeFileSync(join(etc, 'hosts'), `127.0.0.1\tlocalhost ${MTA_HOSTNAME} mta\n::1\tlocalhost ip6-localhost\n`);
    const opts = { etc, root, binds: [[spool, '/var/spool']] as [string, string][] };
    const cf = await runPrivate('/usr/bin/m4', ['/etc/mail/rebound.mc'], opts);
    if (cf.status !== 0) throw new Error(`m4 rebound.mc: ${cf.stderr}`);
    writeFileSync(join(etc, 'mail', 'sendmail.cf'), cf.stdout);
    const bv = await runPrivate(SENDMAIL, ['-C', '/etc/mail/sendmail.cf', '-d0.1', '-bt'], { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    const version = /Version (\S+)/.exec(bv.stdout)?.[1];
    const daemon = spawnPrivate(SENDMAIL, ['-C', '/etc/mail/sendmail.cf', '-bD', '-q5s', '-O', 'LogLevel=9'], opts);
    let log = '';
    daemon.stderr?.on('data', (d) => (log += d));
    daemon.stdout?.on('data', (d) => (log += d));
    const deadline = Date.now() + 90_000;
    while (!(await canConnect(port))) {
      if (daemon.exitCode !== null || Date.now() > deadline) {
        daemon.kill();
        throw new Error(`sendmail did not listen on ${port}: ${log}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const runQueue = () => runPrivate(SENDMAIL, ['-C', '/etc/mail/sendmail.cf', '-q'], opts);
    return {
      submitPort: port,
      version: `Sendmail ${version ?? '(Debian sendmail-bin)'}`,
      flush: () => void runQueue(),
      logTail: () => log.split('\n').slice(-40).join('\n'),
      async stop() {
        daemon.kill('SIGTERM');
        await new Promise((r) => (daemon.exitCode !== null ? r(null) : daemon.once('exit', r)));
        await new Promise((r) => setTimeout(r, 300));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};
