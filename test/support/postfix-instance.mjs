/**
 * postfix-instance - start a private Postfix instance (the implementation behind
 * test/support/postfix.ts startPostfix; plain JavaScript so that bench/postfix-intake.mjs runs the
 * same instance the tests do). Its own config and queue under a fresh temp dir, smtpd on a free
 * loopback port, chroot off, no DNS, log to a file; `postfix -c DIR start` as root.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { freePort } from './net.mjs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const POSTFIX = '/usr/sbin/postfix';

export { freePort } from './net.mjs';

const MASTER_CF = (port) => `# private test instance: chroot off everywhere, smtpd on loopback only
127.0.0.1:${port} inet n - n - - smtpd
pickup     unix  n - n 60 1 pickup
cleanup    unix  n - n - 0 cleanup
qmgr       unix  n - n 1 1 qmgr
rewrite    unix  - - n - - trivial-rewrite
bounce     unix  - - n - 0 bounce
defer      unix  - - n - 0 bounce
trace      unix  - - n - 0 bounce
verify     unix  - - n - 1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n - - proxymap
proxywrite unix  - - n - 1 proxymap
smtp       unix  - - n - - smtp
relay      unix  - - n - - smtp
showq      unix  n - n - - showq
error      unix  - - n - - error
retry      unix  - - n - - error
discard    unix  - - n - - discard
lmtp       unix  - - n - - lmtp
anvil      unix  - - n - 1 anvil
scache     unix  - - n - 1 scache
postlog    unix-dgram n - n - 1 postlogd
`;

/** Types: postfix-instance.d.mts. */
export async function startPostfix(opts = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'rebound-postfix-'));
  // mkdtemp makes the dir 0700; Postfix daemons run as the postfix user and must traverse it.
  chmodSync(dir, 0o755);
  const etc = join(dir, 'etc');
  mkdirSync(etc);
  // postfix-script creates the queue subdirectories, but not the queue and data roots.
  mkdirSync(join(dir, 'queue'));
  mkdirSync(join(dir, 'data'));
  const pw = spawnSync('id', ['-u', 'postfix'], { encoding: 'utf8' });
  const gr = spawnSync('id', ['-g', 'postfix'], { encoding: 'utf8' });
  if (pw.status === 0 && gr.status === 0) chownSync(join(dir, 'data'), Number(pw.stdout.trim()), Number(gr.stdout.trim()));
  const port = await freePort();
  const main = {
    compatibility_level: '3.6',
    config_directory: etc,
    queue_directory: join(dir, 'queue'),
    data_directory: join(dir, 'data'),
    daemon_directory: '/usr/lib/postfix/sbin',
    command_directory: '/usr/sbin',
    meta_directory: '/etc/postfix',
    shlib_directory: '/usr/lib/postfix',
    mail_owner: 'postfix',
    setgid_group: 'postdrop',
    myhostname: 'mta.rebound.test',
    mydomain: 'rebound.test',
    myorigin: '$mydomain',
    mydestination: '',
    inet_interfaces: 'loopback-only',
    inet_protocols: 'ipv4',
    mynetworks: '127.0.0.0/8',
    smtpd_authorized_verp_clients: '127.0.0.0/8',
    smtp_host_lookup: 'native',
    lmtp_host_lookup: 'native',
    smtp_dns_support_level: 'disabled',
    alias_maps: '',
    alias_database: '',
    local_recipient_maps: '',
    biff: 'no',
    maillog_file: join(dir, 'maillog'),
    maillog_file_prefixes: `${tmpdir()}, /var, /dev/stdout`,
    // Tests want results in seconds, not minutes.
    queue_run_delay: '1s',
    minimal_backoff_time: '1s',
    maximal_backoff_time: '2s',
    smtp_connect_timeout: '5s',
    lmtp_connect_timeout: '5s',
    in_flow_delay: '0',
    notify_classes: '',
    ...opts.main,
  };
  for (const [name, content] of Object.entries(opts.files ?? {})) writeFileSync(join(etc, name), content);
  for (const [k, v] of Object.entries(main)) if (typeof v === 'string') main[k] = v.replaceAll('$ETC', etc);
  if (opts.transport) {
    const type = opts.transportType ?? 'texthash';
    writeFileSync(join(etc, 'transport'), `${opts.transport.join('\n')}\n`);
    main.transport_maps = `${type}:${join(etc, 'transport')}`;
  }
  writeFileSync(join(etc, 'main.cf'), Object.entries(main).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n');
  // chroot: these services run chrooted in the queue directory, as Debian's stock master.cf has it.
  const chrooted = new Set(opts.chroot ?? []);
  const master = MASTER_CF(port)
    .split('\n')
    .map((l) => {
      const f = l.split(/\s+/);
      return chrooted.has(f[0]) && f.length >= 8 ? [f[0], f[1], f[2], f[3], 'y', ...f.slice(5)].join(' ') : l;
    })
    .join('\n');
  writeFileSync(join(etc, 'master.cf'), master + (opts.master ?? []).map((l) => `${l}\n`).join(''));
  // A hash: map is a Berkeley DB file that postmap(1) builds from the text file.
  if (opts.transport && opts.transportType === 'hash') execFileSync('/usr/sbin/postmap', ['-c', etc, `hash:${join(etc, 'transport')}`]);

  // postfix-script runs `postfix check` and post-install first: slow on a loaded machine.
  const run = (...args) => spawnSync(POSTFIX, ['-c', etc, ...args], { encoding: 'utf8', timeout: 100_000 });
  const started = run('start');
  if (started.status !== 0) {
    const why = `status ${started.status} signal ${started.signal} ${started.error?.message ?? ''}\n${started.stdout}${started.stderr}\n${readLog(dir)}`;
    run('stop');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`postfix -c ${etc} start failed: ${why}`);
  }
  // master needs a moment to bind smtpd; wait until the port answers.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ok = await canConnect(port);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`postfix smtpd did not listen on ${port}: ${readLog(dir)}`);
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    dir,
    etc,
    port,
    log: () => readLog(dir),
    // postlogd writes maillog asynchronously: a line for an event that already happened may
    // still be on its way, so wait for it instead of reading once.
    async waitForLog(pattern, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const log = readLog(dir);
        if (pattern.test(log) || Date.now() > deadline) return log;
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    queued() {
      const out = execFileSync('/usr/sbin/postqueue', ['-c', etc, '-j'], { encoding: 'utf8', maxBuffer: 256 << 20 }); // one JSON line per queued message
      return out.split('\n').filter((l) => l.trim()).length;
    },
    flush() {
      spawnSync('/usr/sbin/postqueue', ['-c', etc, '-f'], { encoding: 'utf8' });
    },
    async stop() {
      run('stop');
      // master exits asynchronously; give it a moment before the dir goes.
      await new Promise((r) => setTimeout(r, 300));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function readLog(dir) {
  try {
    return readFileSync(join(dir, 'maillog'), 'utf8');
  } catch {
    return '(no maillog)';
  }
}

/** True when something accepts a TCP connection on 127.0.0.1:port. */
function canConnect(port) {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      s.destroy();
      resolve(false);
    });
  });
}
