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
 * Needs root and Postfix; skips otherwise, except under CI.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, postfixMissing, startPostfix, type PostfixInstance } from '../support/postfix.js';
import { lines, readmeBlock } from './readme.js';
import { installFromReadme, sh, startService, type Install, type Service } from './service.js';

const missing = postfixMissing();
const skip = Boolean(missing) && !process.env.CI;
const BOUNCE_DOMAIN = 'bounces.example.com';

describe.skipIf(skip)(`README routing with a real Postfix${skip ? ` (skipped: ${missing})` : ''}`, { timeout: 180_000 }, () => {
  let inst: Install;
  let pf: PostfixInstance;
  let svc: Service | undefined;
  let cfgFile = '';
  let baseConfig = '';
  let smtpPort = 0;
  let lmtpPort = 0;
  const transports = lines(readmeBlock('postfix-transport'));
  const transport = (kind: string): string => {
    const l = transports.find((t) => t.split(/\s+/)[1]!.startsWith(kind));
    if (!l) throw new Error(`README has no transport line for ${kind}`);
    return l.replace(/\s+#.*$/, '');
  };

  /** The service user, its config and a running daemon; Postfix with lmtp chrooted and the pipe service. */
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
    svc = await startService(inst);
  }, 240_000);

  afterAll(async () => {
    await svc?.stop();
    await pf?.stop();
    inst?.remove();
  });

  const etc = (): string => join(pf.dir, 'etc');
  const restart = async (): Promise<void> => {
    expect(await svc!.stop()).toBe(0);
    svc = await startService(inst);
  };

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

  const check = (addr: string) => sh(`${join(inst.root, 'usr/bin/rebound')} check -c ${cfgFile} ${addr}`);

  /** Wait until rebound holds the address as invalid (check exits 5); the Postfix log on failure. */
  async function invalidSoon(addr: string, ms = 60_000): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      const r = check(addr);
      if (r.code === 5) return;
      if (Date.now() > deadline) throw new Error(`${addr} not invalid (check: ${r.code} ${r.out})\n${pf.log().split('\n').slice(-25).join('\n')}\n${svc?.output().slice(-2000)}`);
      pf.flush();
      await new Promise((res) => setTimeout(res, 500));
    }
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
    await invalidSoon(a);
    expect(sentVia(a, /relay=127\.0\.0\.1\[127\.0\.0\.1\]/)).toBe(true);
  });

  it('LMTP over TCP: lmtp:inet:127.0.0.1:2424 with [intake.lmtp] enabled = true', async () => {
    writeFileSync(cfgFile, `${baseConfig}[intake.lmtp]\nenabled = true\nport = ${lmtpPort}\n`);
    await restart();
    route(transport('lmtp:inet:').replace(':2424', `:${lmtpPort}`));
    const a = sendBouncing('via-lmtp-tcp');
    await invalidSoon(a);
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
    await invalidSoon(a);
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
    await invalidSoon(a);
    expect(sentVia(a, /relay=.*\[rebound\/lmtp\.sock\]/)).toBe(true);
  });

  it('the pipe transport: rebound: with the README master.cf lines', async () => {
    route(transport('rebound:'));
    const a = sendBouncing('via-pipe');
    await invalidSoon(a);
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
      await invalidSoon(a);
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
