/**
 * The store commands on both backends, as an operator runs them (`node dist/main.js`): the same
 * bounces (test/fixtures/store/) and operator actions put into a SQLite file and a PostgreSQL
 * database, then every command that reads or changes the store - status, check, history, list,
 * export, stats, verify-state, reset, import, backup - run once with `--db FILE` and once with a
 * config naming the PostgreSQL store (store.backend = "postgresql"). The commands have no backend
 * branch (they use the one seam, src/store/api.ts StoreApi): their output and exit status must be
 * the same, byte for byte, except where the backends differ on purpose (backup: pg_dump).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { StoreApi } from '../../src/store/index.js';
import { privateApp, runNode, type RunResult } from '../support/app.js';
import { processing, storeBackends } from '../support/store-backends.js';

const root = join(import.meta.dirname, '..', '..');
const fix = join(root, 'test', 'fixtures', 'store');
const T = Date.UTC(2026, 0, 10, 12, 0, 0);
const NOW = '2026-01-10T13:00:00Z';
const [sqlite, postgresql] = storeBackends as [(typeof storeBackends)[0], (typeof storeBackends)[1]];

describe.skipIf(postgresql.skip !== '')(postgresql.title('store CLI commands on both backends'), { timeout: 180_000 }, () => {
  let main: string;
  let dir: string;
  /** Arguments naming each store: the SQLite file, the config of the PostgreSQL database. */
  const where: { sqlite: string[]; postgresql: string[] } = { sqlite: [], postgresql: [] };
  const env = { ...process.env, REBOUND_CONFIG: '' };

  async function seed(store: StoreApi): Promise<void> {
    const p = processing(store);
    const files = readdirSync(fix).filter((f) => f.endsWith('.eml')).sort();
    for (const [i, f] of files.entries()) {
      await store.saveMessage({ source: 'file', origin: f, mailFrom: '', rcptTo: ['bounces@bounces.example'], receivedAt: T + i }, readFileSync(join(fix, f)));
    }
    expect(await p.processPending()).toBe(files.length);
    await store.importSuppressions(
      [
        { address: 'old1@legacy.example', what: 'invalid', cause: '550 no such user', at: T - 86_400_000 },
        { address: 'old2@legacy.example', what: 'complained', cause: 'abuse desk', at: T - 3_600_000 },
      ],
      'seed',
    );
  }

  beforeAll(async () => {
    const lite = await sqlite.open({ clock: () => T });
    const pg = await postgresql.open({ clock: () => T });
    await seed(lite);
    await seed(pg);
    dir = join(lite.path, '..');
    main = privateApp(join(dir, 'app'));
    where.sqlite = ['--db', lite.path];
    const cfg = join(dir, 'pg.toml');
    writeFileSync(cfg, `[store]\nbackend = "postgresql"\nurl = "${pg.path}"\ntls = "off"\n`);
    where.postgresql = ['-c', cfg];
    // The commands open the stores themselves; these handles close after this hook's "test".
  });

  /** The same command on both stores, at once. */
  async function both(args: string[], input?: string): Promise<{ sqlite: RunResult; postgresql: RunResult }> {
    const [a, b] = await Promise.all([runNode([main, ...args, ...where.sqlite], { input, env }), runNode([main, ...args, ...where.postgresql], { input, env })]);
    return { sqlite: a!, postgresql: b! };
  }

  /** Both runs: the same stdout and exit status; returns them. */
  async function same(args: string[], input?: string): Promise<RunResult> {
    const r = await both(args, input);
    expect(r.postgresql.err, `${args.join(' ')} on postgresql`).not.toMatch(/^rebound: /m);
    expect({ out: r.postgresql.out, code: r.postgresql.code }, args.join(' ')).toEqual({ out: r.sqlite.out, code: r.sqlite.code });
    return r.sqlite;
  }

  it('status and check: the same verdicts, causes and exit statuses', async () => {
    const inv = await same(['status', 'bob@invalid.example', '--now', NOW]);
    expect(inv.code).toBe(5);
    expect(inv.out).toMatch(/may send now: +no - invalid/);
    const sus = await same(['status', 'Carol@Blocked.example', '--json', '--now', NOW]);
    expect(JSON.parse(sus.out)).toMatchObject({ address: 'carol@blocked.example', emailSuspended: true, mayISend: { verdict: 'suspended' } });
    expect((await same(['status', 'nobody@nowhere.example', '--now', NOW])).code).toBe(0);
    const chk = await same(['check', 'bob@invalid.example', 'grace@complainer.example', 'old1@legacy.example', 'nobody@x.example', '--now', NOW]);
    expect(chk.code).toBe(5);
    expect(chk.out.split('\n').filter(Boolean).map((l) => l.split('\t')[1])).toEqual(['invalid', 'complained', 'invalid', 'ok']);
    expect((await same(['check', '--json', '-', '--now', NOW], 'carol@blocked.example\n')).code).toBe(3);
  });

  it('history, list and export: the same rows in the same order', async () => {
    const h = await same(['history', 'bob@invalid.example', '--json']);
    expect(h.out.trim().split('\n').map((l) => (JSON.parse(l) as { reason?: string }).reason)).toContain('userunknown');
    expect((await same(['history', 'nobody@x.example'])).out).toBe('no history for nobody@x.example\n');
    for (const kind of ['--invalid', '--suspended', '--complained']) {
      await same(['list', kind, '--now', NOW]);
      await same(['list', kind, '--json', '--now', NOW]);
    }
    const csv = await same(['list', '--suspended', '--csv', '--active', '--now', NOW]);
    expect(csv.out.split('\r\n')[0]).toBe('address,at,cause,until,active');
    expect((await same(['list', '--invalid', '--since', '2026-01-10T00:00Z'])).out).not.toContain('old1@legacy.example');
    const exp = await same(['export', '--csv']);
    expect(exp.out.split('\r\n').filter(Boolean).length).toBeGreaterThan(5);
    await same(['export', '--json', '--flagged']);
  });

  it('stats and verify-state agree', async () => {
    const s = JSON.parse((await same(['stats', '--json', '--now', NOW])).out) as { messages: Record<string, number> };
    expect(s.messages).toMatchObject({ total: readdirSync(fix).filter((f) => f.endsWith('.eml')).length, pending: 0 });
    await same(['stats', '--now', NOW]);
    const v = await both(['verify-state', '--no-progress']);
    expect(v.sqlite.code).toBe(0);
    expect({ code: v.postgresql.code, err: v.postgresql.err }).toEqual({ code: v.sqlite.code, err: v.sqlite.err });
  });

  it('reset and import change both stores alike, audited', async () => {
    const r = await same(['reset', 'bob@invalid.example', '--invalid', '--reason', 'confirmed by phone', '--who', 'ops-anna']);
    expect(r.out).toMatch(/bob@invalid\.example: invalid reset \(audit #\d+\)/);
    expect((await same(['status', 'bob@invalid.example', '--now', NOW])).code).toBe(0);
    // The reset's time is each command's own clock: the rest of the history is the same.
    const h = await both(['history', 'bob@invalid.example']);
    const noResetTime = (out: string) => out.replace(/^\S+Z(?=  reset )/gm, 'TIME');
    expect(noResetTime(h.postgresql.out)).toEqual(noResetTime(h.sqlite.out));
    expect(h.sqlite.out).toMatch(/reset +invalid by ops-anna: confirmed by phone\n.*userunknown cat 2/);
    const csv = join(dir, 'suppress.csv');
    writeFileSync(csv, 'Email,Type,Reason,Date\r\nnew1@legacy.example,hard,"550 gone",2025-12-01\r\nnot-an-address,hard,,\r\n');
    const b = await both(['import', csv, '--who', 'migration']);
    expect({ out: b.postgresql.out, err: b.postgresql.err, code: b.postgresql.code }).toEqual({ out: b.sqlite.out, err: b.sqlite.err, code: b.sqlite.code });
    expect(b.sqlite.out).toContain('imported 1 address, skipped 1');
    expect((await same(['check', 'new1@legacy.example', '--now', NOW])).code).toBe(5);
    await same(['export', '--csv']);
  });

  it('backup: a copy of the SQLite file; on PostgreSQL it names pg_dump and writes nothing (exit 1)', async () => {
    const file = join(dir, 'copy.db');
    const lite = await runNode([main, 'backup', file, ...where.sqlite], { env });
    expect(lite.code, lite.err).toBe(0);
    expect((await runNode([main, 'check', '--db', file, 'grace@complainer.example', '--now', NOW], { env })).code).toBe(4);
    // Refused whether FILE exists or not, and nothing is left behind.
    for (const f of [join(dir, 'pg-copy.db'), file]) {
      const pg = await runNode([main, 'backup', f, ...where.postgresql], { env });
      expect(pg.code).toBe(1);
      expect(pg.err).toMatch(/pg_dump --format=custom/);
    }
    expect(existsSync(join(dir, 'pg-copy.db'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    // SQLite: an existing FILE is refused without --force, replaced with it.
    expect(await runNode([main, 'backup', file, ...where.sqlite], { env })).toMatchObject({ code: 1, err: expect.stringMatching(/exists; use --force/) });
    expect((await runNode([main, 'backup', file, '--force', ...where.sqlite], { env })).code).toBe(0);
  });
});
