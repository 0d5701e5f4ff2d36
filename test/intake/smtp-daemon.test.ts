/**
 * The daemon as a child process (dist/main.js serve): kill -9 during a burst loses no acknowledged
 * message, the rows it left pending are processed at the next start, and SIGTERM drains a session
 * that is in DATA. Needs a build (the vitest global setup makes one).
 */
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/index.js';
import { freePort } from '../support/net.mjs';
import { Wire } from '../support/smtp-wire.js';

const root = new URL('../..', import.meta.url).pathname;
const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function setup(): Promise<{ dir: string; cfg: string; port: number; db: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'rebound-daemon-'));
  dirs.push(dir);
  const port = await freePort();
  const db = join(dir, 'rebound.db');
  const cfg = join(dir, 'rebound.toml');
  writeFileSync(
    cfg,
    `[store]\npath = "${db}"\n[intake.smtp]\nport = ${port}\nmaxClients = 100\n[control]\nsocket = "${join(dir, 'ctl.sock')}"\n[verp]\ndomains = ["bounces.test"]\n[jobs.prune]\nenabled = false\n[jobs.checkpoint]\nenabled = false\n[log]\nlevel = "info"\n`,
  );
  return { dir, cfg, port, db };
}

/** Start the daemon and resolve once it logs "ready". */
function startDaemon(cfg: string, writer = '1'): Promise<{ child: ChildProcess; exited: Promise<{ code: number | null; signal: string | null }>; output: () => string }> {
  const child = spawn(process.execPath, [join(root, 'dist/main.js'), 'serve', '-c', cfg], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`daemon did not start:\n${out}\n${err}`)), 45_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('"msg":"ready"')) {
        clearTimeout(timer);
        resolve({ child, exited, output: () => out });
      }
    });
    void exited.then(({ code }) => reject(new Error(`daemon exited ${code} before ready:\n${out}\n${err}`)));
  });
}

function bounce(token: string): string {
  return [
    'From: MAILER-DAEMON@mx.example.org',
    'To: bounces+u@bounces.test',
    `Subject: Undelivered Mail Returned to Sender ${token}`,
    'Content-Type: text/plain',
    '',
    `<${token}@example.com>: host mx.example.com said: 550 5.1.1 user unknown`,
    '.',
  ].join('\r\n');
}

// SQLite writes in the writer thread (the daemon's one way to commit).
describe.each([['writer thread', '1']])('daemon process, %s', (_mode, writer) => {
  it('kill -9 during a burst loses no acknowledged message; pending rows are processed at restart', async () => {
    const { cfg, port, db } = await setup();
    const { child, exited } = await startDaemon(cfg, writer);
    const acked = new Map<string, number>(); // token -> id from the 250 reply
    let stop = false;
    const clients = Array.from({ length: 20 }, async (_, c) => {
      for (let i = 0; !stop; i++) {
        let w: Wire;
        try {
          w = await Wire.open({ port });
        } catch {
          return; // the daemon is gone
        }
        try {
          if (!(await w.reply()).startsWith('220')) return;
          await w.cmd('EHLO load.test');
          for (let j = 0; j < 5 && !stop; j++) {
            const token = `c${c}m${i}x${j}`;
            if (!(await w.cmd('MAIL FROM:<>')).startsWith('250')) break;
            if (!(await w.cmd(`RCPT TO:<bounces+${token}=example.com@bounces.test>`)).startsWith('250')) break;
            if (!(await w.cmd('DATA')).startsWith('354')) break;
            const r = await w.cmd(bounce(token));
            const m = /^250 2\.0\.0 Ok: stored as (\d+)/.exec(r);
            if (m) acked.set(token, Number(m[1]));
            else break;
          }
        } finally {
          w.sock.destroy();
        }
      }
    });
    // Let the burst run, then kill the daemon without warning while sessions are mid-flight.
    while (acked.size < 300) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    expect((await exited).signal).toBe('SIGKILL');
    stop = true;
    await Promise.all(clients);

    // Every acknowledged message is in the database, under the id we were told.
    const store = openStore({ path: db });
    try {
      let missing = 0;
      for (const [token, id] of acked) {
        const m = store.getMessage(id);
        if (!m?.raw?.toString('latin1').includes(token)) missing++;
      }
      expect({ acked: acked.size, missing }).toEqual({ acked: acked.size, missing: 0 });
      expect(store.stats().messages.total).toBeGreaterThanOrEqual(acked.size);
    } finally {
      store.close();
    }

    // Restart: whatever was left pending by the crash is processed at start.
    const again = await startDaemon(cfg, writer);
    const deadline = Date.now() + 20_000;
    let pending = -1;
    while (Date.now() < deadline) {
      const s = openStore({ path: db, readonly: true });
      pending = s.stats().messages.pending;
      s.close();
      if (pending === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(pending).toBe(0);
    again.child.kill('SIGTERM');
    expect((await again.exited).code).toBe(0);
  }, 90_000);

  it('SIGTERM drains: a session in DATA gets its 250 after the commit, new connections are refused, exit 0', async () => {
    const { cfg, port, db } = await setup();
    const { child, exited, output } = await startDaemon(cfg, writer);
    const w = await Wire.open({ port });
    await w.reply();
    await w.cmd('EHLO drain.test');
    await w.cmd('MAIL FROM:<>');
    expect(await w.cmd('RCPT TO:<bounces+late=example.com@bounces.test>')).toMatch(/^250/);
    expect(await w.cmd('DATA')).toMatch(/^354/);
    const [head, tail] = [bounce('drain-token').slice(0, 60), bounce('drain-token').slice(60)];
    w.sock.write(head);
    await new Promise((r) => setTimeout(r, 200));
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    // The listener is closed: a newcomer cannot connect.
    await expect(Wire.open({ port })).rejects.toThrow(/ECONNREFUSED/);
    const reply = await w.cmd(tail);
    expect(reply).toMatch(/^250 2\.0\.0 Ok: stored as \d+/);
    // The next command is refused as the server shuts down; then the process exits cleanly.
    expect(await w.cmd('MAIL FROM:<>')).toMatch(/^421/);
    w.sock.destroy();
    expect(await exited).toEqual({ code: 0, signal: null });
    // One structured log line for the message, with its outcome and row id (flushed at exit).
    const lines = output().split('\n').filter((l) => l.includes('"msg":"message accepted"'));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ scope: 'smtp', outcome: 'stored', rcpt: ['bounces+late=example.com@bounces.test'], from: '' });
    const store = openStore({ path: db, readonly: true });
    try {
      const id = Number(/stored as (\d+)/.exec(reply)![1]);
      expect(store.getMessage(id)?.raw?.toString()).toContain('drain-token');
    } finally {
      store.close();
    }
  }, 60_000);
  it('SIGHUP reloads the VERP rules: after requireSignature = true a plain return path is refused', async () => {
    const { cfg, port } = await setup();
    const { child, exited } = await startDaemon(cfg, writer);
    const rcpt = async () => {
      const w = await Wire.open({ port });
      await w.reply();
      await w.cmd('EHLO hup.test');
      await w.cmd('MAIL FROM:<>');
      const r = await w.cmd('RCPT TO:<bounces+x=example.com@bounces.test>');
      w.sock.destroy();
      return r;
    };
    expect(await rcpt()).toMatch(/^250/);
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('[verp]\n', '[verp]\nrequireSignature = true\nkeys = ["1:hup"]\n'));
    child.kill('SIGHUP');
    let r = '';
    for (let i = 0; i < 50 && !r.startsWith('550'); i++) {
      await new Promise((res) => setTimeout(res, 100));
      r = await rcpt();
    }
    expect(r).toMatch(/^550 5\.7\.1/);
    // A broken file on reload is rejected and the running config kept.
    writeFileSync(cfg, 'this is not toml = = =');
    child.kill('SIGHUP');
    await new Promise((res) => setTimeout(res, 500));
    expect(await rcpt()).toMatch(/^550 5\.7\.1/);
    child.kill('SIGTERM');
    expect((await exited).code).toBe(0);
  }, 60_000);
});

describe('daemon process under random input', () => {
  it('random bytes in random chunks from 60 connections do not crash it; it serves after and stops cleanly', async () => {
    const { cfg, port, db } = await setup();
    const { child, exited, output } = await startDaemon(cfg);
    const opening = ['EHLO f.test\r\n', 'MAIL FROM:<>\r\n', 'RCPT TO:<bounces+f=example.com@bounces.test>\r\n', 'DATA\r\n'];
    const inputs = fc.sample(
      fc.record({
        opened: fc.integer({ min: 0, max: 4 }),
        bytes: fc.uint8Array({ minLength: 1, maxLength: 3000 }),
        chunk: fc.integer({ min: 1, max: 700 }),
        early: fc.boolean(),
      }),
      60,
    );
    await Promise.all(
      inputs.map(async (s, i) => {
        await new Promise((r) => setTimeout(r, (i % 10) * 20));
        const w = await Wire.open({ port });
        if (!s.early) await w.reply();
        const wire = Buffer.concat([Buffer.from(opening.slice(0, s.opened).join('')), Buffer.from(s.bytes)]);
        for (let at = 0; at < wire.length && !w.closed; at += s.chunk) {
          w.sock.write(wire.subarray(at, at + s.chunk));
          await new Promise((r) => setImmediate(r));
        }
        await new Promise((r) => setTimeout(r, 100));
        w.sock.destroy();
      }),
    );
    expect(child.exitCode).toBeNull();
    const w = await Wire.open({ port });
    expect(await w.reply()).toMatch(/^220 /);
    await w.cmd('EHLO after.test');
    await w.cmd('MAIL FROM:<>');
    expect(await w.cmd('RCPT TO:<bounces+after=example.com@bounces.test>')).toMatch(/^250/);
    await w.cmd('DATA');
    expect(await w.cmd(bounce('after-fuzz'))).toMatch(/^250 2\.0\.0 Ok: stored as \d+/);
    w.sock.destroy();
    child.kill('SIGTERM');
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(output()).not.toMatch(/uncaught|"level":60/i);
    const store = openStore({ path: db, readonly: true });
    try {
      expect(store.stats().messages.total).toBeGreaterThanOrEqual(1);
    } finally {
      store.close();
    }
  }, 60_000);
});
