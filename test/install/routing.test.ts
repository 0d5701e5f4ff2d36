/**
 * Every Postfix routing line of the README, delivering a real bounce from a real Postfix to the
 * installed rebound, the way the README sets it up: the install block (test/install/service.ts,
 * with the tested build linked in), the daemon started as the unit starts it (as the service user),
 * main.cf's relay_domains and a hash: transport map built with postmap, one README transport line
 * at a time (rewritten, postmap, postfix reload, as the README says), and the README's blocks for
 * the LMTP socket and for the socket inside a chrooted lmtp, run as written (paths mapped under
 * the scratch root and Postfix's private queue directory). The private Postfix runs `lmtp`
 * chrooted, as Debian's stock master.cf does.
 *
 * Bounces: Postfix's error(8) transport refuses each test recipient at example.net ("5.1.1 User
 * unknown") and Postfix's bounce daemon writes the DSN to the message's VERP return path at
 * bounces.example.com, which the transport line under test routes to rebound. The address must
 * then be invalid (`rebound check` exits 5).
 *
 * The pipe transport: the README's master.cf lines; then with the database made unwritable to the
 * service user, Postfix defers the bounce (the pipe exits 75) and delivers it once the database is
 * writable again - nothing is lost.
 *
 * Exim: the README's router and each of its transports (LMTP on the socket, LMTP over TCP, the
 * pipe, and the pipe with the database unwritable: deferred, then delivered by a queue run), with a
 * bounce Exim itself writes (a redirect router fails the recipient), through a private Exim
 * (test/support/exim-instance.mjs: Debian's exim4 unpacked with dpkg -x, run in a mount namespace;
 * it conflicts with Postfix as an installed MTA). Skipped, saying why, where Exim cannot run; under
 * CI that is a failure (.ci/run fetches and tries the private Exim first).
 * Needs root and Postfix; skips otherwise, except under CI.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eximMissing, startExim, type EximInstance } from '../support/exim-instance.mjs';
import { freePort, postfixMissing, startPostfix, type PostfixInstance } from '../support/postfix.js';
import { lines, readmeBlock } from '../support/readme.js';
import { installFromReadme, sh, startService, type Install, type Service } from '../support/service.js';

const missing = postfixMissing();
const skip = Boolean(missing) && !process.env.CI;
const BOUNCE_DOMAIN = 'bounces.example.com';

// The private Exim (test/support/exim-instance.mjs): skipped, saying why, where it cannot run
// (not root, no apt-get/dpkg/unshare); under CI that fails instead (.ci/run prepares it).
const eximWhy = eximMissing();
const eximSkip = eximWhy !== '' && !process.env.CI;

let inst: Install;
let svc: Service | undefined;
let cfgFile = '';
let baseConfig = '';
let smtpPort = 0;
let lmtpPort = 0;

async function restart(): Promise<void> {
  expect(await svc!.stop()).toBe(0);
  svc = await startService(inst);
}

const check = (addr: string) => sh(`${join(inst.root, 'usr/bin/rebound')} check -c ${cfgFile} ${addr}`);

/** Wait until rebound holds the address as invalid (check exits 5); the MTA's log on failure. */
async function invalidSoon(addr: string, mta: { log(): string; retry(): unknown }, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = check(addr);
    if (r.code === 5) return;
    if (Date.now() > deadline) throw new Error(`${addr} not invalid (check: ${r.code} ${r.out})\n${mta.log().split('\n').slice(-25).join('\n')}\n${svc?.output().slice(-2000)}`);
    await mta.retry();
    await new Promise((res) => setTimeout(res, 500));
  }
}

/** Wait for a log line matching `what`; fail at once on one matching `not`. */
async function logLine(log: () => string, what: RegExp, not?: RegExp, ms = 60_000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const all = log().split('\n');
    const bad = not ? all.find((l) => not.test(l)) : undefined;
    if (bad) throw new Error(`unexpected log line: ${bad}`);
    const hit = all.find((l) => what.test(l));
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`no log line ${what}:\n${all.filter((l) => !/queue run/.test(l)).slice(-20).join('\n')}`);
    await new Promise((res) => setTimeout(res, 300));
  }
}

describe.skipIf(skip)(`README routing${skip ? ` (skipped: ${missing})` : ''}`, { timeout: 180_000 }, () => {
  /** The service user, its config and a running daemon, from the README's install block. */
  beforeAll(async () => {
    if (missing) throw new Error(`CI is set but ${missing}`);
    inst = installFromReadme({ prefix: 'rbr', full: false });
    if (inst.code !== 0) throw new Error(`install block failed:\n${inst.out}`);
    cfgFile = join(inst.root, 'etc/rebound/rebound.toml');
    smtpPort = await freePort();
    lmtpPort = await freePort();
    // Ports other tests may hold are replaced; the rest of the file is the README's.
    baseConfig = `${readFileSync(cfgFile, 'utf8')}[intake.smtp]\nport = ${smtpPort}\n`;
    writeFileSync(cfgFile, baseConfig);
    svc = await startService(inst);
  }, 240_000);

  afterAll(async () => {
    await svc?.stop();
    inst?.remove();
  });

describe('with a real Postfix (lmtp chrooted, as in Debian\'s master.cf)', () => {
  let pf: PostfixInstance;
  const transports = lines(readmeBlock('postfix-transport'));
  const transport = (kind: string): string => {
    const l = transports.find((t) => t.split(/\s+/)[1]!.startsWith(kind));
    if (!l) throw new Error(`README has no transport line for ${kind}`);
    return l.replace(/\s+#.*$/, '');
  };

  beforeAll(async () => {
    const pipe = readmeBlock('postfix-pipe')
      .trimEnd()
      .split('\n')
      .map((l) => l.replaceAll('/usr/bin/rebound', join(inst.root, 'usr/bin/rebound')).replaceAll('/etc/rebound', join(inst.root, 'etc/rebound')).replace('user=rebound', `user=${inst.user}`));
    pf = await startPostfix({
      main: { relay_domains: BOUNCE_DOMAIN, notify_classes: '', bounce_queue_lifetime: '1h', maximal_queue_lifetime: '1h' },
      transport: ['example.net error:5.1.1 Recipient address rejected: User unknown', `${BOUNCE_DOMAIN} smtp:[127.0.0.1]:${smtpPort}`],
      transportType: 'hash',
      master: pipe,
      chroot: ['lmtp'],
    });
  }, 180_000);

  afterAll(async () => {
    await pf?.stop();
  });

  const mta = { log: () => pf.log(), retry: () => pf.flush() };
  const etc = (): string => join(pf.dir, 'etc');

  /** The README's step after editing the transport file: postmap, postfix reload. */
  function route(line: string): void {
    writeFileSync(join(etc(), 'transport'), `example.net error:5.1.1 Recipient address rejected: User unknown\n${line}\n`);
    const r = sh(`postmap -c ${etc()} hash:${join(etc(), 'transport')} && postfix -c ${etc()} reload`);
    expect(r.code, r.out).toBe(0);
  }

  /** Submit mail from a VERP return path to a recipient Postfix refuses: Postfix writes the bounce. */
  function sendBouncing(local: string): string {
    const rcpt = `${local}@example.net`;
    execFileSync('/usr/sbin/sendmail', ['-C', etc(), '-f', `bounces+${local}=example.net@${BOUNCE_DOMAIN}`, rcpt], {
      input: `From: news@sender.example.com\nTo: ${rcpt}\nSubject: newsletter\nMessage-ID: <${local}.${Date.now()}@sender.example.com>\n\nHello.\n`,
    });
    return rcpt;
  }

  const sentVia = (addr: string, relay: RegExp): boolean =>
    pf.log().split('\n').some((l) => l.includes(`to=<bounces+${addr.split('@')[0]}=example.net@${BOUNCE_DOMAIN}>`) && relay.test(l) && l.includes('status=sent'));

  it('the transport map is a hash: map built by postmap, as the README says', () => {
    expect(readFileSync(join(etc(), 'main.cf'), 'utf8')).toMatch(/^transport_maps = hash:/m);
    expect(existsSync(join(etc(), 'transport.db'))).toBe(true);
  });

  it('SMTP: smtp:[127.0.0.1]:2525', async () => {
    route(transport('smtp:').replace(':2525', `:${smtpPort}`));
    const a = sendBouncing('via-smtp');
    await invalidSoon(a, mta);
    expect(sentVia(a, /relay=127\.0\.0\.1\[127\.0\.0\.1\]/)).toBe(true);
  });

  it('LMTP over TCP: lmtp:inet:127.0.0.1:2424 with [intake.lmtp] enabled = true', async () => {
    writeFileSync(cfgFile, `${baseConfig}[intake.lmtp]\nenabled = true\nport = ${lmtpPort}\n`);
    await restart();
    route(transport('lmtp:inet:').replace(':2424', `:${lmtpPort}`));
    const a = sendBouncing('via-lmtp-tcp');
    await invalidSoon(a, mta);
    expect(sentVia(a, new RegExp(`relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:${lmtpPort}`))).toBe(true);
  });

  it('LMTP on /run/rebound/lmtp.sock: the README block (usermod, socket, group postfix); chrooted lmtp cannot see it, unchrooted delivers', async () => {
    writeFileSync(cfgFile, baseConfig);
    const r = inst.run(readmeBlock('lmtp-socket'));
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/configuration OK/);
    expect(r.out).not.toMatch(/intake\.lmtp\.group/); // no warning: the group is set
    expect(inst.systemctl().at(-1)).toBe('systemctl restart rebound');
    await restart();
    const sock = join(inst.root, 'run/rebound/lmtp.sock');
    expect(spawnSync('stat', ['-c', '%G %a', sock], { encoding: 'utf8' }).stdout.trim()).toBe('postfix 660');
    route(transport('lmtp:unix:/').replace('/run/rebound', join(inst.root, 'run/rebound')));
    // Debian's chrooted lmtp looks the absolute path up inside the chroot: not found, deferred.
    const a = sendBouncing('via-lmtp-socket');
    const deadline = Date.now() + 30_000;
    while (!pf.log().includes('via-lmtp-socket=example.net') || !/lmtp\.sock.*No such file or directory|status=deferred.*lmtp\.sock/.test(pf.log())) {
      if (Date.now() > deadline) throw new Error(`no deferral under chroot:\n${pf.log().split('\n').slice(-15).join('\n')}`);
      await new Promise((res) => setTimeout(res, 300));
    }
    expect(check(a).code).toBe(0);
    // The README's first remedy: no chroot for lmtp.
    const off = sh(`postconf -c ${etc()} -F lmtp/unix/chroot=n && postfix -c ${etc()} reload`);
    expect(off.code, off.out).toBe(0);
    await invalidSoon(a, mta);
    expect(sentVia(a, /lmtp\.sock\]/)).toBe(true);
  });

  it('LMTP on a socket inside the chroot: the README block, lmtp:unix:rebound/lmtp.sock, lmtp chrooted again', async () => {
    const on = sh(`postconf -c ${etc()} -F lmtp/unix/chroot=y && postfix -c ${etc()} reload`);
    expect(on.code, on.out).toBe(0);
    const spool = join(pf.dir, 'queue');
    const r = inst.run(readmeBlock('lmtp-chroot'), { '/var/spool/postfix': spool });
    expect(r.code, r.out).toBe(0);
    expect(readFileSync(cfgFile, 'utf8')).toContain(`socket = "${spool}/rebound/lmtp.sock"`);
    expect(existsSync(join(inst.root, 'etc/systemd/system/rebound.service.d/lmtp-in-postfix-chroot.conf'))).toBe(true);
    expect(inst.systemctl().slice(-2)).toEqual(['systemctl daemon-reload', 'systemctl restart rebound']);
    await restart();
    expect(spawnSync('stat', ['-c', '%G %a', join(spool, 'rebound/lmtp.sock')], { encoding: 'utf8' }).stdout.trim()).toBe('postfix 660');
    route(transport('lmtp:unix:rebound/'));
    const a = sendBouncing('via-lmtp-chroot');
    await invalidSoon(a, mta);
    expect(sentVia(a, /relay=.*\[rebound\/lmtp\.sock\]/)).toBe(true);
  });

  it('the pipe transport: rebound: with the README master.cf lines', async () => {
    route(transport('rebound:'));
    const a = sendBouncing('via-pipe');
    await invalidSoon(a, mta);
    expect(sentVia(a, /relay=rebound/)).toBe(true);
  });

  it('the pipe with the database unwritable: Postfix defers (status 75), then delivers once it is writable; nothing lost', async () => {
    route(transport('rebound:'));
    const db = join(inst.root, 'var/lib/rebound/rebound.db');
    const before = readFileSync(db).length > 0;
    expect(before).toBe(true);
    chmodSync(db, 0o440);
    try {
      const a = sendBouncing('while-readonly');
      const deadline = Date.now() + 60_000;
      let deferred = '';
      while (!(deferred = pf.log().split('\n').find((l) => l.includes('while-readonly=example.net') && l.includes('status=deferred')) ?? '')) {
        const bounced = pf.log().split('\n').find((l) => l.includes('while-readonly=example.net') && l.includes('status=bounced'));
        if (bounced || Date.now() > deadline) throw new Error(`not deferred:\n${bounced ?? pf.log().split('\n').slice(-15).join('\n')}`);
        await new Promise((res) => setTimeout(res, 300));
      }
      expect(deferred).toMatch(/relay=rebound/);
      expect(deferred).toMatch(/temporary failure/);
      expect(deferred).toMatch(/readonly database/);
      expect(pf.log()).not.toMatch(/while-readonly=example\.net.*status=bounced/);
      expect(pf.queued()).toBeGreaterThanOrEqual(1);
      expect(check(a).code).toBe(0);
      chmodSync(db, 0o640);
      await invalidSoon(a, mta);
      expect(sentVia(a, /relay=rebound/)).toBe(true);
    } finally {
      chmodSync(db, 0o640);
    }
    // Nothing left behind in Postfix's queue for this bounce.
    const deadline = Date.now() + 20_000;
    while (pf.log().split('\n').filter((l) => l.includes('while-readonly') && l.includes('status=sent')).length === 0 && Date.now() < deadline)
      await new Promise((res) => setTimeout(res, 200));
    expect(pf.log()).not.toMatch(/while-readonly=example\.net.*status=bounced/);
  });
});

describe.skipIf(eximSkip)(`with a private Exim${eximSkip ? ` (skipped: ${eximWhy})` : ''}`, () => {
  beforeAll(() => {
    if (eximWhy) throw new Error(`CI is set but a private Exim cannot run: ${eximWhy}`);
  });
  const block = readmeBlock('exim');
  const map = (t: string): string =>
    t
      .replaceAll('/usr/bin/rebound', join(inst.root, 'usr/bin/rebound'))
      .replaceAll('/etc/rebound', join(inst.root, 'etc/rebound'))
      .replaceAll('/run/rebound', join(inst.root, 'run/rebound'))
      .replace(/^(\s*user = )rebound$/gm, `$1${inst.user}`)
      .replace(/^(\s*port = )2424$/gm, `$1${lmtpPort}`);
  const router = (): string => block.slice(0, block.indexOf('\n\n'));
  const transports = (): string => block.slice(block.indexOf('\n\n') + 2);
  let exim: EximInstance | undefined;

  /** A private Exim with the README's router sending to `transport`, and a router that fails example.net. */
  async function startWith(transport: string): Promise<EximInstance> {
    await exim?.stop();
    const routers = `${map(router()).replace('transport = rebound_lmtp', `transport = ${transport}`)}\n\nfail_unknown:\n  driver = redirect\n  domains = example.net\n  allow_fail\n  data = :fail: 5.1.1 User unknown\n`;
    exim = await startExim({ routers, transports: map(transports()) });
    return exim;
  }

  afterAll(async () => {
    await exim?.stop();
  });

  /** SMTP to Exim: mail from a VERP return path to a recipient Exim fails, so Exim writes the bounce. */
  async function sendBouncing(port: number, local: string): Promise<string> {
    const { createTransport } = await import('nodemailer');
    const rcpt = `${local}@example.net`;
    const t = createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, name: 'sender.example.com' });
    await t.sendMail({
      envelope: { from: `bounces+${local}=example.net@${BOUNCE_DOMAIN}`, to: [rcpt] },
      raw: `From: news@sender.example.com\r\nTo: ${rcpt}\r\nSubject: newsletter\r\nMessage-ID: <${local}.${Date.now()}@sender.example.com>\r\n\r\nHello.\r\n`,
    });
    t.close();
    return rcpt;
  }

  const mta = () => ({ log: () => exim!.log(), retry: () => exim!.queueRun() });
  // Exim logs a local delivery as "=> LOCALPART <ADDRESS> R=... T=...", a remote one as "=> ADDRESS R=...".
  const delivered = (local: string, transport: string) => new RegExp(`=> [^ ]*bounces\\+${local}=example\\.net.* T=${transport}(\\s|$)`);

  it('rebound_lmtp: LMTP on the socket, the delivery running as the service user', async () => {
    writeFileSync(cfgFile, baseConfig);
    const r = inst.run(readmeBlock('lmtp-socket'));
    expect(r.code, r.out).toBe(0);
    await restart();
    const e = await startWith('rebound_lmtp');
    const a = await sendBouncing(e.port, 'exim-lmtp');
    await invalidSoon(a, mta());
    await logLine(() => e.log(), delivered('exim-lmtp', 'rebound_lmtp'));
  });

  it('rebound_lmtp_tcp: LMTP over TCP', async () => {
    writeFileSync(cfgFile, `${baseConfig}[intake.lmtp]\nenabled = true\nport = ${lmtpPort}\n`);
    await restart();
    const e = await startWith('rebound_lmtp_tcp');
    const a = await sendBouncing(e.port, 'exim-lmtp-tcp');
    await invalidSoon(a, mta());
    await logLine(() => e.log(), delivered('exim-lmtp-tcp', 'rebound_lmtp_tcp'));
  });

  it('rebound_pipe: delivered; with the database unwritable deferred (75 is a temp_error), then delivered by a queue run', async () => {
    const e = await startWith('rebound_pipe');
    const a = await sendBouncing(e.port, 'exim-pipe');
    await invalidSoon(a, mta());
    await logLine(() => e.log(), delivered('exim-pipe', 'rebound_pipe'));
    const db = join(inst.root, 'var/lib/rebound/rebound.db');
    chmodSync(db, 0o440);
    try {
      const b = await sendBouncing(e.port, 'exim-readonly');
      const line = await logLine(() => e.log(), /exim-readonly=example\.net.*T=rebound_pipe defer/, /exim-readonly=example\.net.*(\*\*|failed)/);
      expect(line).toMatch(/returned 75/);
      expect(check(b).code).toBe(0);
      chmodSync(db, 0o640);
      await invalidSoon(b, mta());
      await logLine(() => e.log(), delivered('exim-readonly', 'rebound_pipe'));
    } finally {
      chmodSync(db, 0o640);
    }
  });
});
});
