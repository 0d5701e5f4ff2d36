/**
 * The status socket under piped input, with real client processes (socat, OpenBSD nc) against a
 * real daemon (dist/main.js serve), for control.readers = 0 (the main process answers) and
 * control.readers = 2 (reader processes answer; stats, health and metrics come from the main
 * process over IPC). A client that ends its stream after its requests (`echo health | socat -
 * UNIX-CONNECT:SOCK`, `nc -N -U`) gets an answer to every line it sent - a last line without a
 * newline too - and then the daemon closes the connection, so the client exits by itself.
 * Skips without socat or nc, except under CI (.ci/run installs them).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { startDaemon, type DaemonProcess } from '../support/daemon.js';

const have = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const ncIsOpenBsd = have('nc') && /OpenBSD netcat/.test(spawnSync('nc', ['-h'], { encoding: 'utf8' }).stderr ?? '');
const missing = [!have('socat') && 'socat', !ncIsOpenBsd && 'nc (netcat-openbsd)'].filter(Boolean).join(', ');
const skip = missing !== '' && !process.env.CI;

interface ClientRun {
  out: string;
  code: number | null;
  /** The client had not exited within the time allowed and was killed. */
  hung: boolean;
}

/**
 * Run a client with `input` on its stdin followed by end of file, as `printf INPUT | CMD` does.
 * waitMs: how long it may take to exit by itself. untilLines: stop waiting (and kill it) once it
 * has printed this many lines - for a client that never ends its own stream.
 */
function client(cmd: string[], input: string, how: { waitMs?: number; untilLines?: number } = {}): Promise<ClientRun> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd[0]!, cmd.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      p.kill('SIGKILL');
    }, how.waitMs ?? 15_000);
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (how.untilLines !== undefined && out.split('\n').length > how.untilLines) {
        clearTimeout(timer);
        p.kill('SIGKILL');
      }
    });
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      if (err.trim() !== '' && code !== 0 && how.untilLines === undefined) out += `\n[stderr] ${err}`;
      resolve({ out, code, hung });
    });
    p.stdin.on('error', () => undefined);
    p.stdin.end(input);
  });
}

const lines = (s: string): Record<string, unknown>[] =>
  s.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);

const dir = mkdtempSync(join(tmpdir(), 'rebound-halfclose-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(skip).each([0, 2])(`status socket with control.readers = %i, real socat and nc clients${skip ? ` (skipped: ${missing} missing)` : ''}`, (readers) => {
  let daemon: DaemonProcess | undefined;
  const sock = join(dir, `r${readers}.sock`);
  const db = join(dir, `r${readers}.db`);

  beforeAll(async () => {
    if (missing) throw new Error(`CI is set but ${missing} is not installed`);
    const store = openStore({ path: db });
    store.importSuppressions([{ address: 'gone@example.com', what: 'invalid', cause: '550 5.1.1 user unknown', at: Date.now() }], 'test');
    store.close();
    const cfg = join(dir, `r${readers}.toml`);
    writeFileSync(
      cfg,
      [
        `[store]\npath = "${db}"`,
        `[intake.smtp]\nenabled = false`,
        `[control]\nsocket = "${sock}"\nreaders = ${readers}`,
        `[jobs.prune]\nenabled = false\n[jobs.checkpoint]\nenabled = false`,
      ].join('\n') + '\n',
    );
    daemon = await startDaemon(cfg);
  }, 60_000);

  afterAll(async () => {
    expect(await daemon?.stop()).toBe(0);
  });

  const socat = (): string[] => ['socat', '-', `UNIX-CONNECT:${sock}`];

  it('answers every command piped in one go, in order, then closes (socat)', async () => {
    const input = ['check gone@example.com', 'status gone@example.com', 'history gone@example.com 5', 'stats', 'health', 'metrics', 'help', 'bogus', ''].join('\n');
    const r = await client(socat(), input);
    expect(r.hung, r.out).toBe(false);
    expect(r.code).toBe(0);
    const replies = lines(r.out);
    expect(replies).toHaveLength(8);
    expect(replies[0]).toMatchObject({ ok: true, verdict: 'invalid' });
    expect(replies[1]).toMatchObject({ ok: true, emailInvalid: true });
    expect(replies[2]).toMatchObject({ ok: true, count: 1 });
    expect(replies[3]).toMatchObject({ ok: true, addresses: { invalid: 1 } });
    expect(replies[4]).toMatchObject({ ok: true, healthy: true });
    expect(String(replies[5]!.metrics)).toMatch(/^# HELP rebound_/);
    expect(replies[6]).toMatchObject({ ok: true });
    expect(replies[7]).toMatchObject({ ok: false, error: expect.stringMatching(/unknown command/) });
  });

  it.each(['health', 'stats', 'metrics', 'help', 'check gone@example.com', 'status gone@example.com', 'history gone@example.com'])(
    'echo %s | socat - UNIX-CONNECT:SOCK answers and exits',
    async (cmd) => {
      const r = await client(socat(), `${cmd}\n`);
      expect(r.hung, r.out).toBe(false);
      expect(r.code).toBe(0);
      const replies = lines(r.out);
      expect(replies).toHaveLength(1);
      expect(replies[0]!.ok).toBe(true);
    },
  );

  it("printf 'health\\nquit\\n' | socat answers health, then quit closes", async () => {
    const r = await client(socat(), 'health\nquit\n');
    expect(r.hung).toBe(false);
    expect(lines(r.out)).toEqual([expect.objectContaining({ ok: true, healthy: true })]);
  });

  it('answers a last line that has no newline before the end of stream', async () => {
    const r = await client(socat(), 'check gone@example.com\nhealth');
    expect(r.hung).toBe(false);
    expect(lines(r.out).map((x) => x.ok)).toEqual([true, true]);
    expect(lines(r.out)[1]).toMatchObject({ healthy: true });
  });

  it('echo metrics | nc -N -U SOCK prints the metrics and exits', async () => {
    const r = await client(['nc', '-N', '-U', sock], 'metrics\n');
    expect(r.hung, r.out).toBe(false);
    expect(r.code).toBe(0);
    const replies = lines(r.out);
    expect(replies).toHaveLength(1);
    expect(String(replies[0]!.metrics)).toMatch(/rebound_lookups_total|rebound_messages_total/);
  });

  it("nc -U without -N (never ends its stream): gets the whole reply; with a final 'quit' it exits", async () => {
    // Plain `nc -U` does not pass on the end of its input, so the daemon cannot know the client is
    // done: the reply arrives whole (the client is killed after it), and the forms the docs and
    // `help` give instead - nc -N, socat, or a final quit - all end by themselves.
    const plain = await client(['nc', '-U', sock], 'health\n', { untilLines: 1 });
    expect(plain.hung).toBe(false);
    expect(lines(plain.out)).toEqual([expect.objectContaining({ ok: true, healthy: true })]);
    const withQuit = await client(['nc', '-U', sock], 'metrics\nquit\n');
    expect(withQuit.hung, withQuit.out).toBe(false);
    expect(withQuit.code).toBe(0);
    expect(lines(withQuit.out)).toHaveLength(1);
  });

  it('ten clients at once, each half-closing after a main-process command, all get their answer', async () => {
    const runs = await Promise.all(Array.from({ length: 10 }, (_, i) => client(socat(), i % 2 ? 'stats\nhealth\n' : 'health\ncheck gone@example.com\nmetrics\n')));
    for (const [i, r] of runs.entries()) {
      expect(r.hung).toBe(false);
      expect(lines(r.out)).toHaveLength(i % 2 ? 2 : 3);
    }
  });
});
