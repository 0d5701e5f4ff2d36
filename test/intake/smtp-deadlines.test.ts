/**
 * Issue 16 on the SMTP/LMTP listener, over real sockets: deadlines for a whole command and for DATA
 * (slow senders cannot hold the slots), a full listener admitting a real sender, refused RCPTs
 * counted towards an error limit, EHLO names with unprintable characters refused, and SMTP and LMTP
 * listeners capped apart.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSmtpIntake, GroupCommitter, type IntakeLimits, type IntakeStore, type SmtpIntake, type SmtpIntakeOptions } from '../../src/intake/smtp.js';
import type { Envelope } from '../../src/types.js';
import { setLogLevel } from '../../src/log.js';
import { Wire } from '../support/smtp-wire.js';

setLogLevel('silent');

class MemStore implements IntakeStore {
  saved: { env: Envelope; raw: Buffer }[] = [];
  saveMessages(items: { env: Envelope; raw: Buffer }[]) {
    return items.map((it) => {
      this.saved.push(it);
      return { id: this.saved.length, duplicate: false };
    });
  }
}

const verp = { domains: ['bounces.test'], prefix: 'b', delimiter: '+', equals: '=', keys: [], maxAgeDays: 30 };
const base: IntakeLimits = { hostname: 'mx.test', maxClients: 100, maxMessageBytes: 1 << 20, socketTimeoutMs: 60_000, tls: {}, closeTimeoutMs: 1000 };
const RCPT = 'b+u=x.test@bounces.test';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const intakes: SmtpIntake[] = [];
const wires: Wire[] = [];
afterEach(async () => {
  for (const w of wires.splice(0)) w.sock.destroy();
  for (const i of intakes.splice(0)) await i.stop();
});

async function start(store: IntakeStore, limits: Partial<IntakeLimits>, over: Partial<SmtpIntakeOptions> = {}): Promise<{ port: number }> {
  const intake = createSmtpIntake(
    { protocol: 'smtp', listen: { host: '127.0.0.1', port: 0 }, limits: { ...base, ...limits }, verp, ...over },
    { committer: new GroupCommitter(store) },
  );
  intakes.push(intake);
  await intake.start();
  const a = intake.address();
  if (!('port' in a)) throw new Error('expected TCP');
  return { port: a.port };
}

async function open(target: { port: number }): Promise<Wire> {
  const w = await Wire.open(target);
  wires.push(w);
  return w;
}

/** A whole delivery; returns every reply. */
async function deliver(w: Wire, helo = 'EHLO real.test'): Promise<string[]> {
  const out = [await w.cmd(helo), await w.cmd('MAIL FROM:<>'), await w.cmd(`RCPT TO:<${RCPT}>`), await w.cmd('DATA')];
  if (out[3]!.startsWith('354')) out.push(await w.cmd('Subject: bounce\r\n\r\nreal\r\n.'));
  return out;
}

/** EHLO, MAIL, RCPT, DATA: the 354. */
async function toData(w: Wire, helo = 'EHLO real.test'): Promise<string> {
  for (const c of [helo, 'MAIL FROM:<>', `RCPT TO:<${RCPT}>`]) expect(await w.cmd(c)).toMatch(/^250/);
  return w.cmd('DATA');
}

/** Write `text` one byte every `everyMs` until the socket closes or the text is out. */
function trickle(w: Wire, text: string, everyMs: number): void {
  let i = 0;
  const t = setInterval(() => {
    if (w.closed || i >= text.length) return clearInterval(t);
    w.sock.write(text[i++]!);
  }, everyMs);
  t.unref();
}

describe('SMTP deadlines (issue 16, finding 3)', () => {
  it('100 senders trickling a byte every 2 s hold no slot past commandTimeoutMs, and a real delivery is served while they trickle', async () => {
    const store = new MemStore();
    const target = await start(store, { commandTimeoutMs: 4000 });
    const slow: Wire[] = [];
    for (let i = 0; i < 100; i++) {
      const w = await open(target);
      slow.push(w);
    }
    for (const w of slow) expect(await w.reply()).toMatch(/^220/);
    // 60 never finish their EHLO; 40 get to DATA and then trickle the message.
    for (const w of slow.slice(0, 60)) trickle(w, 'EHLO slow.example\r\n', 2000);
    for (const w of slow.slice(60)) {
      expect(await toData(w, 'EHLO slowdata.test')).toMatch(/^354/);
      trickle(w, 'Subject: slow\r\n\r\nvery slow\r\n.\r\n', 2000);
    }
    await sleep(1500);
    const t0 = Date.now();
    // Every slot is held: the real sender is let in by closing the most stalled session.
    const real = await open(target);
    expect(await real.reply()).toMatch(/^220 mx\.test/);
    const replies = await deliver(real);
    expect(replies.at(-1)).toMatch(/^250 2\.0\.0 Ok: stored as 1$/);
    expect(Date.now() - t0).toBeLessThan(3000);
    // The tricklers: each hears 421 4.4.2 and is closed once its 4 s are up, not minutes later.
    const closedBy = Date.now() + 10_000;
    for (const w of slow) {
      while (!w.closed && Date.now() < closedBy) await sleep(100);
      expect(w.closed).toBe(true);
      expect(w.rest()).toMatch(/421 4\.4\.2 mx\.test Error: timeout exceeded/);
    }
    expect(store.saved.map((s) => s.raw.toString())).toEqual(['Subject: bounce\r\n\r\nreal\r\n']);
  }, 30_000);
});

describe('SMTP DATA rate (issue 16, finding 3)', () => {
  it('a message arriving at 2 KB/s for longer than commandTimeoutMs is stored; one at 50 B/s is cut with 421 4.4.2', async () => {
    const store = new MemStore();
    const target = await start(store, { commandTimeoutMs: 1500, minDataRate: 500 });
    const fast = await open(target);
    const slow = await open(target);
    await fast.reply();
    await slow.reply();
    expect(await toData(fast)).toMatch(/^354/);
    expect(await toData(slow)).toMatch(/^354/);
    const body = `Subject: steady\r\n\r\n${'x'.repeat(70)}\r\n`.repeat(80); // about 7 KB
    const t0 = Date.now();
    let sent = 0;
    while (sent < body.length && !slow.closed) {
      fast.sock.write(body.slice(sent, sent + 200)); // 200 bytes every 100 ms: 2 KB/s
      slow.sock.write('y'.repeat(5)); // 50 B/s, a tenth of minDataRate
      sent += 200;
      await sleep(100);
    }
    while (sent < body.length) {
      fast.sock.write(body.slice(sent, sent + 200));
      sent += 200;
      await sleep(100);
    }
    expect(Date.now() - t0).toBeGreaterThan(3000); // twice the command allowance: the rate kept it going
    expect(await fast.cmd('.')).toMatch(/^250 2\.0\.0 Ok: stored as 1$/);
    expect(await slow.reply()).toMatch(/^421 4\.4\.2 mx\.test Error: timeout exceeded$/);
    expect(store.saved).toHaveLength(1);
    expect(store.saved[0]!.raw.toString()).toBe(body);
  }, 30_000);

  it('a command line trickled past commandTimeoutMs gets 421 4.4.2, though no pause is longer than the idle timeout', async () => {
    const store = new MemStore();
    const target = await start(store, { commandTimeoutMs: 1500, socketTimeoutMs: 5000 });
    const w = await open(target);
    await w.reply();
    const t0 = Date.now();
    trickle(w, 'EHLO trickle.example.com\r\n', 300);
    expect(await w.reply()).toBe('421 4.4.2 mx.test Error: timeout exceeded');
    expect(Date.now() - t0).toBeLessThan(4500);
    await sleep(100);
    expect(w.closed).toBe(true);
  });
});

describe('SMTP error limit (issue 16, finding 8)', () => {
  it('refused RCPTs count: at hardErrorLimit the next command gets 421 4.7.0 and the session closes', async () => {
    const store = new MemStore();
    const target = await start(store, { hardErrorLimit: 3 });
    const w = await open(target);
    await w.reply();
    await w.cmd('EHLO c.test');
    await w.cmd('MAIL FROM:<>');
    for (let i = 0; i < 3; i++) expect(await w.cmd(`RCPT TO:<user${i}@elsewhere.example>`)).toMatch(/^550 5\.1\.1/);
    expect(await w.cmd(`RCPT TO:<${RCPT}>`)).toBe('421 4.7.0 mx.test Error: too many errors');
    await sleep(100);
    expect(w.closed).toBe(true);
    expect(store.saved).toHaveLength(0);
  });

  it('the count restarts after a stored message, and the limit applies to LMTP too', async () => {
    const store = new MemStore();
    const target = await start(store, { hardErrorLimit: 3 }, { protocol: 'lmtp' });
    const w = await open(target);
    await w.reply();
    await w.cmd('LHLO c.test');
    await w.cmd('MAIL FROM:<>');
    for (let i = 0; i < 2; i++) expect(await w.cmd(`RCPT TO:<a${i}@elsewhere.example>`)).toMatch(/^550/);
    expect(await w.cmd(`RCPT TO:<${RCPT}>`)).toMatch(/^250/);
    expect(await w.cmd('DATA')).toMatch(/^354/);
    expect(await w.cmd('Subject: x\r\n\r\nx\r\n.')).toMatch(/^250 2\.0\.0 Ok: stored as 1$/);
    await w.cmd('MAIL FROM:<>');
    for (let i = 0; i < 2; i++) expect(await w.cmd(`RCPT TO:<b${i}@elsewhere.example>`)).toMatch(/^550/);
    expect(await w.cmd(`RCPT TO:<${RCPT}>`)).toMatch(/^250/);
    expect(await w.cmd('RCPT TO:<c@elsewhere.example>')).toMatch(/^550/);
    expect(await w.cmd('RSET')).toBe('421 4.7.0 mx.test Error: too many errors');
  });
});

describe('SRS at RCPT (issue 16, finding 8)', () => {
  it('a signed return path wrapped in SRS0 at a foreign domain is refused 550 5.1.1; the same path unwrapped is taken', async () => {
    const { signReturnPath } = await import('../../src/verp/sign.js');
    const signing = { ...verp, keys: ['1:k1'], requireSignature: true };
    const rp = signReturnPath('alice@example.org', signing);
    const at = rp.lastIndexOf('@');
    const store = new MemStore();
    const target = await start(store, {}, { verp: signing });
    const w = await open(target);
    await w.reply();
    await w.cmd('EHLO fwd.example');
    await w.cmd('MAIL FROM:<>');
    expect(await w.cmd(`RCPT TO:<SRS0=HHHH=TT=${rp.slice(at + 1)}=${rp.slice(0, at)}@forwarder.example>`)).toMatch(/^550 5\.1\.1 /);
    expect(await w.cmd(`RCPT TO:<SRS0=HHHH=TT=${rp.slice(at + 1)}=${rp.slice(0, at)}@${rp.slice(at + 1)}>`)).toMatch(/^550 5\.1\.1 /);
    expect(await w.cmd(`RCPT TO:<${rp}>`)).toMatch(/^250/);
  });
});

describe('EHLO names (issue 16, finding 8)', () => {
  it('refuses a name with a control, format or separator character, or bytes that are not UTF-8, with 501 and never echoes it', async () => {
    const store = new MemStore();
    const target = await start(store, {});
    const bad: Buffer[] = [
      Buffer.from('EHLO a\x01b'),
      Buffer.from('EHLO a\x1b[31mred'),
      Buffer.from('EHLO x\u202Eevil.test', 'utf8'), // right-to-left override
      Buffer.from('EHLO x\u200By.test', 'utf8'), // zero-width space
      Buffer.from('HELO x\u2028y', 'utf8'), // line separator
      Buffer.concat([Buffer.from('EHLO a'), Buffer.from([0xff]), Buffer.from('b.test')]),
    ];
    for (const line of bad) {
      const w = await open(target);
      await w.reply();
      w.sock.write(Buffer.concat([line, Buffer.from('\r\n')]));
      const r = await w.reply();
      expect(r, line.toString('latin1')).toMatch(/^501 /);
      // Nothing the client sent comes back (the reply is read as latin1: any of its bytes would show).
      expect(r).toMatch(/^[\x20-\x7e]*$/);
      expect(r).not.toMatch(/evil|red|y\.test|b\.test/);
      // The session goes on; a good name is taken.
      expect(await w.cmd('EHLO good.test')).toMatch(/^250/);
      w.end();
    }
    const lmtp = await start(store, {}, { protocol: 'lmtp' });
    const w = await open(lmtp);
    await w.reply();
    w.sock.write(Buffer.from('LHLO x\u202Eevil.test\r\n', 'utf8'));
    expect(await w.reply()).toMatch(/^501 /);
    // A U-label with a joiner (needed by some scripts) is still a name.
    expect(await w.cmd('LHLO क्\u200Dष.example')).toMatch(/^250/);
  });
});

describe('SMTP and LMTP listeners are capped apart (issue 16, finding 4)', () => {
  it('an SMTP listener full of busy senders leaves LMTP serving, and the other way round', async () => {
    const store = new MemStore();
    const smtp = await start(store, { maxClients: 5 });
    const lmtp = await start(store, { maxClients: 5 }, { protocol: 'lmtp' });
    for (const [flooded, other, hello] of [
      [smtp, lmtp, 'LHLO real.test'],
      [lmtp, smtp, 'EHLO real.test'],
    ] as const) {
      const held: Wire[] = [];
      for (let i = 0; i < 8; i++) held.push(await open(flooded));
      const greetings = await Promise.all(held.map((w) => w.reply()));
      expect(greetings.filter((g) => g.startsWith('220'))).toHaveLength(5);
      expect(greetings.filter((g) => g.startsWith('421'))).toHaveLength(3);
      const w = await open(other);
      expect(await w.reply()).toMatch(/^220/);
      expect((await deliver(w, hello)).at(-1)).toMatch(/^250 2\.0\.0 Ok: stored/);
      for (const h of [...held, w]) h.sock.destroy();
      await sleep(200);
    }
  });
});

describe('the daemon reads the limits from its config (issue 16)', () => {
  it('intake.smtp.commandTimeoutMs and hardErrorLimit reach the SMTP listener; a keys file others can read is logged at start', async () => {
    const { mkdtempSync, rmSync, writeFileSync, chmodSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { startDaemon } = await import('../support/daemon.js');
    const { freePort } = await import('../support/net.mjs');
    const dir = mkdtempSync(join(tmpdir(), 'rebound-deadlines-'));
    const port = await freePort();
    const keys = join(dir, 'verp.keys');
    writeFileSync(keys, '1:secret\n');
    chmodSync(keys, 0o644);
    const cfg = join(dir, 'rebound.toml');
    writeFileSync(
      cfg,
      `[store]\npath = "${join(dir, 'r.db')}"\n[intake.smtp]\nport = ${port}\nhostname = "mx.test"\ncommandTimeoutMs = 1500\nhardErrorLimit = 2\n` +
        `[control]\nsocket = "${join(dir, 'c.sock')}"\nreaders = 0\n[verp]\ndomains = ["bounces.test"]\nkeysFile = "${keys}"\n[jobs.prune]\nenabled = false\n[jobs.checkpoint]\nenabled = false\n`,
    );
    chmodSync(cfg, 0o600);
    const daemon = await startDaemon(cfg);
    try {
      expect(daemon.output()).toContain(`verp.keysFile: ${keys} is readable by every user on this host (mode 0644)`);
      const slow = await open({ port });
      await slow.reply();
      const t0 = Date.now();
      trickle(slow, 'EHLO slow.example.com\r\n', 300);
      expect(await slow.reply()).toBe('421 4.4.2 mx.test Error: timeout exceeded');
      expect(Date.now() - t0).toBeLessThan(10_000);
      const w = await open({ port });
      await w.reply();
      await w.cmd('EHLO c.test');
      await w.cmd('MAIL FROM:<>');
      for (let i = 0; i < 2; i++) expect(await w.cmd(`RCPT TO:<u${i}@elsewhere.example>`)).toMatch(/^550/);
      expect(await w.cmd(`RCPT TO:<${RCPT}>`)).toBe('421 4.7.0 mx.test Error: too many errors');
    } finally {
      await daemon.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
