/**
 * Internationalized addresses end to end (issue 19), with a REAL Postfix (smtputf8_enable = yes)
 * and a REAL Dovecot on loopback. Postfix relays mail for UTF-8 recipients to a fake remote MX
 * (smtp-server in this process) that refuses them for "user unknown" or a spam block, and to a
 * second one that does not offer SMTPUTF8. The bounces Postfix writes come back three ways:
 *   SMTP  - signed VERP return paths (rebound verp sign), to the daemon's SMTP listener;
 *   LMTP  - Postfix's own XVERP (plain form, raw UTF-8), to the daemon's LMTP socket;
 *   IMAP  - plain VERP (rebound's encodeVerp), delivered by Postfix's virtual(8) into the Maildir
 *           of a Dovecot user (raw UTF-8 Delivered-To / X-Original-To), read by `rebound poll`.
 * Every address must end in the same, correct state on all three paths, with no garbled twin in
 * the store; lookups over the status socket and through `postmap -q` (socketmap) in U-label and
 * A-label spellings must agree, and Postfix's own smtpd must refuse the invalid recipients.
 * Skips without postfix/dovecot or root, except under CI (then it fails: .ci/run installs them).
 */
import Database from 'better-sqlite3';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asciiDomain, normaliseAddress, splitMailbox } from '../../src/address/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { signReturnPath } from '../../src/verp/sign.js';
import { encodeVerp } from '../../src/verp/verp.js';
import { dovecotMissing, startDovecot, type Dovecot } from '../support/dovecot.js';
import { LineClient } from '../support/line-client.js';
import { freePort, postfixMissing, startPostfix, type PostfixInstance } from '../support/postfix.js';
import { Wire } from '../support/smtp-wire.js';

const missing = postfixMissing() || dovecotMissing();
const skip = Boolean(missing) && !process.env.CI;
const root = new URL('../..', import.meta.url).pathname;

const KEY = '5:eai end-to-end secret';
const DOMAINS = { s: 'smtp.bounces.test', l: 'lmtp.bounces.test', i: 'imap.bounces.test' } as const;
type Path = keyof typeof DOMAINS;
const PATHS: Path[] = ['s', 'l', 'i'];
const verpFor = (p: Path) => ({
  domains: [DOMAINS[p], ...Object.values(DOMAINS).filter((d) => d !== DOMAINS[p])],
  prefix: 'bounces',
  delimiter: '+',
  equals: '=',
  keys: [KEY],
  maxAgeDays: 30,
});

/** The recipients of one path, what the remote does to each, and the state that must follow. */
function recipients(p: Path) {
  return [
    // Refused by the SMTPUTF8-capable MX.
    { rcpt: `jürgen.müller-unknown-${p}@bücher.test`, want: 'invalid', reason: 'userunknown' },
    { rcpt: `用户-unknown-${p}@例子.测试`, want: 'invalid', reason: 'userunknown' },
    { rcpt: `Иван-spam-${p}@почта.рф`, want: 'suspended', reason: /blocked|spamdetected|badreputation/ },
    { rcpt: `ascii-spam-${p}@bücher.test`, want: 'suspended', reason: /blocked|spamdetected|badreputation/ },
    // Through the MX without SMTPUTF8: an ASCII local part at an IDN domain goes downgraded (sent
    // with its A-labels, ASCII return path, no SMTPUTF8) and is refused there; a UTF-8 local part
    // cannot go at all and Postfix bounces it 5.6.7 - not the address's fault, so not invalid.
    { rcpt: `ascii-unknown-${p}@bücher-legacy.test`, want: 'invalid', reason: 'userunknown', downgrade: true },
    { rcpt: `jürgen-unknown-${p}@legacy.test`, want: 'ok', reason: /./, status: '5.6.7' },
  ] as { rcpt: string; want: string; reason: string | RegExp; downgrade?: boolean; status?: string }[];
}

const REFUSE = (addr: string): [number, string] | null => {
  const local = addr.slice(0, addr.lastIndexOf('@'));
  if (local.includes('-unknown-')) return [550, `5.1.1 <${addr}>: Recipient address rejected: User unknown in virtual mailbox table`];
  if (local.includes('-spam-')) return [554, `5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/127.0.0.1`];
  return null;
};

describe.skipIf(skip)(`internationalized addresses end to end${skip ? ` (skipped: ${missing})` : ''}`, () => {
  let dir = '';
  const mxs: SMTPServer[] = [];
  let postfix: PostfixInstance | undefined;
  let dovecot: Dovecot | undefined;
  let daemon: ChildProcess | undefined;
  let daemonOut = '';
  let db = '';
  let cfg = '';
  let ctlSocket = '';
  let mapPort = 0;
  const legacySaw: string[] = [];

  beforeAll(async () => {
    if (missing) throw new Error(`CI is set but ${missing}`);
    dir = mkdtempSync(join(tmpdir(), 'rebound-eai-'));
    chmodSync(dir, 0o755);
    db = join(dir, 'rebound.db');
    ctlSocket = join(dir, 'ctl.sock');
    const lmtpSocket = join(dir, 'lmtp.sock');

    const mx = (hideSMTPUTF8: boolean, saw?: string[]) =>
      new SMTPServer({
        authOptional: true,
        disabledCommands: ['AUTH', 'STARTTLS'],
        disableReverseLookup: true,
        hideSMTPUTF8,
        logger: false,
        onRcptTo(addr, _s, cb) {
          saw?.push(addr.address);
          const r = REFUSE(addr.address);
          if (!r) return cb();
          cb(Object.assign(new Error(r[1]), { responseCode: r[0] }));
        },
        onData(stream, _s, cb) {
          stream.resume();
          stream.on('end', () => cb());
        },
      });
    const mxPort = await freePort();
    const legacyPort = await freePort();
    mxs.push(mx(false), mx(true, legacySaw));
    // Postfix drops its cached connections when it stops: not an error of the test.
    for (const m of mxs) m.on('error', () => undefined);
    await new Promise<void>((r) => mxs[0]!.listen(mxPort, '127.0.0.1', r));
    await new Promise<void>((r) => mxs[1]!.listen(legacyPort, '127.0.0.1', r));

    dovecot = await startDovecot();

    const smtpPort = await freePort();
    mapPort = await freePort();
    cfg = join(dir, 'rebound.toml');
    writeFileSync(
      cfg,
      [
        `[store]\npath = "${db}"`,
        `[intake.smtp]\nport = ${smtpPort}\nhostname = "rebound.test"`,
        `[intake.lmtp]\nenabled = true\nsocket = "${lmtpSocket}"\ngroup = "postfix"`,
        `[control]\nsocket = "${ctlSocket}"`,
        `[control.socketmap]\nenabled = true\nhost = "127.0.0.1"\nport = ${mapPort}`,
        `[verp]\ndomains = ${JSON.stringify(Object.values(DOMAINS))}\nkeys = ${JSON.stringify([KEY])}`,
        `[jobs.prune]\nenabled = false\n[jobs.checkpoint]\nenabled = false`,
        `[[imap.mailboxes]]\nname = "bounces"\nhost = "127.0.0.1"\nport = ${dovecot.port}\ntls = "none"\nuser = "${dovecot.user}"\npassword = "${dovecot.password}"\nschedule = "0 0 1 1 *"`,
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

    const maildirs = join(dovecot.dir, 'mail');
    postfix = await startPostfix({
      main: {
        smtputf8_enable: 'yes',
        relayhost: `[127.0.0.1]:${mxPort}`,
        maximal_queue_lifetime: '0',
        bounce_queue_lifetime: '0',
        relay_domains: `${DOMAINS.s}, ${DOMAINS.l}`,
        // The IMAP path: Postfix delivers the bounce domain into the Dovecot user's Maildir.
        virtual_mailbox_domains: DOMAINS.i,
        virtual_mailbox_base: maildirs,
        virtual_mailbox_maps: 'texthash:$ETC/vmailbox',
        virtual_uid_maps: 'static:65534',
        virtual_gid_maps: 'static:65534',
        virtual_minimum_uid: '100',
        // Postfix asks rebound (socketmap) before it takes a recipient.
        smtpd_recipient_restrictions: `check_recipient_access socketmap:inet:127.0.0.1:${mapPort}:suppress, permit_mynetworks, reject`,
        smtpd_relay_restrictions: 'permit_mynetworks, reject',
      },
      files: { vmailbox: `@${DOMAINS.i} ${dovecot.user}/\n` },
      master: ['virtual unix - n n - - virtual'],
      transport: [
        `${DOMAINS.s} smtp:[127.0.0.1]:${smtpPort}`,
        `${DOMAINS.l} lmtp:unix:${lmtpSocket}`,
        `legacy.test smtp:[127.0.0.1]:${legacyPort}`,
        `${asciiDomain('bücher-legacy.test')} smtp:[127.0.0.1]:${legacyPort}`,
        `bücher-legacy.test smtp:[127.0.0.1]:${legacyPort}`,
      ],
    });
  }, 240_000);

  afterAll(async () => {
    await postfix?.stop();
    if (daemon && daemon.exitCode === null) {
      daemon.kill('SIGTERM');
      await new Promise((r) => daemon!.once('exit', r));
    }
    for (const m of mxs) await new Promise<void>((r) => m.close(() => r()));
    await dovecot?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** One message from `from` to `rcpts`; SMTPUTF8 only when something in the envelope needs it. */
  async function submit(from: string, rcpts: string[], opts: { xverp?: boolean } = {}): Promise<void> {
    const utf8 = /[^\x00-\x7f]/.test(from + rcpts.join(''));
    const w = await Wire.open({ port: postfix!.port });
    try {
      expect(await w.reply()).toMatch(/^220/);
      expect(await w.cmd('EHLO sender.rebound.test')).toMatch(/^250/);
      expect(await w.cmd(`MAIL FROM:<${from}>${utf8 ? ' SMTPUTF8' : ''}${opts.xverp ? ' XVERP=+=' : ''}`)).toMatch(/^250/);
      for (const r of rcpts) expect(await w.cmd(`RCPT TO:<${r}>`), postfix!.log().slice(-2000)).toMatch(/^250/);
      expect(await w.cmd('DATA')).toMatch(/^354/);
      const msg = ['From: news@sender.rebound.test', 'To: undisclosed-recipients:;', 'Subject: Our newsletter', `Message-ID: <${Date.now()}.${Math.random()}@sender.rebound.test>`, '', 'Hello.', '.'];
      expect(await w.cmd(msg.join('\r\n'))).toMatch(/^250/);
      await w.cmd('QUIT');
    } finally {
      w.sock.destroy();
    }
  }

  /** What the sender puts in RCPT TO: the A-label spelling for a recipient sent downgraded. */
  const envelopeRcpt = (r: { rcpt: string; downgrade?: boolean }) => {
    if (!r.downgrade) return r.rcpt;
    const { local, domain } = splitMailbox(r.rcpt)!;
    return `${local}@${asciiDomain(domain)}`;
  };

  const maildirCount = () => {
    const d = join(dovecot!.dir, 'mail', dovecot!.user, 'new');
    return existsSync(d) ? readdirSync(d).length : 0;
  };

  async function waitUntil(what: string, done: () => boolean): Promise<void> {
    const deadline = Date.now() + 90_000;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n--- postfix log ---\n${postfix!.log().slice(-5000)}\n--- rebound ---\n${daemonOut.slice(-3000)}`);
      postfix!.flush();
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  const run = (cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) =>
      execFile(cmd, args, { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      ),
    );

  it('credits every UTF-8 bounce to the right address on SMTP, LMTP and IMAP, with the same state', async () => {
    // SMTP: one message per recipient, each with its own signed return path.
    for (const r of recipients('s')) await submit(signReturnPath(r.rcpt, verpFor('s')), [envelopeRcpt(r)]);
    // LMTP: Postfix makes the per-recipient return paths itself (XVERP, raw UTF-8); the
    // downgraded recipient goes in its own ASCII-only message.
    const lmtp = recipients('l');
    await submit(`bounces@${DOMAINS.l}`, lmtp.filter((r) => !r.downgrade).map(envelopeRcpt), { xverp: true });
    await submit(`bounces@${DOMAINS.l}`, lmtp.filter((r) => r.downgrade).map(envelopeRcpt), { xverp: true });
    // IMAP: plain VERP made by rebound, bounces delivered into the Maildir.
    for (const r of recipients('i')) await submit(encodeVerp(r.rcpt, verpFor('i')), [envelopeRcpt(r)]);

    // The downgraded recipients reached the MX that has no SMTPUTF8 (smtp-server shows their
    // A-labels as U-labels), which refused them itself; the UTF-8 local parts never got there.
    await waitUntil('the legacy MX', () => legacySaw.filter((a) => a.startsWith('ascii-unknown-')).length === 3);
    expect(legacySaw.map(normaliseAddress).sort()).toEqual(PATHS.map((p) => `ascii-unknown-${p}@bücher-legacy.test`).sort());
    await waitUntil('the IMAP bounces in the Maildir', () => maildirCount() >= recipients('i').length);
    const polled = await run(process.execPath, [join(root, 'dist/main.js'), 'poll', '-c', cfg, '--json']);
    expect(polled.code, polled.stderr + polled.stdout).toBe(0);

    const all = PATHS.flatMap((p) => recipients(p).map((r) => ({ ...r, path: p, address: normaliseAddress(r.rcpt) })));
    const open = () => openStore({ path: db, readonly: true });
    await waitUntil('events for every recipient', () => {
      const s = open();
      try {
        return all.every((r) => s.history(r.address).some((e) => e.kind === 'event')) && s.stats().messages.pending === 0;
      } finally {
        s.close();
      }
    });

    const s: Store = open();
    try {
      const states: Record<string, Record<string, string>> = {};
      for (const r of all) {
        const ev = s.history(r.address).find((e) => e.kind === 'event')!;
        const got = s.mayISend(r.address).verdict;
        expect({ rcpt: r.rcpt, path: r.path, verdict: got, reason: ev.reason, status: ev.status }).toMatchObject({ verdict: r.want });
        if (typeof r.reason === 'string') expect(ev.reason, r.rcpt).toBe(r.reason);
        else expect(ev.reason, r.rcpt).toMatch(r.reason);
        if (r.status) expect(ev.status, r.rcpt).toBe(r.status);
        const kind = r.rcpt.replace(/-[sli]@/, '@');
        (states[kind] ??= {})[r.path] = got;
      }
      // The same state for each address on all three paths.
      for (const [kind, byPath] of Object.entries(states)) expect({ kind, ...byPath }).toEqual({ kind, s: byPath.s, l: byPath.s, i: byPath.s });
      // No garbled twin anywhere: the store knows exactly these addresses, all in normal form.
      const known = [...s.exportAddresses()].map((a) => a.address).sort();
      expect(known).toEqual(all.map((r) => r.address).sort());
      expect(known.join(' ')).not.toMatch(/Ã|ã¼|\uFFFD/);

      // The messages came in on the three paths.
      const sources = new Set(all.map((r) => s.getMessage(s.history(r.address).find((e) => e.kind === 'event')!.messageId!)!.env.source));
      expect([...sources].sort()).toEqual(['imap', 'lmtp', 'smtp']);
    } finally {
      s.close();
    }

    // Lookups: status socket and postmap -q (socketmap), U-label and A-label spellings agree.
    const ctl = new LineClient(ctlSocket);
    try {
      for (const r of all) {
        const { local, domain } = splitMailbox(r.rcpt)!;
        const spellings = [r.rcpt, `${local}@${asciiDomain(domain)}`, `${local.toUpperCase()}@${asciiDomain(domain).toUpperCase()}`];
        const answers: string[] = [];
        for (const a of spellings) {
          const c = await ctl.ask(`check ${a}`);
          expect(c.ok, JSON.stringify(c)).toBe(true);
          const pm = await run('/usr/sbin/postmap', ['-c', postfix!.etc, '-q', a, `socketmap:inet:127.0.0.1:${mapPort}:suppress`]);
          answers.push(`${c.verdict as string} | ${pm.stdout.trim() || `(none, exit ${pm.code})`}`);
        }
        const want = r.want === 'invalid' ? 'invalid | REJECT 5.7.1 Recipient suppressed (Email Invalid)' : r.want === 'suspended' ? /^suspended \| DEFER_IF_PERMIT 4\.7\.1 Recipient suspended until / : 'ok | (none, exit 1)';
        for (const got of answers) {
          if (typeof want === 'string') expect({ rcpt: r.rcpt, got }).toEqual({ rcpt: r.rcpt, got: want });
          else expect(got, r.rcpt).toMatch(want);
        }
        expect(new Set(answers).size, `${r.rcpt}: ${answers.join(' / ')}`).toBe(1);
      }
    } finally {
      ctl.close();
    }

    // Postfix's own smtpd asks the socketmap (it case-folds the key first) and refuses the invalid ones.
    const w = await Wire.open({ port: postfix!.port });
    try {
      await w.reply();
      await w.cmd('EHLO app.rebound.test');
      expect(await w.cmd('MAIL FROM:<app@sender.rebound.test> SMTPUTF8')).toMatch(/^250/);
      expect(await w.cmd('RCPT TO:<JÜRGEN.MÜLLER-UNKNOWN-S@BÜCHER.TEST>')).toMatch(/^55[04] 5\.7\.1 .*Recipient suppressed \(Email Invalid\)/);
      expect(await w.cmd(`RCPT TO:<用户-unknown-i@${asciiDomain('例子.测试')}>`)).toMatch(/^55[04] 5\.7\.1 .*Recipient suppressed/);
      expect(await w.cmd('RCPT TO:<jürgen-unknown-l@legacy.test>')).toMatch(/^250/);
      await w.cmd('QUIT');
    } finally {
      w.sock.destroy();
    }
  }, 240_000);

  // The DSN reader reads message/global-delivery-status by the address-text rule, line by line
  // (src/parse/message.ts with src/address/text.ts fieldsText): Postfix backslash-quotes the bytes
  // of a UTF-8 return path in X-Postfix-Sender, which no longer spoils the recipients' lines.
  it('keeps the report spelling of every address readable (events.raw_address)', () => {
    const raw = new Database(db, { readonly: true });
    try {
      const rows = raw.prepare('SELECT address, raw_address FROM events ORDER BY id').all() as { address: string; raw_address: string }[];
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.filter((r) => normaliseAddress(r.raw_address) !== r.address)).toEqual([]);
    } finally {
      raw.close();
    }
  });
});
