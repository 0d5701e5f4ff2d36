import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSmtpIntake, GroupCommitter, MAX_COMMAND_LINE, type IntakeStore, type SmtpIntake, type SmtpIntakeOptions } from '../../src/intake/smtp.js';
import { openStore } from '../../src/store/index.js';
import { signReturnPath } from '../../src/verp/sign.js';
import { DaemonError } from '../../src/errors.js';
import type { Envelope } from '../../src/types.js';
import { setLogLevel } from '../../src/log.js';
import { Wire } from '../support/smtp-wire.js';

setLogLevel('silent');

/** A store that keeps messages in memory and records the order of commits. */
class MemStore implements IntakeStore {
  saved: { env: Envelope; raw: Buffer }[] = [];
  batches: number[] = [];
  fail: Error | null = null;
  saveMessages(items: { env: Envelope; raw: Buffer }[]) {
    if (this.fail) throw this.fail;
    this.batches.push(items.length);
    return items.map((it) => {
      this.saved.push(it);
      return { id: this.saved.length, duplicate: false };
    });
  }
}

const verp = { domains: ['bounces.test'], prefix: 'b', delimiter: '+', equals: '=', keys: ['1:k1'], maxAgeDays: 30 };
const limits = { hostname: 'mx.test', maxClients: 50, maxMessageBytes: 4096, socketTimeoutMs: 5000, tls: {}, closeTimeoutMs: 2000 };

let intake: SmtpIntake | null = null;
const dirs: string[] = [];
afterEach(async () => {
  await intake?.stop();
  intake = null;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function start(store: IntakeStore, over: Partial<SmtpIntakeOptions> = {}): Promise<{ port: number } | { path: string }> {
  const committer = new GroupCommitter(store);
  intake = createSmtpIntake({ protocol: 'smtp', listen: { host: '127.0.0.1', port: 0 }, limits, verp, ...over }, { committer });
  await intake.start();
  const a = intake.address();
  return 'socket' in a ? { path: a.socket } : { port: a.port };
}

const body = 'From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered Mail\r\n\r\nhello\r\n.';

async function session(w: Wire, rcpts: string[], data = body, helo = 'EHLO client.test'): Promise<string[]> {
  const out = [await w.reply(), await w.cmd(helo), await w.cmd('MAIL FROM:<>')];
  for (const r of rcpts) out.push(await w.cmd(`RCPT TO:<${r}>`));
  return out;
}

describe('SMTP intake', () => {
  it('refuses a non-bounce domain at RCPT with 550 5.1.1 and stores nothing', async () => {
    const store = new MemStore();
    const w = await Wire.open(await start(store));
    const r = await session(w, ['alice@example.com', 'b+alice=example.com@other.test']);
    expect(r[3]).toMatch(/^550 5\.1\.1 /);
    expect(r[4]).toMatch(/^550 5\.1\.1 /);
    // RFC 5321 3.3 allows 503 or 554 here; smtp-server says 503.
    expect(await w.cmd('DATA')).toMatch(/^503 /);
    w.end();
    expect(store.saved).toHaveLength(0);
  });

  it('refuses a recipient whose bytes are not UTF-8 (553 5.1.3) instead of storing a garbled return path', async () => {
    const store = new MemStore();
    const w = await Wire.open(await start(store));
    await session(w, []);
    // Latin-1 0xFC for the u-umlaut: not UTF-8; the same address in UTF-8 is accepted.
    w.sock.write(Buffer.from('RCPT TO:<b+j\xfcrgen=example.org@bounces.test>\r\n', 'latin1'));
    expect(await w.reply()).toMatch(/^553 5\.1\.3 /);
    w.sock.write(Buffer.from('RCPT TO:<b+j\u00fcrgen=example.org@bounces.test>\r\n', 'utf8'));
    expect(await w.reply()).toMatch(/^250 /);
    expect(await w.cmd('DATA')).toMatch(/^354 /);
    expect(await w.cmd(body)).toMatch(/^250 /);
    w.end();
    expect(store.saved.map((m) => m.env.rcptTo)).toEqual([['b+j\u00fcrgen=example.org@bounces.test']]);
  });

  it('refuses a bad signature with 550 5.7.1 when signatures are required', async () => {
    const store = new MemStore();
    const w = await Wire.open(await start(store, { verp: { ...verp, requireSignature: true } }));
    const good = signReturnPath('bob@example.org', verp);
    const forged = good.replace('bob=', 'eve=');
    const r = await session(w, [forged, 'b+carol=example.org@bounces.test', good]);
    expect(r[3]).toMatch(/^550 5\.7\.1 /);
    expect(r[4]).toMatch(/^550 5\.7\.1 /);
    expect(r[5]).toMatch(/^250/);
    expect(await w.cmd('DATA')).toMatch(/^354/);
    expect(await w.cmd(body)).toMatch(/^250 2\.0\.0 Ok: stored as 1/);
    w.end();
    expect(store.saved[0]!.env.rcptTo).toEqual([good]);
  });

  it('accepts a bad signature when not required (stored with its RCPT verdict: unverified, changes no state)', async () => {
    const store = new MemStore();
    const w = await Wire.open(await start(store));
    const forged = signReturnPath('bob@example.org', verp).replace('bob=', 'eve=');
    const r = await session(w, [forged]);
    expect(r[3]).toMatch(/^250/);
    await w.cmd('DATA');
    expect(await w.cmd(body)).toMatch(/^250/);
    w.end();
    expect(store.saved).toHaveLength(1);
    expect(store.saved[0]!.env.returnPaths).toEqual([{ returnPath: forged, address: 'eve@example.org', status: 'bad-signature', verified: false, mayChangeState: false }]);
  });

  it('refuses an oversize message (SIZE in MAIL and at DATA) and keeps nothing', async () => {
    const store = new MemStore();
    const w = await Wire.open(await start(store));
    await w.reply();
    expect(await w.cmd('EHLO c.test')).toMatch(/SIZE 4096/);
    expect(await w.cmd('MAIL FROM:<> SIZE=999999')).toMatch(/^552/);
    expect(await w.cmd('MAIL FROM:<>')).toMatch(/^250/);
    expect(await w.cmd('RCPT TO:<b+x=y.test@bounces.test>')).toMatch(/^250/);
    expect(await w.cmd('DATA')).toMatch(/^354/);
    expect(await w.cmd(`Subject: big\r\n\r\n${'x'.repeat(8000)}\r\n.`)).toMatch(/^552/);
    // The session stays usable after a refusal.
    expect(await w.cmd('MAIL FROM:<>')).toMatch(/^250/);
    w.end();
    expect(store.saved).toHaveLength(0);
  });

  it('keeps memory bounded while a message runs far past the limit: 64 MB into a 1 MB limit, then 552', async () => {
    // The listener runs in a child with --expose-gc, which collects every 20 ms and records the
    // largest external (Buffer) memory still alive after a collection: what the session retains.
    const script = `
      import { createSmtpIntake, GroupCommitter } from ${JSON.stringify(new URL('../../dist/intake/smtp.js', import.meta.url).href)};
      import { setLogLevel } from ${JSON.stringify(new URL('../../dist/log.js', import.meta.url).href)};
      setLogLevel('silent');
      const store = { saveMessages: (items) => items.map((_, i) => ({ id: i + 1, duplicate: false })) };
      const limits = { hostname: 'mx.test', maxClients: 5, maxMessageBytes: 1 << 20, socketTimeoutMs: 30000, tls: {} };
      const verp = ${JSON.stringify(verp)};
      const intake = createSmtpIntake({ protocol: 'smtp', listen: { host: '127.0.0.1', port: 0 }, limits, verp }, { committer: new GroupCommitter(store) });
      await intake.start();
      global.gc(); const base = process.memoryUsage().arrayBuffers; let peak = 0;
      setInterval(() => { global.gc(); peak = Math.max(peak, process.memoryUsage().arrayBuffers - base); }, 20);
      process.stdin.on('data', () => { console.log(JSON.stringify({ peak })); process.exit(0); });
      console.log(JSON.stringify({ port: intake.address().port }));
    `;
    const child = spawn(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines: string[] = [];
    let wake: (() => void) | null = null;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      lines.push(...d.split('\n').filter(Boolean));
      wake?.();
    });
    const next = async (): Promise<Record<string, number>> => {
      while (lines.length === 0) await new Promise<void>((r) => (wake = r));
      return JSON.parse(lines.shift()!) as Record<string, number>;
    };
    try {
      const { port } = await next();
      const w = await Wire.open({ port: port! });
      await session(w, ['b+big=y.test@bounces.test']);
      expect(await w.cmd('DATA')).toMatch(/^354/);
      const line = Buffer.from(`${'m'.repeat(1022)}\r\n`);
      const block = Buffer.concat(Array.from({ length: 1024 }, () => line)); // 1 MB
      for (let i = 0; i < 64; i++) if (!w.sock.write(block)) await new Promise((r) => w.sock.once('drain', r));
      expect(await w.cmd('.')).toMatch(/^552 5\.3\.4 /);
      w.end();
      child.stdin!.write('report\n');
      const { peak } = await next();
      // Measured 12-17 MB (the 1 MB kept, the rest buffers in flight between collections); with
      // every chunk kept until the end, as a listener that refuses only at the end would, 66-72 MB.
      expect(peak).toBeLessThan(32 << 20);
    } finally {
      child.kill();
    }
  }, 60_000);

  it('answers 451 4.3.0 when the commit fails, and acks nothing', async () => {
    const store = new MemStore();
    store.fail = new DaemonError('db-busy', 'database is locked');
    const w = await Wire.open(await start(store));
    await session(w, ['b+x=y.test@bounces.test']);
    await w.cmd('DATA');
    expect(await w.cmd(body)).toMatch(/^451 4\.3\.0/);
    w.end();
    expect(store.saved).toHaveLength(0);
  });

  it('gathers concurrent messages into fewer transactions (group commit), acking each', async () => {
    const store = new MemStore();
    const target = await start(store);
    const n = 30;
    // Every session reaches DATA first, then all messages end at once (as under load).
    const wires = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const w = await Wire.open(target);
        await session(w, [`b+u${i}=y.test@bounces.test`]);
        await w.cmd('DATA');
        return w;
      }),
    );
    wires.forEach((w, i) => w.sock.write(`Subject: ${i}\r\n\r\nbody ${i}\r\n.\r\n`));
    const replies = await Promise.all(
      wires.map(async (w) => {
        const r = await w.reply();
        w.end();
        return r;
      }),
    );
    expect(replies.every((r) => r.startsWith('250 '))).toBe(true);
    expect(store.saved).toHaveLength(n);
    expect(store.batches.reduce((a, b) => a + b, 0)).toBe(n);
    // The sessions finish DATA together, so several share a transaction.
    expect(store.batches.length).toBeLessThan(n);
  });

  it("greets after smtp-server's early-talker pause, only once; a client that talks first gets 421", async () => {
    const store = new MemStore();
    const target = await start(store);
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const w = await Wire.open(target);
      expect(await w.reply()).toMatch(/^220 mx\.test ESMTP/);
      // smtp-server holds every greeting ~100 ms (not configurable); timers may fire a little early.
      expect(performance.now() - t0).toBeGreaterThanOrEqual(90);
      await new Promise((r) => setTimeout(r, 150));
      expect(await w.cmd('EHLO c.test')).toMatch(/^250-/);
      expect(await w.cmd('NOOP')).toMatch(/^250 /);
      w.end();
    }
    const early = await Wire.open(target);
    early.sock.write('EHLO early.test\r\n');
    expect(await early.reply()).toMatch(/^421 .*talk too soon/);
    expect(await early.reply()).toBe(''); // closed, no greeting follows
  });

  it('survives abusive input: junk, an over-long line, early talk, and keeps serving', async () => {
    const store = new MemStore();
    const target = await start(store);
    const junk = await Wire.open(target);
    junk.sock.write(Buffer.from([0, 255, 13, 10, 1, 2, 3]));
    junk.sock.write(`${'A'.repeat(100_000)}\r\n`);
    const http = await Wire.open(target);
    await http.reply();
    expect(await http.cmd('GET / HTTP/1.1')).toMatch(/^421/);
    const w = await Wire.open(target);
    await session(w, ['b+x=y.test@bounces.test']);
    await w.cmd('DATA');
    expect(await w.cmd(body)).toMatch(/^250/);
    w.end();
    junk.end();
    expect(store.saved).toHaveLength(1);
  });
});

describe('SMTP intake, international bounce domains', () => {
  it('a bounce domain configured in its A-label form takes RCPTs in that form and stores them so (smtp-server hands over the Unicode form)', async () => {
    const store = new MemStore();
    const w = await Wire.open(await start(store, { verp: { ...verp, domains: ['xn--bcher-kva.test'] } }));
    const r = await session(w, ['b+x=y.test@xn--bcher-kva.test', 'b+x=y.test@elsewhere.test']);
    expect(r[3]).toBe('250 Accepted');
    expect(r[4]).toMatch(/^550 5\.1\.1 /);
    await w.cmd('DATA');
    expect(await w.cmd(body)).toMatch(/^250 2\.0\.0 Ok: stored as 1/);
    w.end();
    expect(store.saved[0]!.env.rcptTo).toEqual(['b+x=y.test@xn--bcher-kva.test']);
  });

  it('a bounce domain configured in Unicode takes RCPTs in either form', async () => {
    const store = new MemStore();
    const w = await Wire.open(await start(store, { verp: { ...verp, domains: ['bücher.test'] } }));
    await w.reply();
    await w.cmd('EHLO c.test');
    expect(await w.cmd('MAIL FROM:<> SMTPUTF8')).toMatch(/^250/);
    w.sock.write(Buffer.from('RCPT TO:<b+x=y.test@bücher.test>\r\n', 'utf8'));
    expect(await w.reply()).toBe('250 Accepted');
    expect(await w.cmd('RCPT TO:<b+z=y.test@xn--bcher-kva.test>')).toBe('250 Accepted');
    await w.cmd('DATA');
    expect(await w.cmd(body)).toMatch(/^250/);
    w.end();
    expect(store.saved[0]!.env.rcptTo).toEqual(['b+x=y.test@bücher.test', 'b+z=y.test@bücher.test']);
  });
});

describe('LMTP intake', () => {
  it('answers per recipient over TCP too', async () => {
    const store = new MemStore();
    const w = await Wire.open(await start(store, { protocol: 'lmtp' }));
    expect(await w.reply()).toMatch(/^220 .*LMTP/);
    expect(await w.cmd('LHLO c.test')).toMatch(/^250/);
    await w.cmd('MAIL FROM:<>');
    expect(await w.cmd('RCPT TO:<b+a=x.test@bounces.test>')).toMatch(/^250/);
    expect(await w.cmd('RCPT TO:<b+b=x.test@bounces.test>')).toMatch(/^250/);
    await w.cmd('DATA');
    w.sock.write(`${body}\r\n`);
    expect([await w.reply(), await w.reply()]).toEqual(['250 2.0.0 Ok: stored as 1', '250 2.0.0 Ok: stored as 1']);
    w.end();
    expect(store.saved).toHaveLength(1);
  });

  it('gives one reply per recipient after the commit, over a Unix socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rebound-lmtp-'));
    dirs.push(dir);
    const store = new MemStore();
    const target = await start(store, { protocol: 'lmtp', listen: { host: '127.0.0.1', port: 0, socket: join(dir, 'lmtp.sock') } });
    const w = await Wire.open(target);
    expect(await w.reply()).toMatch(/LMTP/);
    expect(await w.cmd('EHLO c.test')).toMatch(/^5/); // LMTP wants LHLO
    expect(await w.cmd('LHLO c.test')).toMatch(/^250/);
    expect(await w.cmd('MAIL FROM:<>')).toMatch(/^250/);
    expect(await w.cmd('RCPT TO:<b+a=x.test@bounces.test>')).toMatch(/^250/);
    expect(await w.cmd('RCPT TO:<nobody@x.test>')).toMatch(/^550 5\.1\.1/);
    expect(await w.cmd('RCPT TO:<b+c=x.test@bounces.test>')).toMatch(/^250/);
    expect(await w.cmd('DATA')).toMatch(/^354/);
    w.sock.write(`${body}\r\n`);
    const r1 = await w.reply();
    const r2 = await w.reply();
    expect([r1, r2]).toEqual(['250 2.0.0 Ok: stored as 1', '250 2.0.0 Ok: stored as 1']);
    w.end();
    expect(store.saved[0]!.env).toMatchObject({ source: 'lmtp', mailFrom: '', rcptTo: ['b+a=x.test@bounces.test', 'b+c=x.test@bounces.test'] });
    // A second listener on the same live socket is refused instead of stealing it.
    const again = createSmtpIntake(
      { protocol: 'lmtp', listen: { host: '127.0.0.1', port: 0, socket: join(dir, 'lmtp.sock') }, limits, verp },
      { committer: new GroupCommitter(new MemStore()) },
    );
    await expect(again.start()).rejects.toThrow(/in use by another process/);
  });
});

describe('SMTP intake limits', () => {
  it('refuses sessions over maxClients with 421 and serves again once they leave', async () => {
    const store = new MemStore();
    const target = await start(store, { limits: { ...limits, maxClients: 2 } });
    const a = await Wire.open(target);
    const b = await Wire.open(target);
    expect(await a.reply()).toMatch(/^220/);
    expect(await b.reply()).toMatch(/^220/);
    const c = await Wire.open(target);
    expect(await c.reply()).toMatch(/^421/);
    a.end();
    b.end();
    await new Promise((r) => setTimeout(r, 200));
    const d = await Wire.open(target);
    expect(await d.reply()).toMatch(/^220/);
    expect(intake!.connections()).toBe(1);
    d.end();
  });

  it('caps recipients per transaction (452 after MAX_RECIPIENTS)', async () => {
    const { MAX_RECIPIENTS } = await import('../../src/intake/smtp.js');
    const store = new MemStore();
    const w = await Wire.open(await start(store));
    await w.reply();
    await w.cmd('EHLO c.test');
    await w.cmd('MAIL FROM:<>');
    // Pipelined: send every RCPT at once, then read the replies.
    w.sock.write(Array.from({ length: MAX_RECIPIENTS + 1 }, (_, i) => `RCPT TO:<b+u${i}=y.test@bounces.test>\r\n`).join(''));
    const replies: string[] = [];
    for (let i = 0; i <= MAX_RECIPIENTS; i++) replies.push(await w.reply());
    expect(replies.slice(0, MAX_RECIPIENTS).every((r) => r.startsWith('250'))).toBe(true);
    expect(replies[MAX_RECIPIENTS]).toMatch(/^452/);
    w.end();
  });

  it('closes an idle session after socketTimeoutMs', async () => {
    const store = new MemStore();
    const target = await start(store, { limits: { ...limits, socketTimeoutMs: 1000 } });
    const w = await Wire.open(target);
    await w.reply();
    const t0 = Date.now();
    const r = await w.reply(); // the server speaks first: 421 timeout, then closes
    expect(r).toMatch(/^421/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it.skipIf(!existsSync('/usr/bin/openssl'))('offers STARTTLS only with a cert and key, and accepts mail over it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rebound-tls-'));
    dirs.push(dir);
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync('/usr/bin/openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    const store = new MemStore();
    const target = (await start(store, { limits: { ...limits, tls: { cert, key } } })) as { port: number };
    const w = await Wire.open(target);
    await w.reply();
    expect(await w.cmd('EHLO c.test')).toMatch(/STARTTLS/);
    expect(await w.cmd('STARTTLS')).toMatch(/^220/);
    const secure = tlsConnect({ socket: w.sock, rejectUnauthorized: false });
    await new Promise<void>((r) => secure.once('secureConnect', () => r()));
    const t = new Wire(secure as unknown as import('node:net').Socket);
    expect(await t.cmd('EHLO c.test')).toMatch(/^250/);
    await t.cmd('MAIL FROM:<>');
    expect(await t.cmd('RCPT TO:<b+x=y.test@bounces.test>')).toMatch(/^250/);
    await t.cmd('DATA');
    expect(await t.cmd(body)).toMatch(/^250/);
    secure.end();
    expect(store.saved).toHaveLength(1);
    // Without cert/key it is not offered.
    await intake!.stop();
    const plain = await Wire.open(await start(new MemStore()));
    await plain.reply();
    expect(await plain.cmd('EHLO c.test')).not.toMatch(/STARTTLS/);
    expect(await plain.cmd('STARTTLS')).toMatch(/^5/);
    plain.end();
  });
});

describe('SMTP conversation (smtp-server as configured; docs/SMTP.md lists these replies)', () => {
  it('answers a pipelined transaction (RFC 2920) in order, and stores the content unstuffed', async () => {
    const store = new MemStore();
    const w = await Wire.open(await start(store));
    expect(await w.reply()).toMatch(/^220 mx\.test ESMTP/);
    const ehlo = await w.cmd('EHLO c.test');
    for (const ext of ['PIPELINING', '8BITMIME', 'SMTPUTF8', 'SIZE 4096']) expect(ehlo).toContain(ext);
    // Our replies carry their enhanced codes in the text; smtp-server's own would put a second one first.
    expect(ehlo).not.toMatch(/ENHANCEDSTATUSCODES|STARTTLS|AUTH/);
    w.sock.write('MAIL FROM:<> BODY=8BITMIME\r\nRCPT TO:<b+p=y.test@bounces.test>\r\nDATA\r\nSubject: p\r\n\r\n..dot line\r\nend\r\n.\r\nQUIT\r\n');
    const replies = [await w.reply(), await w.reply(), await w.reply(), await w.reply(), await w.reply()];
    expect(replies.map((r) => r.slice(0, 3))).toEqual(['250', '250', '354', '250', '221']);
    expect(replies[3]).toBe('250 2.0.0 Ok: stored as 1');
    expect(store.saved[0]!.raw.toString()).toBe('Subject: p\r\n\r\n.dot line\r\nend\r\n');
    expect(store.saved[0]!.env).toMatchObject({ source: 'smtp', mailFrom: '', rcptTo: ['b+p=y.test@bounces.test'] });
    expect(store.saved[0]!.env.origin).toMatch(/^127\.0\.0\.1:\d+ helo=c\.test$/);
  });

  it('a message that arrives one byte per write is stored once, whole, and answered after it', async () => {
    const store = new MemStore();
    const w = await Wire.open(await start(store));
    await w.reply();
    await w.cmd('EHLO c.test');
    await w.cmd('MAIL FROM:<>');
    await w.cmd('RCPT TO:<b+s=y.test@bounces.test>');
    expect(await w.cmd('DATA')).toMatch(/^354/);
    const msg = 'Subject: s\r\n\r\n..one\r\n.\r\n';
    for (const ch of msg) {
      w.sock.write(ch);
      await new Promise((r) => setImmediate(r));
    }
    expect(await w.reply()).toBe('250 2.0.0 Ok: stored as 1');
    expect(store.saved.map((m) => m.raw.toString())).toEqual(['Subject: s\r\n\r\n.one\r\n']);
    w.end();
  });

  it('ends DATA only at CRLF.CRLF: a bare-LF dot line is content (no SMTP smuggling through LF)', async () => {
    const store = new MemStore();
    const w = await Wire.open(await start(store));
    await w.reply();
    await w.cmd('EHLO c.test');
    await w.cmd('MAIL FROM:<>');
    await w.cmd('RCPT TO:<b+lf=y.test@bounces.test>');
    await w.cmd('DATA');
    w.sock.write('Subject: lf\r\n\r\none\n.\nMAIL FROM:<x@evil.test>\r\n');
    await new Promise((r) => setTimeout(r, 200));
    expect(store.saved).toHaveLength(0);
    expect(await w.cmd('.')).toBe('250 2.0.0 Ok: stored as 1');
    expect(store.saved[0]!.raw.toString()).toBe('Subject: lf\r\n\r\none\n.\nMAIL FROM:<x@evil.test>\r\n');
    w.end();
  });

  it('commands a bounce intake does not take are unknown (500): AUTH, XCLIENT, XFORWARD, WIZ, and others', async () => {
    const w = await Wire.open(await start(new MemStore()));
    await w.reply();
    await w.cmd('EHLO c.test');
    for (const c of ['AUTH PLAIN AGEAYg==', 'XCLIENT ADDR=192.0.2.1', 'XFORWARD ADDR=192.0.2.1', 'WIZ secret', 'ETRN x', 'EXPN x', 'BDAT 1 LAST'])
      expect(await w.cmd(c)).toBe('500 Error: command not recognized');
    expect(await w.cmd('HELP')).toMatch(/^214 /);
    w.end();
  });

  it('keeps commands in sequence: MAIL before HELO, RCPT before MAIL, nested MAIL, RSET, bad syntax', async () => {
    const w = await Wire.open(await start(new MemStore()));
    await w.reply();
    expect(await w.cmd('MAIL FROM:<>')).toMatch(/^503 /);
    expect(await w.cmd('HELO c.test')).toMatch(/^250 mx\.test/);
    expect(await w.cmd('RCPT TO:<b+x=y.test@bounces.test>')).toMatch(/^503 /);
    expect(await w.cmd('MAIL FROM:<>')).toMatch(/^250/);
    expect(await w.cmd('MAIL FROM:<>')).toMatch(/^503 .*nested/);
    expect(await w.cmd('DATA')).toMatch(/^503 /); // no recipient yet
    expect(await w.cmd('RSET')).toMatch(/^250/);
    expect(await w.cmd('MAIL FROM:<a@b.test> SIZE=abc')).toMatch(/^501/);
    expect(await w.cmd('MAIL FROM:<a@b.test> BODY=BINARYMIME')).toMatch(/^501 .*BODY/);
    expect(await w.cmd('MAIL FROM:a@b.test')).toBe('501 Error: Bad sender address syntax');
    expect(await w.cmd('LHLO c.test')).toBe('500 Error: command not recognized');
    expect(await w.cmd('MAIL FROM:<a@b.test>')).toMatch(/^250/);
    expect(await w.cmd('VRFY postmaster')).toMatch(/^252/);
    expect(await w.cmd('AUTH PLAIN')).toMatch(/^500/); // disabled: unknown to this server
    expect(await w.cmd('RCPT TO:<b+x=y.test@bounces.test')).toMatch(/^501 /);
    expect(await w.cmd('QUIT')).toMatch(/^221/);
  });

  it('hangs up on an over-long command line (421)', async () => {
    const w = await Wire.open(await start(new MemStore()));
    await w.reply();
    expect(await w.cmd(`EHLO ${'x'.repeat(MAX_COMMAND_LINE + 10)}`)).toMatch(/^421 .*too long/);
    expect(await w.reply()).toBe('');
    expect(w.closed).toBe(true);
  });

  it('hangs up after 10 unrecognized commands (421)', async () => {
    const w = await Wire.open(await start(new MemStore()));
    await w.reply();
    w.sock.write('BOGUS\r\n'.repeat(25));
    const replies: string[] = [];
    for (let r = await w.reply(); r !== ''; r = await w.reply()) replies.push(r);
    expect(replies.filter((r) => r.startsWith('500'))).toHaveLength(9);
    expect(replies.at(-1)).toMatch(/^421 .*too many unrecognized/);
    expect(w.closed).toBe(true);
  });

  it('a duplicate (the same bytes again) is acknowledged with the first id and stores no second row', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rebound-dup-'));
    dirs.push(dir);
    const store = openStore({ path: join(dir, 'db.sqlite') });
    try {
      const w = await Wire.open(await start(store));
      await w.reply();
      await w.cmd('EHLO c.test');
      const send = async () => {
        await w.cmd('MAIL FROM:<>');
        await w.cmd('RCPT TO:<b+d=y.test@bounces.test>');
        await w.cmd('DATA');
        return w.cmd(body);
      };
      const first = await send();
      expect(first).toMatch(/^250 2\.0\.0 Ok: stored as \d+$/);
      const id = /stored as (\d+)/.exec(first)![1];
      expect(await send()).toBe(`250 2.0.0 Ok: stored as ${id} (duplicate)`);
      w.end();
      expect(store.stats().messages.total).toBe(1);
    } finally {
      await intake?.stop();
      intake = null;
      store.close();
    }
  });

  it('stop(): an idle session hears 421 at once; one in DATA gets its 250 first, then 421', async () => {
    const store = new MemStore();
    const target = await start(store, { limits: { ...limits, closeTimeoutMs: 10_000 } });
    const idle = await Wire.open(target);
    await idle.reply();
    await idle.cmd('EHLO idle.test');
    const busy = await Wire.open(target);
    await session(busy, ['b+z=y.test@bounces.test']);
    expect(await busy.cmd('DATA')).toMatch(/^354/);
    busy.sock.write('Subject: half\r\n');
    const t0 = Date.now();
    const stopped = intake!.stop();
    expect(await idle.reply()).toMatch(/^421 4\.3\.2 /);
    busy.sock.write('\r\nbody\r\n.\r\n');
    expect(await busy.reply()).toBe('250 2.0.0 Ok: stored as 1');
    expect(await busy.reply()).toMatch(/^421 4\.3\.2 /);
    await stopped;
    intake = null;
    // Well before the 10 s close timeout: nobody was left to wait for.
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(store.saved).toHaveLength(1);
  });

  it('LMTP: a pipelined transaction gets one reply per accepted recipient after the commit', async () => {
    const store = new MemStore();
    const w = await Wire.open(await start(store, { protocol: 'lmtp' }));
    await w.reply();
    await w.cmd('LHLO c.test');
    w.sock.write('MAIL FROM:<>\r\nRCPT TO:<b+a=x.test@bounces.test>\r\nRCPT TO:<other@x.test>\r\nRCPT TO:<b+b=x.test@bounces.test>\r\nDATA\r\nSubject: l\r\n\r\nx\r\n.\r\n');
    const replies: string[] = [];
    for (let i = 0; i < 7; i++) replies.push(await w.reply());
    expect(replies.map((r) => r.slice(0, 3))).toEqual(['250', '250', '550', '250', '354', '250', '250']);
    expect(store.saved).toHaveLength(1);
    w.end();
  });

  it('LMTP: a recipient given twice was answered 250 twice, so DATA answers it twice too (RFC 2033 4.2)', async () => {
    const store = new MemStore();
    const w = await Wire.open(await start(store, { protocol: 'lmtp' }));
    await w.reply();
    await w.cmd('LHLO c.test');
    await w.cmd('MAIL FROM:<>');
    expect(await w.cmd('RCPT TO:<b+a=x.test@bounces.test>')).toMatch(/^250/);
    expect(await w.cmd('RCPT TO:<b+a=x.test@bounces.test>')).toMatch(/^250/);
    await w.cmd('DATA');
    w.sock.write('Subject: l\r\n\r\nx\r\n.\r\nNOOP\r\n');
    expect([await w.reply(), await w.reply(), await w.reply()]).toEqual(['250 2.0.0 Ok: stored as 1', '250 2.0.0 Ok: stored as 1', '250 OK']);
    expect(store.saved[0]!.env.rcptTo).toEqual(['b+a=x.test@bounces.test']);
    w.end();
  });

  it('LMTP: an oversize message and a failed commit are answered per recipient (552, 451)', async () => {
    const store = new MemStore();
    const w = await Wire.open(await start(store, { protocol: 'lmtp' }));
    await w.reply();
    await w.cmd('LHLO c.test');
    const tx = async (data: string) => {
      await w.cmd('MAIL FROM:<>');
      await w.cmd('RCPT TO:<b+a=x.test@bounces.test>');
      await w.cmd('RCPT TO:<b+b=x.test@bounces.test>');
      await w.cmd('DATA');
      w.sock.write(`${data}\r\n.\r\n`);
      return [await w.reply(), await w.reply()];
    };
    const big = await tx(`Subject: big\r\n\r\n${'y'.repeat(40_000)}`);
    expect(big.every((r) => r.startsWith('552 5.3.4 '))).toBe(true);
    store.fail = new DaemonError('db-busy', 'database is locked', { temporary: true });
    const failed = await tx('Subject: f\r\n\r\nx');
    expect(failed.every((r) => r.startsWith('451 4.3.0 '))).toBe(true);
    expect(store.saved).toHaveLength(0);
    w.end();
  });
});
