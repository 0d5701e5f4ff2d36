/**
 * The status socket: every command, bad input, oversized lines, 100 concurrent clients, socket
 * permissions, stale-socket handling. Runs against a real SQLite store in a temp dir, opened
 * read-only by the control server as the daemon does.
 */
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execFile, spawnSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromObject } from '../../src/config/load.js';
import { startControl, type ControlHandle } from '../../src/control/server.js';
import { Metrics } from '../../src/metrics.js';
import { openStore } from '../../src/store/index.js';
import { LineClient } from '../support/line-client.js';

const HOUR = 3_600_000;
const dir = mkdtempSync(join(tmpdir(), 'rebound-control-'));
const dbPath = join(dir, 'rebound.db');
const sockPath = join(dir, 'rebound.sock');
const now = Date.now();
let control: ControlHandle;
const metrics = new Metrics();

const Client = LineClient;

beforeAll(async () => {
  const store = openStore({ path: dbPath, clock: () => now });
  store.importSuppressions(
    [
      { address: 'invalid@example.com', what: 'invalid', cause: '550 5.1.1 user unknown', at: now - HOUR },
      { address: 'suspended@example.com', what: 'suspended', cause: '554 5.7.1 blocked', at: now - HOUR },
      { address: 'old-suspension@example.com', what: 'suspended', cause: '421 try later', at: now - 48 * HOUR },
      { address: 'complained@example.com', what: 'complained', cause: 'abuse report', at: now - HOUR },
    ],
    'test',
  );
  store.close();
  const cfg = configFromObject({ control: { socket: sockPath, maxLineBytes: 512 } });
  control = await startControl(cfg.control, { storeOptions: { path: dbPath }, metrics, now: () => now });
});

afterAll(async () => {
  await control?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('status socket commands', () => {
  it('check answers ok, suspended (with until), invalid, complained', async () => {
    const c = new Client(sockPath);
    expect(await c.ask('check nobody@example.com')).toEqual({ ok: true, address: 'nobody@example.com', verdict: 'ok', cause: '' });
    const s = await c.ask('check Suspended@Example.COM');
    expect(s).toMatchObject({ ok: true, address: 'suspended@example.com', verdict: 'suspended', cause: '554 5.7.1 blocked' });
    expect(s.until).toBe(new Date(now + 23 * HOUR).toISOString());
    expect(await c.ask('check invalid@example.com')).toMatchObject({ verdict: 'invalid', cause: '550 5.1.1 user unknown' });
    expect(await c.ask('check complained@example.com')).toMatchObject({ verdict: 'complained' });
    // A suspension older than state.suspendHours has lapsed.
    expect(await c.ask('check old-suspension@example.com')).toMatchObject({ verdict: 'ok' });
    c.close();
  });

  it('status gives every state field', async () => {
    const c = new Client(sockPath);
    const r = await c.ask('status invalid@example.com');
    expect(r).toMatchObject({ ok: true, known: true, verdict: 'invalid', emailInvalid: true, emailSuspended: false, complained: false });
    expect(Object.keys(r)).toEqual(expect.arrayContaining(['emailInvalidAt', 'softBounces', 'softDays', 'lastBounceAt', 'events']));
    expect(await c.ask('status nobody@example.com')).toMatchObject({ ok: true, known: false, verdict: 'ok' });
    c.close();
  });

  it('history lists entries and checks N', async () => {
    const c = new Client(sockPath);
    const r = await c.ask('history invalid@example.com 5');
    expect(r).toMatchObject({ ok: true, count: 1 });
    expect((r.entries as { kind: string }[])[0]!.kind).toBe('import');
    expect(await c.ask('history invalid@example.com 0')).toEqual({ ok: false, error: 'expected N as an integer 1-1000, got "0"' });
    expect(await c.ask('history invalid@example.com lots')).toMatchObject({ ok: false });
    c.close();
  });

  it('stats, health, metrics and help answer', async () => {
    const c = new Client(sockPath);
    const st = await c.ask('stats');
    expect(st).toMatchObject({ ok: true, pending: 0, failed: 0 });
    expect((st.addresses as { invalid: number }).invalid).toBe(1);
    expect(st).toHaveProperty('messagesBySource');
    expect(st).toHaveProperty('uptimeSeconds');
    const h = await c.ask('health');
    expect(h).toMatchObject({ ok: true, healthy: true });
    expect((h.components as Record<string, { ok: boolean }>).store!.ok).toBe(true);
    const m = await c.ask('metrics');
    expect(m.metrics).toContain('# TYPE rebound_lookups_total counter');
    expect(m.metrics).toMatch(/rebound_lookups_total\{via="socket",verdict="invalid"\} \d+/);
    const help = await c.ask('HELP');
    const usages = (help.commands as { usage: string }[]).map((x) => x.usage);
    expect(usages).toEqual(['check ADDRESS', 'status ADDRESS', 'history ADDRESS [N]', 'stats', 'health', 'metrics', 'help', 'quit']);
    c.close();
  });
});

describe('bad input', () => {
  it('answers malformed requests with an error line and stays usable', async () => {
    const c = new Client(sockPath);
    expect(await c.ask('frobnicate x')).toEqual({ ok: false, error: 'unknown command "frobnicate"; try "help"' });
    expect(await c.ask('check')).toEqual({ ok: false, error: 'usage: check ADDRESS' });
    expect(await c.ask('check a@b c@d')).toEqual({ ok: false, error: 'usage: check ADDRESS' });
    expect(await c.ask('check not-an-address')).toMatchObject({ ok: false, error: expect.stringContaining('expected an address') });
    expect(await c.ask('check \u0001x@y.z')).toMatchObject({ ok: false });
    expect(await c.ask('stats extra')).toEqual({ ok: false, error: 'usage: stats' });
    // Binary garbage and CRLF line ends.
    expect(await c.ask('\u00ff\u00fe\u0000')).toMatchObject({ ok: false });
    c.sock.write('check invalid@example.com\r\n');
    expect(JSON.parse(await c.next())).toMatchObject({ verdict: 'invalid' });
    expect(await c.ask('check invalid@example.com')).toMatchObject({ verdict: 'invalid' });
    c.close();
  });

  it('answers an oversized line once, in one chunk or many, and stays usable', async () => {
    const c = new Client(sockPath);
    expect(await c.ask(`check ${'x'.repeat(600)}@example.com`)).toEqual({ ok: false, error: 'line longer than 512 bytes; ignored' });
    // The same, trickled in pieces without a newline for a while.
    for (let i = 0; i < 5; i++) c.sock.write('y'.repeat(300));
    expect(JSON.parse(await c.next())).toEqual({ ok: false, error: 'line longer than 512 bytes; ignored' });
    c.sock.write('tail of the long line\n');
    expect(await c.ask('check invalid@example.com')).toMatchObject({ verdict: 'invalid' });
    c.close();
  });

  it('answers a 1 MB line that arrives in many reads with one error (issue 16)', async () => {
    const c = new Client(sockPath);
    // 64 pieces of 16 KiB, each written after the last one was flushed and a pause, so that
    // the server reads them one by one (before: one error reply per read past the limit).
    for (let i = 0; i < 64; i++) {
      await new Promise<void>((res) => c.sock.write('z'.repeat(16 * 1024), () => res()));
      await new Promise((res) => setTimeout(res, 2));
    }
    c.sock.write('\ncheck invalid@example.com\n');
    const replies: Record<string, unknown>[] = [];
    for (;;) {
      const r = JSON.parse(await c.next()) as Record<string, unknown>;
      replies.push(r);
      if (r.verdict !== undefined) break;
    }
    expect(replies).toEqual([
      { ok: false, error: 'line longer than 512 bytes; ignored' },
      expect.objectContaining({ verdict: 'invalid' }),
    ]);
    c.close();
  });

  it('refuses what names no mailbox: a@b@c, a@. (issue 16)', async () => {
    const c = new Client(sockPath);
    for (const bad of ['a@b@c', 'a@.', 'a@b..example', 'a@b@c.example']) {
      expect(await c.ask(`check ${bad}`), bad).toMatchObject({ ok: false, error: expect.stringContaining('not an email address') });
      expect(await c.ask(`status ${bad}`), bad).toMatchObject({ ok: false });
    }
    expect(await c.ask('check "a@b"@example.com')).toMatchObject({ ok: true, verdict: 'ok' });
    c.close();
  });

  it('refuses malformed addresses by RFC 5321 syntax (address/syntax.ts), saying what is wrong (issue 16)', async () => {
    const c = new Client(sockPath);
    const bad: [string, RegExp][] = [
      ['a,b@example.com', /local part: characters outside/],
      ['a(x)@example.com', /local part: characters outside/],
      ['"a@example.com', /unbalanced quotes/],
      ['a@b_c.example', /domain: each label/],
      ['a@-b.example', /domain: each label/],
      ['a@b,c.example', /domain: each label/],
      ['x@a..', /domain: each label|not one mailbox/],
      ['a@[1.2.3]', /address literal/],
      ['a@xn--zz.example', /IDNA/],
      [`${'l'.repeat(65)}@example.com`, /64 octets/],
    ];
    for (const [a, why] of bad) {
      for (const cmd of ['check', 'status', 'history']) {
        const r = await c.ask(`${cmd} ${a}`);
        expect(r, `${cmd} ${a}`).toMatchObject({ ok: false });
        expect(String(r.error), `${cmd} ${a}`).toMatch(/^not an email address: /);
        expect(String(r.error), `${cmd} ${a}`).toMatch(why);
      }
    }
    // Still addresses: quoted local parts, IDN and A-label domains, address literals, and the
    // dotted local parts Japanese mobile carriers gave out.
    for (const a of ['"a,b"@example.com', 'jürgen@bücher.example', 'a@xn--bcher-kva.example', 'a@[192.0.2.1]', 'a@[IPv6:2001:db8::1]', 'foo.@docomo.ne.jp', 'a..b@example.com']) {
      expect(await c.ask(`check ${a}`), a).toMatchObject({ ok: true, verdict: 'ok' });
    }
    c.close();
  });

  it('refuses an address whose bytes are not UTF-8 instead of answering for its U+FFFD spelling (issue 19)', async () => {
    const c = new Client(sockPath);
    for (const cmd of ['check', 'status', 'history']) {
      // Latin-1 "jürgen": 0xFC is not UTF-8.
      c.sock.write(Buffer.concat([Buffer.from(`${cmd} j`), Buffer.from([0xfc]), Buffer.from('rgen@example.com\n')]));
      const r = JSON.parse(await c.next()) as { ok: boolean; error?: string };
      expect(r, cmd).toMatchObject({ ok: false });
      expect(String(r.error), cmd).toMatch(/not UTF-8/);
    }
    expect(await c.ask('check jürgen@example.com')).toMatchObject({ ok: true, verdict: 'ok' });
    c.close();
  });

  it('gives the same bytes for `check` whether the fast path or the command parser takes it', async () => {
    const c = new Client(sockPath);
    const addrs = [
      'Suspended@Example.COM', 'invalid@example.com', 'complained@example.com', 'nobody@example.com',
      '<invalid@example.com>', 'not-an-address', `${'l'.repeat(330)}@example.com`, 'we"ird@example.com',
    ];
    const before = metrics.lookups.totals('verdict');
    for (const a of addrs) {
      c.sock.write(`check ${a}\n`); // fast path
      const fast = await c.next();
      c.sock.write(`  CHECK\t${a} \n`); // same request through runCommand
      expect(await c.next()).toBe(fast);
    }
    const after = metrics.lookups.totals('verdict');
    // Both paths count the lookups they answered (5 valid addresses, twice each; we"ird is refused:
    // a quote inside an unquoted local part).
    const total = (t: Record<string, number>): number => Object.values(t).reduce((x, y) => x + y, 0);
    expect(total(after) - total(before)).toBe(10);
    c.close();
  });

  it('answers pipelined requests in order', async () => {
    const c = new Client(sockPath);
    c.sock.write('check invalid@example.com\ncheck nobody@example.com\nbogus\ncheck complained@example.com\n');
    const got = [await c.next(), await c.next(), await c.next(), await c.next()].map((l) => JSON.parse(l) as { verdict?: string; ok: boolean });
    expect(got.map((g) => g.verdict ?? 'error')).toEqual(['invalid', 'ok', 'error', 'complained']);
    c.close();
  });

  it('closes the connection on quit', async () => {
    const c = new Client(sockPath);
    const closed = new Promise<void>((res) => c.sock.once('close', () => res()));
    c.sock.write('quit\n');
    await closed;
    expect(c.sock.destroyed).toBe(true);
  });
});

describe('concurrency and permissions', () => {
  it('serves 100 concurrent clients', async () => {
    const clients = Array.from({ length: 100 }, () => new Client(sockPath));
    const replies = await Promise.all(
      clients.map(async (c, i) => {
        const r = [];
        for (let k = 0; k < 10; k++) r.push(await c.ask(i % 2 ? 'check invalid@example.com' : `check user${i}@example.com`));
        return r;
      }),
    );
    for (const [i, r] of replies.entries()) {
      expect(r).toHaveLength(10);
      for (const x of r) expect(x.verdict).toBe(i % 2 ? 'invalid' : 'ok');
    }
    for (const c of clients) c.close();
  });

  it('sets the socket mode explicitly', () => {
    const st = statSync(sockPath);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o660);
  });

  it('sets the configured group (our own gid) and mode', async () => {
    const p = join(dir, 'grp.sock');
    const gid = process.getgid!();
    const cfg = configFromObject({ control: { socket: p, mode: 0o640, group: String(gid) } });
    const h = await startControl(cfg.control, { storeOptions: { path: dbPath } });
    try {
      const st = statSync(p);
      expect(st.mode & 0o777).toBe(0o640);
      expect(st.gid).toBe(gid);
    } finally {
      await h.stop();
    }
  });

  it.skipIf(process.getuid?.() !== 0)('lets group members in and keeps others out (needs root to switch users)', async () => {
    const pub = mkdtempSync(join(tmpdir(), 'rebound-perm-'));
    chmodSync(pub, 0o755);
    const p = join(pub, 'perm.sock');
    const h = await startControl(configFromObject({ control: { socket: p, mode: 0o660, group: '0' } }).control, { storeOptions: { path: dbPath } });
    // Async: the server runs in this process, so a blocking spawnSync would deadlock it.
    const tryAs = (gid: number) =>
      new Promise<string>((res) => {
        execFile(
          process.execPath,
          ['-e', `const c=require('net').createConnection(${JSON.stringify(p)});c.on('connect',()=>{c.write('check invalid@example.com\\n')});c.on('data',d=>{process.stdout.write(String(d));process.exit(0)});c.on('error',e=>{process.stdout.write(e.code);process.exit(0)})`],
          { uid: 65534, gid, encoding: 'utf8', timeout: 20_000 },
          (_err, stdout) => res(stdout),
        );
      });
    try {
      expect(await tryAs(65534)).toBe('EACCES');
      expect(await tryAs(0)).toContain('"verdict":"invalid"');
    } finally {
      await h.stop();
      rmSync(pub, { recursive: true, force: true });
    }
  });

  it('replaces a stale socket file, refuses a live one and a regular file', async () => {
    const p = join(dir, 'stale.sock');
    // A socket file whose server died without cleaning up (as after a crash or SIGKILL).
    const r = spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(p)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    expect(r.signal).toBe('SIGKILL');
    expect(statSync(p).isSocket()).toBe(true);
    const cfg = configFromObject({ control: { socket: p } });
    const h = await startControl(cfg.control, { storeOptions: { path: dbPath } });
    await expect(startControl(cfg.control, { storeOptions: { path: dbPath } })).rejects.toThrow(/in use by another process/);
    await h.stop();
    const f = join(dir, 'regular');
    writeFileSync(f, 'x');
    await expect(startControl(configFromObject({ control: { socket: f } }).control, { storeOptions: { path: dbPath } })).rejects.toThrow(
      /exists and is not a socket/,
    );
  });

  it('does not write: the store handle is read-only', async () => {
    // Any write through the control store would throw SQLITE_READONLY; history must still read.
    const c = new Client(sockPath);
    expect(await c.ask('history suspended@example.com')).toMatchObject({ ok: true, count: 1 });
    c.close();
  });
});

describe('optional TCP listener', () => {
  it('serves the same protocol on loopback TCP', async () => {
    const cfg = configFromObject({ control: { socket: join(dir, 'tcp.sock') } });
    // Port 0 (any free port) is outside the config range on purpose; tests bypass the loader.
    const h = await startControl({ ...cfg.control, tcp: { enabled: true, host: '127.0.0.1', port: 0 } }, { storeOptions: { path: dbPath } });
    try {
      const sock = createConnection(h.addresses.tcp!, '127.0.0.1');
      sock.setEncoding('utf8');
      const reply = await new Promise<string>((res) => {
        sock.on('data', (d: string) => res(d));
        sock.write('check invalid@example.com\n');
      });
      expect(JSON.parse(reply)).toMatchObject({ verdict: 'invalid' });
      sock.destroy();
    } finally {
      await h.stop();
    }
  });
});
