/**
 * A time and memory budget per message (issue 16, finding 2): parsing ran in the writer thread
 * that also commits SMTP messages, so while a crafted message parsed no 250 went out (every sender
 * waited up to 19.7 s), and after a restart the same pending message stalled intake again.
 *
 * Now the daemon analyses in a worker of its own (analyze-pool.ts poolAnalyzer) with a deadline
 * (analysis.deadlineSeconds) and a heap cap (analysis.maxHeapMb). The slow message here comes
 * from a stand-in worker (test/support/slow-analyze-worker.mjs, swapped in by the module hook of
 * test/support/slow-analysis.mjs, `node --import`) that spins
 * for ever on "SPIN FOREVER" and analyses everything else for real: after the linear-pattern work
 * no real input is slow (bench:mutate). The built daemon runs as a child process on a real SQLite
 * file; the poison message is left pending by a kill -9, so the budget is shown at the next start.
 */
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { Wire } from './support/smtp-wire.js';
import { LineClient } from './support/line-client.js';
import { numberedBounce, until } from './support/until.js';
import { freePort } from './support/net.mjs';

const root = new URL('..', import.meta.url).pathname;
const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('a message over its analysis budget', () => {
  it('does not hold up other senders\' 250s or the messages behind it, also after a restart, and is stored failed with the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rebound-budget-'));
    dirs.push(dir);
    const port = await freePort();
    const db = join(dir, 'rebound.db');
    const sock = join(dir, 'ctl.sock');
    const cfg = join(dir, 'rebound.toml');
    writeFileSync(
      cfg,
      `[store]\npath = "${db}"\n[intake.smtp]\nport = ${port}\n[analysis]\ndeadlineSeconds = 6\nmaxHeapMb = 64\n[control]\nsocket = "${sock}"\nreaders = 0\n` +
        `[verp]\ndomains = ["bounces.test"]\n[jobs.prune]\nenabled = false\n[jobs.checkpoint]\nenabled = false\n`,
    );
    const start = async (): Promise<{ child: ChildProcess; log: () => string }> => {
      const child = spawn(process.execPath, ['--import', join(root, 'test/support/slow-analysis.mjs'), join(root, 'dist/main.js'), 'serve', '-c', cfg], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      await until('ready', () => out.includes('"msg":"ready"'), 45_000);
      return { child, log: () => out };
    };
    const deliver = async (data: string): Promise<{ reply: string; ms: number }> => {
      const w = await Wire.open({ port });
      await w.reply();
      await w.cmd('EHLO test.example');
      await w.cmd('MAIL FROM:<>');
      await w.cmd('RCPT TO:<bounces@bounces.test>');
      await w.cmd('DATA');
      const t0 = performance.now();
      w.sock.write(`${data}\r\n.\r\n`);
      const reply = await w.reply();
      const ms = performance.now() - t0;
      await w.cmd('QUIT');
      return { reply, ms };
    };
    // One reader for the whole test (a fresh connection 20 times a second made SQLite's WAL read
    // path spin in the daemon: test/store/write-faults.test.ts).
    let reader: Database.Database | null = null;
    const read = (): Database.Database => (reader ??= new Database(db, { readonly: true, fileMustExist: true }));
    const rows = (): { state: string; error: string | null }[] =>
      read().prepare('SELECT state, error FROM messages ORDER BY id').all() as { state: string; error: string | null }[];
    const stateOf = (): Map<string, string> =>
      new Map((read().prepare('SELECT id, state FROM messages').all() as { id: number; state: string }[]).map((r) => [String(r.id), r.state]));
    const ask = async (verb: string): Promise<Record<string, unknown>> => {
      const c = new LineClient(sock);
      try {
        return await c.ask(verb);
      } finally {
        c.close();
      }
    };

    // First run: the poison message is acknowledged (its bytes are durable), then the daemon is
    // killed before its analysis could end: the row stays pending.
    let d = await start();
    expect((await deliver(numberedBounce(0, 'SPIN FOREVER'))).reply).toMatch(/^250/);
    d.child.kill('SIGKILL');
    await new Promise((r) => d.child.once('exit', r));
    expect(stateOf().get('1')).toBe('pending');

    // Next start: the pending sweep takes the poison message first. Twenty senders deliver while
    // it spins; a message that eats the worker's heap comes too.
    d = await start();
    const t0 = Date.now();
    const others = await Promise.all(Array.from({ length: 20 }, (_, i) => deliver(numberedBounce(i + 1))));
    const deliveredAfter = Date.now() - t0;
    for (const o of others) expect(o.reply).toMatch(/^250/);
    // Every 250 came while the poison message was still in its analysis (pending, deadline 6 s):
    // the acknowledgements did not wait for it. Before: none until its parse ended.
    expect(stateOf().get('1')).toBe('pending');
    expect(deliveredAfter).toBeLessThan(6000);
    expect((await deliver(numberedBounce(99, 'EAT ALL MEMORY'))).reply).toMatch(/^250/);

    // Then it is abandoned at its deadline and stored failed with the reason; everything behind it
    // is processed, with no second restart.
    await until('every message finished', () => [...stateOf().values()].every((s) => s !== 'pending'), 60_000).catch(async (e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(rows())}\nhealth: ${JSON.stringify(await ask('health'))}\n${d.log().split('\n').filter((l) => !l.includes('"message accepted"')).join('\n').slice(-4000)}`);
    });
    const all = rows();
    expect(all[0]).toMatchObject({ state: 'failed', error: expect.stringMatching(/^analyze: over the 6 s analysis deadline; abandoned/) });
    expect(all.filter((r) => r.state === 'processed')).toHaveLength(20);
    const eater = all.find((r) => r.error?.includes('heap'));
    expect(eater).toMatchObject({ state: 'failed', error: expect.stringMatching(/^analyze: over the 64 MB heap of the analysis worker; abandoned/) });
    expect(all).toHaveLength(22);

    // Health and metrics say so.
    const h = (await ask('health')) as { healthy: boolean; components: Record<string, { ok: boolean; detail?: string }> };
    expect(h.components.analysis).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/abandoned 1 over the deadline, 1 out of memory, 0 crashed; worker restarts 2; last: memory at /),
    });
    const m = String((await ask('metrics')).metrics);
    expect(m).toMatch(/^rebound_analysis_abandoned_total\{why="deadline"\} 1$/m);
    expect(m).toMatch(/^rebound_analysis_abandoned_total\{why="memory"\} 1$/m);
    expect(m).toMatch(/^rebound_analysis_worker_restarts_total 2$/m);
    expect(d.log()).not.toMatch(/"msg":"ready"[\s\S]*"msg":"ready"/);
    (reader as Database.Database | null)?.close();
    d.child.kill('SIGTERM');
    await new Promise((r) => d.child.once('exit', r));
  }, 150_000);
});
