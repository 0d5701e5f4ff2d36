/**
 * The store commands as an operator runs them: `node dist/main.js <command> --db FILE`, on the
 * bounce fixtures in test/fixtures/store/. dist/ is built by test/support/global-setup.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const main = join(root, 'dist', 'main.js');
const fix = join(root, 'test', 'fixtures', 'store');
const dir = mkdtempSync(join(tmpdir(), 'rebound-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const db = join(dir, 'data', 'r.db');

function rebound(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [main, ...args, '--db', db], {
    encoding: 'utf8',
    input,
    env: { ...process.env, REBOUND_CONFIG: '' },
    timeout: 20_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('store CLI commands', () => {
  it('queries refuse to create a missing database', () => {
    const r = spawnSync(process.execPath, [main, 'status', 'a@b.example', '--db', join(dir, 'nope', 'x.db')], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no database at .*nope\/x\.db/);
  });

  it('ingest stores and processes a directory and prints a summary', () => {
    const r = rebound(['ingest', fix, '--json']);
    expect(r.err).toBe('');
    const s = JSON.parse(r.out) as Record<string, unknown>;
    // malformed.eml fails (kept, exit 1); the rest are processed or not bounces.
    expect(s).toMatchObject({ messages: 11, stored: 11, duplicates: 0, failed: 1, unreadable: 0 });
    expect(s.byCategory).toMatchObject({ '1': 2, '2': 1, '3': 1 });
    expect(r.code).toBe(1);
  });

  it('ingest of the same files again changes nothing (human summary)', () => {
    const r = rebound(['ingest', join(fix, 'user-unknown-511.eml'), join(fix, 'spam-block-571.eml')]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('2 read, 0 stored, 2 duplicates');
  });

  it('ingest reads stdin', () => {
    const raw = readFileSync(join(fix, 'mailbox-full.eml'), 'utf8').replace('erin@full.example', 'zed@full.example');
    const r = rebound(['ingest', '-', '--json'], raw);
    expect(JSON.parse(r.out)).toMatchObject({ messages: 1, stored: 1, processed: 1 });
  });

  it('status shows the verdict, human and JSON', () => {
    const h = rebound(['status', 'Bob@Invalid.Example']);
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/may send now: +no - invalid/);
    expect(h.out).toContain('User unknown in virtual mailbox table');
    const j = JSON.parse(rebound(['status', 'carol@blocked.example', '--json']).out) as Record<string, unknown>;
    expect(j).toMatchObject({ emailSuspended: true, emailInvalid: false });
  });

  it('list --invalid / --suspended / --complained, as text, JSON and CSV', () => {
    expect(rebound(['list', '--invalid']).out).toMatch(/^bob@invalid\.example\t2026-01-10T12:00:00\.000Z\t550 5\.1\.1/);
    const csv = rebound(['list', '--suspended', '--csv']).out.split('\r\n');
    expect(csv[0]).toBe('address,at,cause,until,active');
    expect(csv.slice(1).filter(Boolean).map((l) => l.split(',')[0]).sort()).toEqual(['carol@blocked.example', 'dave@filtered.example']);
    const js = rebound(['list', '--complained', '--json']).out.trim().split('\n').map((l) => JSON.parse(l) as { address: string });
    expect(js.map((x) => x.address)).toEqual(['grace@complainer.example']);
    expect(rebound(['list', '--invalid', '--since', '2030-01-01']).out).toBe('');
    expect(rebound(['list']).code).toBe(2);
  });

  it('reset needs a reason, clears the flag and is audited in history', () => {
    expect(rebound(['reset', 'bob@invalid.example', '--invalid']).code).toBe(2);
    const r = rebound(['reset', 'bob@invalid.example', '--invalid', '--reason', 'confirmed by phone', '--who', 'ops-anna']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/bob@invalid\.example: invalid reset \(audit #\d+\)/);
    expect(rebound(['status', 'bob@invalid.example']).out).toMatch(/may send now: +yes/);
    const h = rebound(['history', 'bob@invalid.example']).out;
    expect(h).toMatch(/reset +invalid by ops-anna: confirmed by phone/);
    expect(h).toContain('userunknown cat 2');
  });

  it('import reads a suppression CSV; export writes it back', () => {
    const csv = join(dir, 'suppress.csv');
    writeFileSync(csv, 'Email,Type,Reason,Date\r\nold1@legacy.example,hard,"550 no such user, really",2025-12-01\r\nold2@legacy.example,spam,,\r\nnot-an-address,hard,,\r\nold3@legacy.example,weird,,\r\n');
    const r = rebound(['import', csv, '--who', 'migration']);
    expect(r.out).toContain('imported 2 addresses, skipped 2');
    expect(r.err).toContain(':4: skipped "not-an-address"');
    expect(r.err).toContain(':5: skipped "old3@legacy.example": unknown type');
    expect(rebound(['status', 'old1@legacy.example', '--json']).out).toContain('"emailInvalidCause":"550 no such user, really"');
    const out = join(dir, 'export.csv');
    expect(rebound(['export', '--csv', '--flagged', '--out', out]).code).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\r\n');
    expect(lines[0]).toMatch(/^address,email_invalid,email_invalid_cause,/);
    expect(lines.find((l) => l.startsWith('old1@legacy.example'))).toContain('"550 no such user, really"');
    expect(lines.some((l) => l.startsWith('old2@legacy.example'))).toBe(true);
    // The export imports into a fresh database with the same flags.
    const other = join(dir, 'other.db');
    const r2 = spawnSync(process.execPath, [main, 'import', out, '--db', other, '--json'], { encoding: 'utf8' });
    expect(JSON.parse(r2.stdout)).toMatchObject({ imported: lines.length - 1 + 0 });
  });

  it('stats and reprocess', () => {
    const s = JSON.parse(rebound(['stats', '--json']).out) as { messages: Record<string, number> };
    expect(s.messages).toMatchObject({ total: 12, failed: 1, pending: 0 });
    const r = rebound(['reprocess', '--failed']);
    expect(r.out).toContain('reprocessed 1 message(s): failed 1');
    expect(rebound(['reprocess']).code).toBe(2);
    expect(rebound(['stats']).out).toMatch(/^messages: +12 /);
  });

  it('a config file sets the database path and state rules; a bad one exits 2', () => {
    const cfg = join(dir, 'rebound.toml');
    writeFileSync(cfg, `[store]\npath = "${join(dir, 'from-config.db')}"\n[state]\nsuspendHours = 48\n`);
    const r = spawnSync(process.execPath, [main, 'ingest', join(fix, 'spam-block-571.eml'), '--config', cfg, '--json'], { encoding: 'utf8' });
    expect(JSON.parse(r.stdout)).toMatchObject({ stored: 1 });
    const st = spawnSync(process.execPath, [main, 'status', 'carol@blocked.example', '-c', cfg, '--json'], { encoding: 'utf8' });
    const j = JSON.parse(st.stdout) as { emailSuspendedAt: number; mayISend: { until?: number } };
    // 48 h after the bounce (if still in the future at test time; else the window has passed).
    if (j.mayISend.until !== undefined) expect(j.mayISend.until - j.emailSuspendedAt).toBe(48 * 3_600_000);
    writeFileSync(cfg, `[store]\nbogus = 1\n`);
    expect(spawnSync(process.execPath, [main, 'stats', '-c', cfg], { encoding: 'utf8' }).status).toBe(2);
  });
});
