/**
 * OpenSMTPD driver: Debian's opensmtpd from apt-get download + dpkg -x (it conflicts with the
 * installed Postfix). Its spool, chroot and control socket are compiled-in paths
 * (/var/spool/smtpd, /var/lib/opensmtpd/empty, /var/run/smtpd.sock), so smtpd runs in a private
 * mount namespace (test/support/debian-mta.mjs) where those paths are private directories and /etc
 * has its two users (opensmtpd, opensmtpq). Relays everything to the scripted MX; `queue ttl` and
 * `bounce warn-interval` in seconds; `smtpctl schedule all` retries the queue now.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { debianMtaMissing, debianRoot, privateEtc, runPrivate, spawnPrivate } from '../../../test/support/debian-mta.mjs';
import { freePort } from '../../../test/support/net.mjs';
import { MTA_HOSTNAME, type MtaDriver } from './types.js';

const PACKAGES = ['opensmtpd'];
/** uid and gid of opensmtpq inside the namespace. */
const QUEUE_GID = 64912;

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

export const opensmtpd: MtaDriver = {
  name: 'opensmtpd',
  missing: debianMtaMissing,
  async start(mx, times) {
    const root = debianRoot(PACKAGES);
    const dir = mkdtempSync(join(tmpdir(), 'rebound-opensmtpd-'));
    chmodSync(dir, 0o755);
    const spool = join(dir, 'spool'); // over /var/spool: smtpd makes /var/spool/smtpd itself
    const run = join(dir, 'run'); // over /run (/var/run/smtpd.sock)
    const varlib = join(dir, 'varlib'); // adds /var/lib/opensmtpd/empty (the chroot)
    for (const d of [spool, run, join(varlib, 'opensmtpd', 'empty')]) mkdirSync(d, { recursive: true, mode: 0o755 });
    const port = await freePort();
    const conf = join(dir, 'smtpd.conf');
    writeFileSync(join(dir, 'closing-senders'), mx.closingSenders.join('\n') + '\n');
    const closing = new Set(mx.closingSenders);
    const spread = mx.spread;
    const others = mx.senders.filter((s) => !closing.has(s));
    spread.forEach((_, i) => {
      const mine = others.filter((_s, k) => k % (spread.length + 1) === i + 1);
      writeFileSync(join(dir, `spread-senders-${i}`), mine.join('\n') + '\n');
    });
    writeFileSync(
      conf,
      [
        '# private OpenSMTPD instance (samples/real-mta/mtas/opensmtpd.ts)',
        `queue ttl ${times.lifetime}s`,
        `bounce warn-interval ${times.warn}s`,
        `listen on 127.0.0.1 port ${port}`,
        // OpenSMTPD disables a route for a while after sessions end in errors, which a 421 does;
        // the scenarios replied with 421, and the bounces, get routes of their own so that the
        // other messages are not held behind them.
        // It also opens a new connection to a host only every second or two (its mta connection
        // delays are not settable in 6.8's grammar), so the rest are spread over several routes,
        // each to its own loopback address.
        `table closing file:${join(dir, 'closing-senders')}`,
        ...spread.map((_, i) => `table spread${i} file:${join(dir, `spread-senders-${i}`)}`),
        `action "relay" relay host smtp://127.0.0.1:${mx.mx}`,
        `action "closing" relay host smtp://${mx.closing.host}:${mx.closing.port}`,
        `action "bounces" relay host smtp://${mx.sink.host}:${mx.sink.port}`,
        ...spread.map((p, i) => `action "spread${i}" relay host smtp://${p.host}:${p.port}`),
        'match from local for domain "bounces.example.org" action "bounces"',
        'match from local mail-from <closing> for any action "closing"',
        ...spread.map((_, i) => `match from local mail-from <spread${i}> for any action "spread${i}"`),
        'match from local for any action "relay"',
        '',
      ].join('\n'),
    );
    const etc = privateEtc(dir, {
      users: [
        { name: 'opensmtpd', uid: 64911, home: '/var/lib/opensmtpd/empty' },
        { name: 'opensmtpq', uid: QUEUE_GID, home: '/var/lib/opensmtpd/empty' },
      ],
      files: { mailname: `${MTA_HOSTNAME}\n`, hostname: `${MTA_HOSTNAME}\n` },
    });
    const opts = {
      etc,
      root,
      binds: [
        [spool, '/var/spool'],
        [run, '/run'],
      ] as [string, string][],
      overlays: [[varlib, '/var/lib']] as [string, string][],
    };
    const check = await runPrivate('/usr/sbin/smtpd', ['-n', '-f', conf], opts);
    if (check.status !== 0) throw new Error(`smtpd -n: ${check.stdout}${check.stderr}`);
    const version = /OpenSMTPD \S+/.exec((await runPrivate('/usr/sbin/smtpd', ['-h'], opts)).stderr)?.[0];
    const daemon = spawnPrivate('/usr/sbin/smtpd', ['-d', '-f', conf], opts);
    let log = '';
    daemon.stderr?.on('data', (d) => (log += d));
    daemon.stdout?.on('data', (d) => (log += d));
    const deadline = Date.now() + 30_000;
    while (!(await canConnect(port))) {
      if (daemon.exitCode !== null || Date.now() > deadline) {
        daemon.kill();
        throw new Error(`smtpd did not listen on ${port}: ${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    // smtpctl talks to /var/run/smtpd.sock, which exists only in smtpd's namespace, and insists on
    // running with the opensmtpq group (Debian installs it set-gid; dpkg -x cannot give it that group).
    const smtpctl = (...args: string[]) =>
      spawnSync('nsenter', ['-t', String(daemon.pid), '-m', 'setpriv', `--regid=${QUEUE_GID}`, '--keep-groups', '/usr/sbin/smtpctl', ...args], { encoding: 'utf8' });
    return {
      submitPort: port,
      version: version ?? 'OpenSMTPD (Debian opensmtpd)',
      flush: () => void smtpctl('schedule', 'all'),
      logTail: () => log.split('\n').slice(-40).join('\n'),
      async stop() {
        daemon.kill('SIGTERM');
        await new Promise((r) => (daemon.exitCode !== null ? r(null) : daemon.once('exit', r)));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};
