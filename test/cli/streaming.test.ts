/**
 * Output commands stream (issue 18): `rebound export`, `list`, `history` write as they read and
 * stop quietly when the reader goes away, through a real shell pipe (`| head -3`); `list` runs over
 * 300,000 flagged addresses inside a 24 MB V8 heap (the whole list held at once needs several times
 * that); `rebound verify-state` reports, exits 1, repairs.
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { openProcessingStore } from '../support/pipeline.js';
import { privateApp, runNode } from '../support/app.js';

const dir = mkdtempSync(join(tmpdir(), 'rebound-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const main = privateApp(dir);
const db = join(dir, 'big.db');
const env = { ...process.env, REBOUND_CONFIG: '', REBOUND_LOG_LEVEL: 'silent' };
const ROWS = 300_000;
const T0 = Date.UTC(2026, 0, 1);

/** `sh -c "node main.js ARGS | head -N; ..."`: rebound's own exit status and stderr, head's lines. */
function piped(args: string, lines: number): Promise<{ out: string; err: string; status: number }> {
  return new Promise((resolve, reject) => {
    // The exit status of the left side of the pipe, written to fd 3 of the shell (not to head).
    const script = `{ "${process.execPath}" "${main}" ${args} --db "${db}" 2>"${dir}/err.txt"; echo $? >&3; } 3>"${dir}/status.txt" | head -${lines}`;
    const p = spawn('sh', ['-c', script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('close', async () => {
      const { readFileSync } = await import('node:fs');
      resolve({ out, err: readFileSync(join(dir, 'err.txt'), 'utf8'), status: Number(readFileSync(join(dir, 'status.txt'), 'utf8').trim()) });
    });
  });
}

beforeAll(() => {
  // A store with real migrations, then ROWS invalid addresses written directly (fast), and one
  // address with a long history of operator actions.
  openStore({ path: db }).close();
  const d = new Database(db);
  d.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
     INSERT INTO addresses (address, email_invalid, email_invalid_cause, email_invalid_at, events, updated_at)
     SELECT printf('user%07d@d%d.example', i, i % 97), 1, '550 5.1.1 user unknown (a rather long diagnostic as real servers write)', ? + i, 1, ? FROM n`,
  ).run(ROWS, T0, T0);
  d.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
     INSERT INTO address_actions (address, action, what, reason, who, at) SELECT 'role@x.example', 'import', 'complained', 'list ' || i, 'op', ? + i FROM n`,
  ).run(T0);
  d.close();
}, 60_000);

describe('output commands stream and stop quietly', { timeout: 120_000 }, () => {
  it('export --json | head -3: three lines, no EPIPE trace, exit 0', async () => {
    const r = await piped('export --json', 3);
    expect(r.out.trim().split('\n')).toHaveLength(3);
    expect(JSON.parse(r.out.split('\n')[0]!)).toMatchObject({ address: 'user0000001@d1.example', emailInvalid: true });
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
  });

  it('export --csv, list --invalid, history --all | head: the same', async () => {
    for (const [args, first] of [
      ['export --csv', 'address,email_invalid'],
      ['list --invalid --json', '{"address":"user0000001@d1.example"'],
      ['list --invalid', 'user0000001@d1.example\t'],
      ['history role@x.example --all', '2026-01-01T00:00:20.000Z  import    complained by op: list 20000'],
    ] as const) {
      const r = await piped(args, 2);
      expect(r.out.startsWith(first), `${args}: ${r.out.slice(0, 200)}`).toBe(true);
      expect(r.err, args).toBe('');
      expect(r.status, args).toBe(0);
    }
  });

  it('list --invalid over 300,000 addresses fits a 24 MB heap (written as read)', async () => {
    const r = await runNode(['--max-old-space-size=24', main, 'list', '--invalid', '--json', '--db', db], { env });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines).toHaveLength(ROWS);
    expect(JSON.parse(lines[ROWS - 1]!)).toMatchObject({ address: `user0${ROWS}@d${ROWS % 97}.example` });
  });

  it('verify-state: reports a row that differs from its history (exit 1), repairs it, then is clean', async () => {
    const small = join(dir, 'small.db');
    const store = openProcessingStore({
      path: small,
      analyze: () => ({
        type: 'bounce',
        decodedBy: 't',
        problems: [],
        recipients: [
          {
            address: 'gone@x.example', action: 'failed', status: '5.1.1', replyCode: '550', reason: 'userunknown', hard: true, category: 2,
            likelyFalsePositive: false, evidence: '', diagnostic: '550 5.1.1 gone', remoteMta: '', feedbackType: '',
          },
        ],
      }),
    });
    const { id } = store.saveMessage({ source: 'file', origin: 't', mailFrom: '', rcptTo: [], receivedAt: T0 }, Buffer.from('x'));
    await store.processMessage(id);
    store.close();
    const run = (...args: string[]) => runNode([main, 'verify-state', '--db', small, ...args], { env });
    let r = await run();
    expect([r.code, r.out, r.err]).toEqual([0, '', 'verify-state: 1 address checked, 0 differ\n']);

    const d = new Database(small);
    d.prepare("UPDATE addresses SET email_invalid = 0, events = 7 WHERE address = 'gone@x.example'").run();
    d.prepare("INSERT INTO addresses (address, events, updated_at) VALUES ('ghost@x.example', 1, 0)").run();
    d.close();
    r = await run();
    expect(r.code).toBe(1);
    expect(r.out).toBe('ghost@x.example: row, but no history\ngone@x.example: emailInvalid false -> true, events 7 -> 1\n');
    expect(r.err).toBe('verify-state: 2 addresses checked, 2 differ\n');
    r = await run('--json', '--address', 'GONE@x.example');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ address: 'gone@x.example', fields: ['emailInvalid', 'events'], repaired: false });
    r = await run('--repair');
    expect(r.code).toBe(0);
    expect(r.err).toBe('verify-state: 2 addresses checked, 2 differ, 2 repaired\n');
    r = await run();
    expect([r.code, r.out]).toEqual([0, '']);
    expect(r.err).toBe('verify-state: 1 address checked, 0 differ\n');
  });
});
