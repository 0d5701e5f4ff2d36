/**
 * `rebound serve` (the built daemon, a child process) with two IMAP mailboxes on a real private
 * Dovecot: one with a wrong password, one good. The good one is ingested and moved; the bad one
 * shows a clear error on the status socket (`stats`, `health`) and in the log, never the
 * password; SMTP intake and the status socket keep answering throughout; SIGTERM stops it cleanly.
 * Skips (with the reason) without Dovecot, except under CI.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bounce, dovecotMissing, startDovecot, type Dovecot } from '../support/dovecot.js';
import { freePort } from '../support/net.mjs';

const missing = dovecotMissing();
const root = new URL('../..', import.meta.url).pathname;
const WRONG = 'wrong-Password-for-test-913';

/** Connect, send one line (or none), and return the first complete line the peer sends. */
function firstLine(target: { port: number } | { path: string }, send?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = 'path' in target ? connect(target.path) : connect(target.port, '127.0.0.1');
    let buf = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer from ${JSON.stringify(target)} within 3 s`));
    }, 3000);
    s.setEncoding('utf8');
    s.on('connect', () => {
      if (send !== undefined) s.write(`${send}\n`);
    });
    s.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        s.destroy();
        resolve(buf.slice(0, nl).trimEnd());
      }
    });
    s.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

interface MailboxStat {
  name: string;
  lastError: string | null;
  lastSuccessAt: number | null;
  backlog: number | null;
  consecutiveFailures: number;
}

describe.skipIf(missing !== '')(`rebound serve with IMAP mailboxes${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let dv: Dovecot;
  let dir = '';
  let daemon: ChildProcess | undefined;
  let out = '';
  let smtpPort = 0;
  let sock = '';

  beforeAll(async () => {
    dv = await startDovecot();
    await dv.append('INBOX', [bounce('user-unknown', 1, 'gone@example.org'), bounce('human-reply', 2)]);
    dir = mkdtempSync(join(tmpdir(), 'rebound-imap-daemon-'));
    smtpPort = await freePort();
    sock = join(dir, 'ctl.sock');
    const mb = (name: string, password: string, extra: string[] = []) =>
      [
        '[[imap.mailboxes]]',
        `name = "${name}"`,
        `host = "${dv.host}"`,
        `port = ${dv.port}`,
        'tls = "none"',
        `user = "${dv.user}"`,
        `password = "${password}"`,
        'schedule = "0 0 1 1 *"',
        ...extra,
      ].join('\n');
    const cfg = join(dir, 'rebound.toml');
    writeFileSync(
      cfg,
      [
        `[store]\npath = "${join(dir, 'rebound.db')}"`,
        `[intake.smtp]\nport = ${smtpPort}\nhostname = "rebound.test"`,
        `[control]\nsocket = "${sock}"`,
        `[jobs.prune]\nenabled = false\n[jobs.checkpoint]\nenabled = false`,
        mb('wrong-pw', WRONG),
        mb('good', dv.password, ['moveTo.processed = "Processed"', 'moveTo.notBounce = "NotBounce"']),
      ].join('\n') + '\n',
    );
    daemon = spawn(process.execPath, [join(root, 'dist/main.js'), 'serve', '-c', cfg], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, REBOUND_LOG_LEVEL: 'info' },
    });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`rebound did not start: ${out}`)), 20_000);
      const onData = (d: Buffer) => {
        out += d.toString();
        if (out.includes('"msg":"ready"')) {
          clearTimeout(t);
          resolve();
        }
      };
      daemon!.stdout!.on('data', onData);
      daemon!.stderr!.on('data', onData);
      daemon!.once('exit', (code) => reject(new Error(`rebound exited ${code}: ${out}`)));
    });
  }, 60_000);

  afterAll(async () => {
    if (daemon && daemon.exitCode === null) {
      daemon.kill('SIGKILL');
      await new Promise((r) => daemon!.once('exit', r));
    }
    await dv?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reports the wrong password clearly, ingests the good mailbox, and keeps serving SMTP and the socket', async () => {
    const imapStats = async (): Promise<MailboxStat[]> => (JSON.parse(await firstLine({ path: sock }, 'stats')) as { imap: MailboxStat[] }).imap;
    const deadline = Date.now() + 20_000;
    let imap: MailboxStat[] = [];
    for (;;) {
      // While IMAP logins fail, SMTP still greets.
      expect(await firstLine({ port: smtpPort })).toMatch(/^220 rebound\.test/);
      imap = await imapStats();
      const bad = imap.find((m) => m.name === 'wrong-pw');
      const good = imap.find((m) => m.name === 'good');
      if (bad?.lastError && good?.lastSuccessAt) break;
      if (Date.now() > deadline) throw new Error(`timed out: ${JSON.stringify(imap)}\n${out.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const bad = imap.find((m) => m.name === 'wrong-pw')!;
    const good = imap.find((m) => m.name === 'good')!;
    expect(bad.lastError).toMatch(/^imap mailbox "wrong-pw" \(bounces@127\.0\.0\.1:\d+\): login failed for user "bounces": Authentication failed\.$/);
    expect(bad.lastSuccessAt).toBeNull();
    expect(good).toMatchObject({ lastError: null, backlog: 0, consecutiveFailures: 0 });

    const health = JSON.parse(await firstLine({ path: sock }, 'health')) as { healthy: boolean; components: Record<string, { ok: boolean; detail?: string }> };
    expect(health.healthy).toBe(false);
    expect(health.components['imap:wrong-pw']).toMatchObject({ ok: false });
    expect(health.components['imap:good']).toMatchObject({ ok: true });

    const status = JSON.parse(await firstLine({ path: sock }, 'check gone@example.org')) as { verdict: string };
    expect(status.verdict).toBe('invalid');
    expect(await dv.count('INBOX')).toBe(0);
    expect(await dv.count('Processed')).toBe(1);
    expect(await dv.count('NotBounce')).toBe(1);

    expect(out).toMatch(/"msg":"IMAP pass failed; will retry with backoff"/);
    expect(out).not.toContain(WRONG);
  });

  it('stops cleanly on SIGTERM', async () => {
    const t0 = Date.now();
    daemon!.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => daemon!.once('exit', r));
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
