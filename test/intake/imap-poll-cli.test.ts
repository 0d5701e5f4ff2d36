/**
 * `rebound poll` through the built binary against a real private Dovecot: a backfill larger than
 * maxMessagesPerRun with --until-empty, a second run that finds nothing, --mailbox selection,
 * an unknown mailbox (exit 2) and a wrong password (exit 1, clear error, password not shown),
 * which `rebound stats` then reports as that mailbox's last error.
 * Skips (with the reason) without Dovecot, except under CI.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { bounce, dovecotMissing, startDovecot, type Dovecot } from '../support/dovecot.js';

const missing = dovecotMissing();
const root = new URL('../..', import.meta.url).pathname;
const run = promisify(execFile);
const WRONG = 'not-the-pw-5521';

async function rebound(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [join(root, 'dist/main.js'), ...args], { env: { ...process.env, REBOUND_LOG_LEVEL: 'silent' } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe.skipIf(missing !== '')(`rebound poll${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let dv: Dovecot;
  let dir = '';
  let cfg = '';
  let db = '';

  beforeAll(async () => {
    dv = await startDovecot();
    await dv.append('backfill', Array.from({ length: 60 }, (_, i) => bounce(i % 2 ? 'user-unknown' : 'mailbox-full', 5000 + i)));
    dir = mkdtempSync(join(tmpdir(), 'rebound-poll-cli-'));
    db = join(dir, 'rebound.db');
    cfg = join(dir, 'rebound.toml');
    const mb = (name: string, password: string) =>
      [
        '[[imap.mailboxes]]',
        `name = "${name}"`,
        `host = "${dv.host}"`,
        `port = ${dv.port}`,
        'tls = "none"',
        `user = "${dv.user}"`,
        `password = "${password}"`,
        'folders = ["backfill"]',
        'maxMessagesPerRun = 25',
        'moveTo.processed = "backfill-done"',
      ].join('\n');
    writeFileSync(cfg, [`[store]\npath = "${db}"`, mb('main', dv.password), mb('broken', WRONG)].join('\n') + '\n');
  });
  afterAll(async () => {
    await dv?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('backfills one mailbox past maxMessagesPerRun with --until-empty, then finds nothing new', async () => {
    const a = await rebound(['poll', '-c', cfg, '--mailbox', 'main', '--until-empty', '--json']);
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    const sa = JSON.parse(a.stdout) as { seconds: number; rate: number };
    expect(sa).toMatchObject({ mailbox: 'main', ok: true, passes: 3, fetched: 60, stored: 60, duplicates: 0, backlog: 0 });
    // The rate reported is messages fetched per second over the passes.
    expect(sa.rate).toBe(Math.round(60 / sa.seconds));

    const b = await rebound(['poll', '-c', cfg, '--mailbox', 'main']);
    expect(b.code).toBe(0);
    expect(b.stdout).toMatch(/^main: fetched 0, stored 0, duplicates 0; processed 0, not-a-bounce 0, failed 0; backlog 0 \(done\) in \d+\.\d s, 0 msg\/s\n$/);

    const s = openStore({ path: db, readonly: true });
    try {
      expect(s.stats().messages.total).toBe(60);
      expect(s.stats().messages.processed).toBe(60);
    } finally {
      s.close();
    }
    expect(await dv.count('backfill-done')).toBe(60);
  });

  it('exits 2 for an unknown mailbox and 1 with a clear error for a wrong password', async () => {
    const u = await rebound(['poll', '-c', cfg, '--mailbox', 'nope']);
    expect(u.code).toBe(2);
    expect(u.stderr).toContain('no IMAP mailbox named "nope"; configured: main, broken');

    const w = await rebound(['poll', '-c', cfg, '--mailbox', 'broken']);
    expect(w.code).toBe(1);
    expect(w.stderr).toMatch(/^rebound poll: imap mailbox "broken" \(bounces@127\.0\.0\.1:\d+\): login failed for user "bounces": Authentication failed\.\n$/);
    expect(w.stderr + w.stdout).not.toContain(WRONG);

    // `rebound stats` (a separate process) shows both mailboxes' last passes from the store.
    const st = await rebound(['stats', '-c', cfg, '--json']);
    expect(st.code, st.stderr).toBe(0);
    expect(st.stdout).not.toContain(WRONG);
    const imap = (JSON.parse(st.stdout) as { imap: Record<string, unknown>[] }).imap;
    expect(imap.map((h) => h.mailbox)).toEqual(['broken', 'main']);
    expect(imap[0]).toMatchObject({ lastSuccessAt: null, backlog: null, messagesLastRun: null, lastErrorAt: expect.any(Number) });
    expect(imap[0]!.lastError).toMatch(/^imap mailbox "broken" \(bounces@127\.0\.0\.1:\d+\): login failed for user "bounces": Authentication failed\.$/);
    expect(imap[1]).toMatchObject({ lastError: null, backlog: 0, messagesLastRun: 0, lastSuccessAt: expect.any(Number) });
    const human = await rebound(['stats', '-c', cfg]);
    expect(human.stdout).toMatch(/^ {2}broken: FAILING; .*last error .*login failed/m);
    expect(human.stdout).toMatch(/^ {2}main: ok; /m);
  });
});
