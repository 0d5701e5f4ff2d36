/**
 * The store commands as an operator runs them: `node dist/main.js <command> --db FILE`, on the
 * bounce fixtures in test/fixtures/store/. dist/ is built by test/support/global-setup.ts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { privateApp, runNode, type RunResult } from '../support/app.js';

const root = join(import.meta.dirname, '..', '..');
const fix = join(root, 'test', 'fixtures', 'store');
const dir = mkdtempSync(join(tmpdir(), 'rebound-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const main = privateApp(dir);
const db = join(dir, 'data', 'r.db');

/** `node main.js args...` (test/support/app.ts). */
function node(args: string[], input?: string, env: NodeJS.ProcessEnv = process.env): Promise<RunResult> {
  return runNode([main, ...args], { input, env });
}

/** stdout of a run that must succeed; on failure the assertion shows stderr. */
function ok(r: { code: number | null; out: string; err: string }): string {
  expect(r.code, r.err).toBe(0);
  return r.out;
}

const hasScript = spawnSync('sh', ['-c', 'command -v script'], { encoding: 'utf8' }).status === 0;

const rebound = (args: string[], input?: string) => node([...args, '--db', db], input, { ...process.env, REBOUND_CONFIG: '' });

// Each test spawns several CLI processes; on a loaded 2-core machine one can take seconds.
describe('store CLI commands', { timeout: 120_000 }, () => {
  it('queries refuse to create a missing database', async () => {
    const r = await node(['status', 'a@b.example', '--db', join(dir, 'nope', 'x.db')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no database at .*nope\/x\.db/);
  });

  it('ingest stores and processes a directory and prints a summary', async () => {
    const r = await rebound(['ingest', fix, '--json']);
    expect(r.err).toBe('');
    const s = JSON.parse(r.out) as Record<string, unknown>;
    // malformed.eml fails (kept and marked, still exit 0); the rest are processed or not bounces.
    expect(s).toMatchObject({ messages: 11, stored: 11, duplicates: 0, failed: 1, unreadable: 0 });
    expect(s.byCategory).toMatchObject({ '1': 2, '2': 1, '3': 1 });
    expect(r.code).toBe(0);
    // An unreadable path is an error (exit 1) after the rest is done.
    const bad = await rebound(['ingest', join(dir, 'does-not-exist.eml'), '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.out)).toMatchObject({ unreadable: 1, messages: 0 });
  });

  it('ingest of the same files again changes nothing (human summary)', async () => {
    const r = await rebound(['ingest', join(fix, 'user-unknown-511.eml'), join(fix, 'spam-block-571.eml')]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('2 read, 0 stored, 2 duplicates');
  });

  it.skipIf(!hasScript)('ingest shows a progress bar on a terminal (util-linux script gives it a pty)', async () => {
    const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(main)} ingest ${JSON.stringify(join(fix, 'delayed.eml'))} --db ${JSON.stringify(join(dir, 'tty.db'))}`;
    const out = await new Promise<string>((resolve) => {
      const p = spawn('script', ['-qec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let o = '';
      p.stdout.on('data', (d: Buffer) => (o += d.toString()));
      p.on('close', () => resolve(o));
      p.stdin.end();
    });
    // The bar follows the bytes read (ETA from the input size); the text counts messages and the rate.
    expect(out).toMatch(/ingest \[=+\] 100% \| 1 messages \| \d+ msg\/s \| ETA \d+s \| 0 bounces/);
    expect(out).toContain('1 read, 1 stored');
  });

  it('ingest reads stdin', async () => {
    const raw = readFileSync(join(fix, 'mailbox-full.eml'), 'utf8').replace('erin@full.example', 'zed@full.example');
    const r = await rebound(['ingest', '-', '--json'], raw);
    expect(JSON.parse(r.out)).toMatchObject({ messages: 1, stored: 1, processed: 1 });
  });

  it('status shows the verdict, human and JSON', async () => {
    const h = await rebound(['status', 'Bob@Invalid.Example']);
    // The exit status is the verdict (5 invalid), like postmap -q's 1 for a missing key.
    expect(h.code).toBe(5);
    expect(h.out).toMatch(/may send now: +no - invalid/);
    expect(h.out).toContain('User unknown in virtual mailbox table');
    const j = JSON.parse(ok(await rebound(['status', 'carol@blocked.example', '--json']))) as Record<string, unknown>;
    expect(j).toMatchObject({ emailSuspended: true, emailInvalid: false });
  });

  it('list --invalid / --suspended / --complained, as text, JSON and CSV', async () => {
    expect((await rebound(['list', '--invalid'])).out).toMatch(/^bob@invalid\.example\t2026-01-10T12:00:00\.000Z\t550 5\.1\.1/);
    const csv = (await rebound(['list', '--suspended', '--csv'])).out.split('\r\n');
    expect(csv[0]).toBe('address,at,cause,until,active');
    expect(csv.slice(1).filter(Boolean).map((l) => l.split(',')[0]).sort()).toEqual(['carol@blocked.example', 'dave@filtered.example']);
    const js = (await rebound(['list', '--complained', '--json'])).out.trim().split('\n').map((l) => JSON.parse(l) as { address: string });
    expect(js.map((x) => x.address)).toEqual(['grace@complainer.example']);
    expect((await rebound(['list', '--invalid', '--since', '2030-01-01'])).out).toBe('');
    expect((await rebound(['list'])).code).toBe(2);
  });

  it('reset needs a reason, clears the flag and is audited in history', async () => {
    expect((await rebound(['reset', 'bob@invalid.example', '--invalid'])).code).toBe(2);
    const r = await rebound(['reset', 'bob@invalid.example', '--invalid', '--reason', 'confirmed by phone', '--who', 'ops-anna']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/bob@invalid\.example: invalid reset \(audit #\d+\)/);
    expect((await rebound(['status', 'bob@invalid.example'])).out).toMatch(/may send now: +yes/);
    const h = (await rebound(['history', 'bob@invalid.example'])).out;
    expect(h).toMatch(/reset +invalid by ops-anna: confirmed by phone/);
    expect(h).toContain('userunknown cat 2');
  });

  it('import reads a suppression CSV; export writes it back', async () => {
    const csv = join(dir, 'suppress.csv');
    writeFileSync(csv, 'Email,Type,Reason,Date\r\nold1@legacy.example,hard,"550 no such user, really",2025-12-01\r\nold2@legacy.example,spam,,\r\nnot-an-address,hard,,\r\nold3@legacy.example,weird,,\r\n');
    const r = await rebound(['import', csv, '--who', 'migration']);
    expect(r.out).toContain('imported 2 addresses, skipped 2');
    expect(r.err).toContain(':4: skipped "not-an-address"');
    expect(r.err).toContain(':5: skipped "old3@legacy.example": unknown type');
    expect((await rebound(['status', 'old1@legacy.example', '--json'])).out).toContain('"emailInvalidCause":"550 no such user, really"');
    const out = join(dir, 'export.csv');
    expect((await rebound(['export', '--csv', '--flagged', '--out', out])).code).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\r\n');
    expect(lines[0]).toMatch(/^address,email_invalid,email_invalid_cause,/);
    expect(lines.find((l) => l.startsWith('old1@legacy.example'))).toContain('"550 no such user, really"');
    expect(lines.some((l) => l.startsWith('old2@legacy.example'))).toBe(true);
    // The export imports into a fresh database with the same flags.
    const other = join(dir, 'other.db');
    const r2 = await node(['import', out, '--db', other, '--json']);
    expect(JSON.parse(r2.out)).toMatchObject({ imported: lines.length - 1 + 0 });
  });

  it('stats and reprocess', async () => {
    const s = JSON.parse(ok(await rebound(['stats', '--json']))) as { messages: Record<string, number> };
    expect(s.messages).toMatchObject({ total: 12, failed: 1, pending: 0 });
    const r = await rebound(['reprocess', '--failed']);
    expect(r.out).toContain('reprocessed 1 message(s): failed 1');
    expect((await rebound(['reprocess'])).code).toBe(2);
    expect((await rebound(['stats'])).out).toMatch(/^messages: +12 /);
  });

  it('a config file sets the database path and state rules; a bad one exits 2', async () => {
    const cfg = join(dir, 'rebound.toml');
    writeFileSync(cfg, `[store]\npath = "${join(dir, 'from-config.db')}"\n[state]\nsuspendHours = 48\n`);
    const r = await node(['ingest', join(fix, 'spam-block-571.eml'), '--config', cfg, '--json']);
    expect(JSON.parse(r.out)).toMatchObject({ stored: 1 });
    const st = await node(['status', 'carol@blocked.example', '-c', cfg, '--json']);
    expect(st.code, st.err).toBe(0);
    const j = JSON.parse(st.out) as { emailSuspendedAt: number; mayISend: { until?: number } };
    // 48 h after the bounce (if still in the future at test time; else the window has passed).
    if (j.mayISend.until !== undefined) expect(j.mayISend.until - j.emailSuspendedAt).toBe(48 * 3_600_000);
    writeFileSync(cfg, `[store]\nbogus = 1\n`);
    expect((await node(['stats', '-c', cfg])).code).toBe(2);
  });
});
