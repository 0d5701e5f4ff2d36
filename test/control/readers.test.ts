/**
 * Reader processes (control.readers > 0): every command answered through a reader (stats,
 * health and metrics by the main process over IPC, counting the readers' lookups), the socketmap
 * and policy protocols, a killed reader replaced, readers gone after stop(), after a SIGTERM to
 * the daemon's process group and after the main process is killed, socket permissions unchanged.
 * The readers are forked from the compiled module, so this file loads dist/ (the vitest global
 * setup builds it when src/ is newer).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LineClient } from '../support/line-client.js';

type ServerModule = typeof import('../../src/control/server.js');
type ConfigModule = typeof import('../../src/config/load.js');
type MetricsModule = typeof import('../../src/metrics.js');
type StoreModule = typeof import('../../src/store/index.js');

const root = new URL('../..', import.meta.url).pathname;
const dist = join(root, 'dist');
const HOUR = 3_600_000;
const dir = mkdtempSync(join(tmpdir(), 'rebound-readers-'));
const dbPath = join(dir, 'rebound.db');
const sockPath = join(dir, 'rebound.sock');
const mapSock = join(dir, 'socketmap.sock');

let server: ServerModule;
let configFromObject: ConfigModule['configFromObject'];
let metrics: InstanceType<MetricsModule['Metrics']>;
let control: Awaited<ReturnType<ServerModule['startControl']>>;

/** A process is gone when signal 0 fails or it is a zombie waiting for a reaper. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Pids whose parent is `ppid` (from /proc). */
function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const m = /^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${d}/status`, 'utf8'));
      if (m && Number(m[1]) === ppid) out.push(Number(d));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

const Client = LineClient;

/** One raw exchange: write `req`, resolve with what arrives until `done(text)` is true. */
function exchange(where: string | number, req: string, done: (text: string) => boolean): Promise<string> {
  return new Promise((res, rej) => {
    const s = typeof where === 'string' ? createConnection(where) : createConnection(where, '127.0.0.1');
    let text = '';
    s.setEncoding('utf8');
    s.on('connect', () => s.write(req));
    s.on('data', (d: string) => {
      text += d;
      if (done(text)) {
        s.destroy();
        res(text);
      }
    });
    s.on('error', rej);
  });
}

const skipReason = 'needs a build of src/ in dist/ (the readers are forked from dist/control/reader.js)';
const haveDist = existsSync(join(dist, 'control/reader.js'));

/**
 * A main-process script for a child process: startControl from dist/ with `readers` reader
 * processes on socket `sock` over the test database (as `h`), after `before`, then `after`.
 */
function controlScript(sock: string, readers: number, before: string, after: string): string {
  return `const { startControl } = await import(${JSON.stringify(join(dist, 'control/server.js'))});
       const { configFromObject } = await import(${JSON.stringify(join(dist, 'config/load.js'))});
       ${before}
       const h = await startControl(configFromObject({ control: { socket: ${JSON.stringify(sock)}, readers: ${readers} } }).control, { storeOptions: { path: ${JSON.stringify(dbPath)} } });
       ${after}`;
}

describe.skipIf(!haveDist)(`control.readers = 2 (${skipReason})`, () => {
  beforeAll(async () => {
    server = (await import(join(dist, 'control/server.js'))) as ServerModule;
    ({ configFromObject } = (await import(join(dist, 'config/load.js'))) as ConfigModule);
    const { Metrics } = (await import(join(dist, 'metrics.js'))) as MetricsModule;
    const { openStore } = (await import(join(dist, 'store/index.js'))) as StoreModule;
    metrics = new Metrics();
    const now = Date.now();
    const store = openStore({ path: dbPath });
    store.importSuppressions(
      [
        { address: 'invalid@example.com', what: 'invalid', cause: '550 5.1.1 user unknown', at: now - HOUR },
        { address: 'suspended@example.com', what: 'suspended', cause: '554 5.7.1 blocked', at: now - HOUR },
        { address: 'complained@example.com', what: 'complained', cause: 'abuse report', at: now - HOUR },
      ],
      'test',
    );
    store.close();
    const cfg = configFromObject({
      control: { socket: sockPath, mode: 0o660, maxLineBytes: 512, readers: 2, socketmap: { enabled: true, socket: mapSock } },
    });
    control = await server.startControl(
      { ...cfg.control, policy: { enabled: true, host: '127.0.0.1', port: 0 } },
      {
        storeOptions: { path: dbPath },
        metrics,
        health: () => ({ smtp: { ok: true, detail: 'from the main process' } }),
        imap: () => [{ name: 'bounces', consecutiveFailures: 0 }],
        extraStats: () => ({ processingQueue: 7 }),
      },
    );
  });

  afterAll(async () => {
    await control?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts two reader processes', () => {
    const pids = control.readerPids();
    expect(pids).toHaveLength(2);
    for (const p of pids) {
      expect(p).not.toBe(process.pid);
      expect(alive(p)).toBe(true);
    }
  });

  it('answers check, status and history in a reader', async () => {
    const c = new Client(sockPath);
    expect(await c.ask('check nobody@example.com')).toEqual({ ok: true, address: 'nobody@example.com', verdict: 'ok', cause: '' });
    expect(await c.ask('check Invalid@Example.COM')).toMatchObject({ verdict: 'invalid', cause: '550 5.1.1 user unknown' });
    expect(await c.ask('check suspended@example.com')).toMatchObject({ verdict: 'suspended', until: expect.any(String) });
    expect(await c.ask('CHECK  complained@example.com')).toMatchObject({ verdict: 'complained' });
    expect(await c.ask('status invalid@example.com')).toMatchObject({ ok: true, known: true, emailInvalid: true });
    expect(await c.ask('history invalid@example.com 5')).toMatchObject({ ok: true, count: 1 });
    c.close();
  });

  it('answers stats, health and metrics from the main process, counting the readers\' lookups', async () => {
    const c = new Client(sockPath);
    for (let i = 0; i < 5; i++) await c.ask('check invalid@example.com');
    const st = await c.ask('stats');
    expect(st).toMatchObject({ ok: true, processingQueue: 7, imap: [{ name: 'bounces' }] });
    expect((st.addresses as { invalid: number }).invalid).toBe(1);
    expect((st.lookupsSinceStart as Record<string, number>).invalid).toBeGreaterThanOrEqual(5);
    const h = await c.ask('health');
    expect(h).toMatchObject({
      ok: true,
      healthy: true,
      components: { store: { ok: true }, smtp: { detail: 'from the main process' }, 'control-readers': { ok: true, detail: '2 of 2 ready' } },
    });
    const m = await c.ask('metrics');
    expect(m.metrics).toMatch(/rebound_lookups_total\{via="socket",verdict="invalid"\} \d+/);
    expect(metrics.lookups.get({ via: 'socket', verdict: 'invalid' })).toBeGreaterThanOrEqual(5);
    expect(await c.ask('stats extra')).toEqual({ ok: false, error: 'usage: stats' });
    const help = await c.ask('help');
    expect((help.commands as { usage: string }[]).map((x) => x.usage)).toContain('metrics');
    c.close();
  });

  it('keeps replies in request order around a main-process command', async () => {
    const c = new Client(sockPath);
    c.sock.write('check invalid@example.com\nstats\ncheck complained@example.com\nhealth\ncheck nobody@example.com\n');
    const got = [];
    for (let i = 0; i < 5; i++) got.push(JSON.parse(await c.next()) as Record<string, unknown>);
    expect(got[0]).toMatchObject({ verdict: 'invalid' });
    expect(got[1]).toHaveProperty('uptimeSeconds');
    expect(got[2]).toMatchObject({ verdict: 'complained' });
    expect(got[3]).toHaveProperty('healthy', true);
    expect(got[4]).toMatchObject({ verdict: 'ok' });
    c.close();
  });

  it('answers bad and oversized input with an error line and stays usable; quit closes', async () => {
    const c = new Client(sockPath);
    expect(await c.ask('frobnicate x')).toEqual({ ok: false, error: 'unknown command "frobnicate"; try "help"' });
    expect(await c.ask(`check ${'x'.repeat(600)}@example.com`)).toEqual({ ok: false, error: 'line longer than 512 bytes; ignored' });
    expect(await c.ask('check invalid@example.com')).toMatchObject({ verdict: 'invalid' });
    c.sock.write('quit\n');
    await c.closed;
  });

  it('answers the socketmap and policy protocols in a reader', async () => {
    expect(await exchange(mapSock, '28:suppress invalid@example.com,', (t) => t.endsWith(','))).toBe(
      '52:OK REJECT 5.7.1 Recipient suppressed (Email Invalid),',
    );
    const pol = await exchange(control.addresses.policy!, 'request=smtpd_access_policy\nprotocol_state=RCPT\nrecipient=complained@example.com\n\n', (t) =>
      t.endsWith('\n\n'),
    );
    expect(pol).toBe('action=REJECT 5.7.1 Recipient suppressed (complained)\n\n');
  });

  it('serves 100 concurrent clients spread over the readers', async () => {
    const clients = Array.from({ length: 100 }, () => new Client(sockPath));
    const replies = await Promise.all(clients.map(async (c, i) => (await c.ask(i % 2 ? 'check invalid@example.com' : `check u${i}@example.com`)).verdict));
    expect(replies.filter((v) => v === 'invalid')).toHaveLength(50);
    expect(replies.filter((v) => v === 'ok')).toHaveLength(50);
    for (const c of clients) c.close();
  });

  it('keeps the socket mode as configured', () => {
    expect(statSync(sockPath).mode & 0o777).toBe(0o660);
    expect(statSync(mapSock).mode & 0o777).toBe(0o660);
  });

  it('replaces a killed reader; its clients reconnect and are answered', async () => {
    const before = control.readerPids();
    const c = new Client(sockPath);
    expect(await c.ask('check invalid@example.com')).toMatchObject({ verdict: 'invalid' });
    for (const p of before) process.kill(p, 'SIGKILL');
    // The connection was held by a reader: it closes with it.
    await c.closed;
    await until('two new readers', () => {
      const now = control.readerPids();
      return now.length === 2 && now.every((p) => !before.includes(p));
    });
    const d = new Client(sockPath);
    expect(await d.ask('check complained@example.com')).toMatchObject({ verdict: 'complained' });
    d.close();
  });

  it('applies control.maxClients in each reader', async () => {
    // One reader: every connection ends up there, accepted by it or handed to it.
    const p = join(dir, 'max.sock');
    const h = await server.startControl(configFromObject({ control: { socket: p, readers: 1, maxClients: 2 } }).control, {
      storeOptions: { path: dbPath },
    });
    try {
      const held = [new Client(p), new Client(p)];
      for (const c of held) expect(await c.ask('check invalid@example.com')).toMatchObject({ verdict: 'invalid' });
      const extra = new Client(p);
      await extra.closed; // refused: two are open
      held[0]!.close();
      await held[0]!.closed;
      // The slot is free once the reader has seen the close.
      let answered: Record<string, unknown> | undefined;
      for (let i = 0; i < 50 && !answered; i++) {
        const c = new Client(p);
        answered = await Promise.race([c.ask('check complained@example.com'), c.closed.then(() => undefined)]);
        if (!answered) await new Promise((r) => setTimeout(r, 50));
        c.close();
      }
      expect(answered).toMatchObject({ verdict: 'complained' });
      held[1]!.close();
    } finally {
      await h.stop();
    }
  });

  it('stops its readers on stop()', async () => {
    const p = join(dir, 'stop.sock');
    const h = await server.startControl(configFromObject({ control: { socket: p, readers: 2 } }).control, { storeOptions: { path: dbPath } });
    const pids = h.readerPids();
    expect(pids).toHaveLength(2);
    expect(await exchange(p, 'check invalid@example.com\n', (t) => t.endsWith('\n'))).toContain('"verdict":"invalid"');
    await h.stop();
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(existsSync(p)).toBe(false);
  });

  it('readers exit when the main process is killed', async () => {
    const p = join(dir, 'orphan.sock');
    const script = join(dir, 'main.mjs');
    writeFileSync(
      script,
      controlScript(p, 2, '', `console.log(JSON.stringify(h.readerPids()));
       setInterval(() => {}, 1000);`),
    );
    const main = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, REBOUND_LOG_LEVEL: 'silent' } });
    const pids = await new Promise<number[]>((res, rej) => {
      let out = '';
      main.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) res(JSON.parse(out.split('\n')[0]!) as number[]);
      });
      main.once('exit', (code) => rej(new Error(`main exited ${code}`)));
    });
    expect(pids).toHaveLength(2);
    main.kill('SIGKILL');
    await until('the orphaned readers to exit', () => pids.every((pid) => !alive(pid)));
  });

  it('passes a new log level on to the readers (SIGHUP reload)', async () => {
    const p = join(dir, 'log.sock');
    const script = join(dir, 'log.mjs');
    writeFileSync(
      script,
      controlScript(
        p,
        1,
        `const { setLogLevel } = await import(${JSON.stringify(join(dist, 'log.js'))});
       setLogLevel('info');`,
        `process.stdin.on('data', async (d) => {
         if (String(d).startsWith('debug')) { h.setLogLevel('debug'); process.stdout.write('LEVEL\\n'); }
         else { await h.stop(); process.exit(0); }
       });
       process.stdout.write('PIDS ' + JSON.stringify(h.readerPids()) + '\\n');`,
      ),
    );
    const env = { ...process.env };
    delete env.REBOUND_LOG_LEVEL; // it would win over the level set at run time
    const main = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'inherit'], env });
    let out = '';
    main.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await until('the readers', () => out.includes('PIDS '));
      const pid = (JSON.parse(/PIDS (.*)/.exec(out)![1]!) as number[])[0]!;
      await exchange(p, 'check nobody@example.com\n', (t) => t.endsWith('\n'));
      // At info, a reader logs nothing for a connection...
      await new Promise((r) => setTimeout(r, 400)); // the logger flushes every 250 ms
      expect(out).not.toMatch(new RegExp(`"pid":${pid},.*"msg":"connection"`));
      main.stdin!.write('debug\n');
      await until('the new level', () => out.includes('LEVEL'));
      await new Promise((r) => setTimeout(r, 100));
      await exchange(p, 'check nobody@example.com\n', (t) => t.endsWith('\n'));
      // ...and after the reload to debug, it does.
      await until('the reader\'s debug line', () => new RegExp(`"pid":${pid},.*"msg":"connection"`).test(out));
    } finally {
      main.stdin!.write('stop\n');
      await new Promise((r) => main.once('exit', r));
    }
  });

  it('a daemon started with control.readers = 2 answers through them and stops them on SIGTERM to its process group', async () => {
    const ddir = mkdtempSync(join(tmpdir(), 'rebound-readers-daemon-'));
    const sock = join(ddir, 'ctl.sock');
    const cfgFile = join(ddir, 'rebound.toml');
    writeFileSync(
      cfgFile,
      `[store]\npath = "${join(ddir, 'rebound.db')}"\n[intake.smtp]\nenabled = false\n[control]\nsocket = "${sock}"\nreaders = 2\n[jobs.prune]\nenabled = false\n[jobs.checkpoint]\nenabled = false\n[log]\nlevel = "info"\n`,
    );
    const d = spawn(process.execPath, [join(dist, 'main.js'), 'serve', '-c', cfgFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, REBOUND_LOG_LEVEL: 'info' },
      // Its own process group, so that the SIGTERM below reaches the readers too (as systemd's
      // KillMode=control-group and a terminal's Ctrl-C do).
      detached: true,
    });
    try {
      const exited = new Promise<number | null>((r) => d.once('exit', (code) => r(code)));
      let out = '';
      await new Promise<void>((res, rej) => {
        const t = setTimeout(() => rej(new Error(`daemon did not start:\n${out}`)), 45_000);
        d.stdout!.on('data', (b: Buffer) => {
          out += b.toString();
          if (out.includes('"msg":"ready"') || out.includes('"msg":"started"')) {
            clearTimeout(t);
            res();
          }
        });
      });
      const readers = childrenOf(d.pid!);
      expect(readers.length).toBeGreaterThanOrEqual(2);
      expect(await exchange(sock, 'check nobody@example.com\nhealth\n', (t) => t.split('\n').length > 2)).toMatch(/"verdict":"ok".*\n.*"healthy":true/s);
      process.kill(-d.pid!, 'SIGTERM');
      expect(await exited).toBe(0);
      // The readers left that signal to the main process (none died early and was replaced).
      expect(out).not.toContain('control reader exited');
      expect(out).toContain('"msg":"stopped"');
      for (const pid of readers) expect(alive(pid)).toBe(false);
    } finally {
      if (d.exitCode === null) process.kill(-d.pid!, 'SIGKILL');
      rmSync(ddir, { recursive: true, force: true });
    }
  }, 60_000);
});
