/**
 * End to end with a REAL Postfix on loopback: Postfix relays mail to a fake remote MX (smtp-server
 * in this process) that refuses each recipient its own way; Postfix writes real RFC 3464 DSNs to
 * the VERP return path; its transport map routes the bounce domains to rebound (the built daemon,
 * a child process) over SMTP (signed return paths) and over LMTP on a Unix socket (Postfix's own
 * XVERP, plain form); the test reads the resulting address states from the store. A third bounce
 * domain goes over LMTP on TCP to a listener in this process (createSmtpIntake, its own store),
 * which also gets one message for two return paths: one LMTP transaction, one reply per recipient.
 * Skips without postfix or root, except under CI (then it fails: .ci/run installs postfix).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { openStore, type Store } from '../../src/store/index.js';
import { signReturnPath } from '../../src/verp/sign.js';
import { freePort, postfixMissing, startPostfix, type PostfixInstance } from '../support/postfix.js';
import { Wire } from '../support/smtp-wire.js';
import { createSmtpIntake, GroupCommitter, type SmtpIntake } from '../../src/intake/smtp.js';
import { setLogLevel } from '../../src/log.js';

const missing = postfixMissing();
const skip = Boolean(missing) && !process.env.CI;
const root = new URL('../..', import.meta.url).pathname;

const KEY = '3:end-to-end secret';
const verp = { domains: ['smtp.bounces.test', 'lmtp.bounces.test', 'tcp.bounces.test'], prefix: 'bounces', delimiter: '+', equals: '=', keys: [KEY], maxAgeDays: 30 };

/** What the fake remote MX says to each kind of recipient (chosen by the local part's first word). */
const REFUSALS: Record<string, [number, string]> = {
  unknown: [550, '5.1.1 <{rcpt}>: Recipient address rejected: User unknown in virtual mailbox table'],
  full: [452, '4.2.2 <{rcpt}>: Mailbox full, try again later'],
  spam: [554, '5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/127.0.0.1'],
  listed: [550, '5.7.1 Message rejected because 127.0.0.1 is listed on the b.barracudacentral.org blocklist'],
};

describe.skipIf(skip)(`Postfix end to end${skip ? ` (skipped: ${missing})` : ''}`, () => {
  let dir = '';
  let mx: SMTPServer | undefined;
  let postfix: PostfixInstance | undefined;
  let daemon: ChildProcess | undefined;
  let daemonOut = '';
  let db = '';
  let lmtpSocket = '';
  let tcpStore: Store | undefined;
  let tcpLmtp: SmtpIntake | undefined;
  const delivered: string[] = [];

  beforeAll(async () => {
    if (missing) throw new Error(`CI is set but ${missing}`);
    dir = mkdtempSync(join(tmpdir(), 'rebound-e2e-'));
    // Postfix's lmtp client (user postfix) must reach the socket inside.
    chmodSync(dir, 0o755);
    db = join(dir, 'rebound.db');
    lmtpSocket = join(dir, 'lmtp.sock');

    // The fake remote MX: refuses at RCPT by local part, accepts the rest.
    const mxPort = await freePort();
    mx = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      disableReverseLookup: true,
      logger: false,
      onRcptTo(addr, _s, cb) {
        const kind = addr.address.split('@')[0]!.split('-')[1] ?? '';
        const r = REFUSALS[kind];
        if (!r) return cb();
        cb(Object.assign(new Error(r[1].replace('{rcpt}', addr.address)), { responseCode: r[0] }));
      },
      onData(stream, session, cb) {
        stream.resume();
        stream.on('end', () => {
          delivered.push(...session.envelope.rcptTo.map((x) => x.address));
          cb();
        });
      },
    });
    await new Promise<void>((r) => mx!.listen(mxPort, '127.0.0.1', r));

    // rebound: SMTP on loopback, LMTP on a Unix socket owned by group postfix.
    const smtpPort = await freePort();
    const cfg = join(dir, 'rebound.toml');
    writeFileSync(
      cfg,
      [
        `[store]\npath = "${db}"`,
        `[intake.smtp]\nport = ${smtpPort}\nhostname = "rebound.test"`,
        `[intake.lmtp]\nenabled = true\nsocket = "${lmtpSocket}"\ngroup = "postfix"`,
        `[control]\nsocket = "${join(dir, 'ctl.sock')}"`,
        `[verp]\ndomains = ${JSON.stringify(verp.domains)}\nkeys = ${JSON.stringify([KEY])}`,
        `[jobs.prune]\nenabled = false\n[jobs.checkpoint]\nenabled = false`,
      ].join('\n') + '\n',
    );
    daemon = spawn(process.execPath, [join(root, 'dist/main.js'), 'serve', '-c', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`rebound did not start: ${daemonOut}`)), 45_000);
      const onData = (d: Buffer) => {
        daemonOut += d.toString();
        if (daemonOut.includes('"msg":"ready"')) {
          clearTimeout(t);
          resolve();
        }
      };
      daemon!.stdout!.on('data', onData);
      daemon!.stderr!.on('data', onData);
      daemon!.once('exit', (code) => reject(new Error(`rebound exited ${code}: ${daemonOut}`)));
    });

    // LMTP over TCP: a listener in this process with its own store (intake only, no pipeline).
    setLogLevel('silent');
    tcpStore = openStore({ path: join(dir, 'tcp.db') });
    tcpLmtp = createSmtpIntake(
      {
        protocol: 'lmtp',
        listen: { host: '127.0.0.1', port: 0 },
        limits: { hostname: 'rebound-tcp.test', maxClients: 20, maxMessageBytes: 1_000_000, socketTimeoutMs: 30_000, tls: {} },
        verp,
      },
      { committer: new GroupCommitter(tcpStore) },
    );
    await tcpLmtp.start();
    const tcpPort = (tcpLmtp.address() as { port: number }).port;

    // Postfix: remote mail to the fake MX; the bounce domains to rebound, one per protocol.
    // maximal_queue_lifetime = 0: a 4xx is tried once, then bounced as expired (Postfix docs).
    postfix = await startPostfix({
      main: {
        relayhost: `[127.0.0.1]:${mxPort}`,
        maximal_queue_lifetime: '0',
        bounce_queue_lifetime: '0',
        relay_domains: verp.domains.join(', '),
      },
      transport: [`smtp.bounces.test smtp:[127.0.0.1]:${smtpPort}`, `lmtp.bounces.test lmtp:unix:${lmtpSocket}`, `tcp.bounces.test lmtp:inet:127.0.0.1:${tcpPort}`],
    });
  }, 240_000);

  afterAll(async () => {
    await postfix?.stop();
    if (daemon && daemon.exitCode === null) {
      daemon.kill('SIGTERM');
      await new Promise((r) => daemon!.once('exit', r));
    }
    await new Promise<void>((r) => (mx ? mx.close(() => r()) : r()));
    await tcpLmtp?.stop();
    tcpStore?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function submit(from: string, rcpts: string[], xverp = false): Promise<void> {
    const w = await Wire.open({ port: postfix!.port });
    try {
      expect(await w.reply()).toMatch(/^220/);
      expect(await w.cmd('EHLO sender.rebound.test')).toMatch(/^250/);
      expect(await w.cmd(`MAIL FROM:<${from}>${xverp ? ' XVERP=+=' : ''}`)).toMatch(/^250/);
      for (const r of rcpts) expect(await w.cmd(`RCPT TO:<${r}>`)).toMatch(/^250/);
      expect(await w.cmd('DATA')).toMatch(/^354/);
      const msg = [`From: news@sender.rebound.test`, `To: ${rcpts.join(', ')}`, 'Subject: Our newsletter', `Message-ID: <${Date.now()}.${Math.random()}@sender.rebound.test>`, '', 'Hello.', '.'];
      expect(await w.cmd(msg.join('\r\n'))).toMatch(/^250/);
      await w.cmd('QUIT');
    } finally {
      w.sock.destroy();
    }
  }

  async function waitFor(addresses: string[], store: () => Store): Promise<Map<string, ReturnType<Store['history']>>> {
    const deadline = Date.now() + 60_000;
    const seen = new Map<string, ReturnType<Store['history']>>();
    while (Date.now() < deadline) {
      const s = store();
      try {
        for (const a of addresses) {
          const h = s.history(a).filter((e) => e.kind === 'event');
          if (h.length) seen.set(a, h);
        }
        if (seen.size === addresses.length && s.stats().messages.pending === 0) return seen;
      } finally {
        s.close();
      }
      postfix!.flush();
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(
      `timed out; have events for ${[...seen.keys()].join(', ') || 'none'}\n--- postfix log ---\n${postfix!.log().slice(-4000)}\n--- rebound ---\n${daemonOut.slice(-3000)}`,
    );
  }

  it('real DSNs from Postfix reach rebound over SMTP (signed VERP) and LMTP on a Unix socket (XVERP) and set address states', async () => {
    expect((statSync(lmtpSocket).mode & 0o777).toString(8)).toBe('660');
    const kinds = Object.keys(REFUSALS);
    const viaSmtp = kinds.map((k) => `s-${k}@remote.test`);
    const viaLmtp = kinds.map((k) => `l-${k}@remote.test`);
    // SMTP route: one message per recipient, each with its own signed return path.
    for (const r of viaSmtp) await submit(signReturnPath(r, verp), [r]);
    // LMTP route: one message, Postfix makes the per-recipient VERP return paths itself.
    await submit('bounces@lmtp.bounces.test', [...viaLmtp, 'l-ok@remote.test'], true);

    const open = () => openStore({ path: db, readonly: true });
    const events = await waitFor([...viaSmtp, ...viaLmtp], open);
    expect(delivered).toContain('l-ok@remote.test');

    const s = open();
    try {
      const states = Object.fromEntries([...viaSmtp, ...viaLmtp].map((a) => [a, s.mayISend(a).verdict]));
      const reasons = Object.fromEntries([...events].map(([a, h]) => [a, `${h[0]!.reason}/${h[0]!.category}/${h[0]!.status}`]));
      for (const p of ['s', 'l']) {
        expect({ a: `${p}-unknown`, state: states[`${p}-unknown@remote.test`], why: reasons[`${p}-unknown@remote.test`] }).toMatchObject({ state: 'invalid' });
        expect({ a: `${p}-full`, state: states[`${p}-full@remote.test`], why: reasons[`${p}-full@remote.test`] }).toMatchObject({ state: 'ok' });
        expect({ a: `${p}-spam`, state: states[`${p}-spam@remote.test`], why: reasons[`${p}-spam@remote.test`] }).toMatchObject({ state: 'suspended' });
        expect({ a: `${p}-listed`, state: states[`${p}-listed@remote.test`], why: reasons[`${p}-listed@remote.test`] }).toMatchObject({ state: 'suspended' });
      }
      expect(reasons['s-unknown@remote.test']).toMatch(/^userunknown\/2\/5\.1\.1/);
      expect(reasons['s-full@remote.test']).toMatch(/^mailboxfull\/3\/4\.2\.2/);
      // The messages came in through both protocols, addressed to the VERP return paths.
      const stats = s.stats();
      expect(stats.messages.pending).toBe(0);
      const first = s.history('s-spam@remote.test')[0]!;
      const msg = s.getMessage(first.messageId!);
      expect(msg?.env.source).toBe('smtp');
      expect(msg?.env.rcptTo[0]).toMatch(/^bounces\+3\d{3}[a-z2-7]{8}\+s-spam=remote\.test@smtp\.bounces\.test$/);
      const l = s.getMessage(s.history('l-spam@remote.test')[0]!.messageId!);
      expect(l?.env).toMatchObject({ source: 'lmtp', rcptTo: ['bounces+l-spam=remote.test@lmtp.bounces.test'] });
    } finally {
      s.close();
    }
  }, 120_000);

  it('over LMTP on TCP: real DSNs arrive, and one message for two return paths is one transaction answered per recipient', async () => {
    const kinds = Object.keys(REFUSALS);
    const viaTcp = kinds.map((k) => `t-${k}@remote.test`);
    await submit('bounces@tcp.bounces.test', viaTcp, true);
    // Straight to two return paths at the bounce domain: Postfix's lmtp client sends both RCPTs in one transaction.
    const both = ['bounces+t-one=remote.test@tcp.bounces.test', 'bounces+t-two=remote.test@tcp.bounces.test'];
    await submit('someone@sender.rebound.test', both);
    const wanted = [...viaTcp.map((a) => `bounces+${a.replace('@', '=')}@tcp.bounces.test`), ...both];
    const deadline = Date.now() + 60_000;
    let got: string[][] = [];
    while (Date.now() < deadline) {
      const total = tcpStore!.stats().messages.total;
      got = Array.from({ length: total }, (_, i) => tcpStore!.getMessage(i + 1)?.env.rcptTo ?? []);
      if (wanted.every((w) => got.some((r) => r.includes(w)))) break;
      postfix!.flush();
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(got.flat().sort()).toEqual([...wanted].sort());
    // One row for the two-recipient message, with both recipients in its envelope.
    expect(got.filter((r) => r.length === 2)).toEqual([both]);
    for (let id = 1; id <= got.length; id++) expect(tcpStore!.getMessage(id)?.env.source).toBe('lmtp');
    // Postfix took each recipient's own 250 as delivered (no deferral, no retry).
    const log = postfix!.log();
    for (const b of both) expect(log).toMatch(new RegExp(`to=<${b.replace(/[+.]/g, '\\$&')}>.*relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:\\d+.*status=sent`));
    expect(log).not.toMatch(/tcp\.bounces\.test>.*status=deferred/);
  }, 120_000);
});
