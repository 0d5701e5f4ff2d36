/**
 * `rebound migrate-store --from sqlite:FILE --to postgresql://...` (node dist/main.js):
 * a SQLite store with processed real-MTA DSNs, a reset, imports, an IMAP cursor and health row is
 * copied into an empty PostgreSQL database on a private cluster; every count is printed and
 * matches, and the PostgreSQL store then answers exactly as the SQLite one (address rows, history,
 * stats, "may I send?") and continues the id sequences; the store commands give the same output
 * on the SQLite file and on its copy, and `rebound ingest` into PostgreSQL the same summary and
 * rows as into SQLite. A second copy into the non-empty database is refused and changes nothing;
 * a password on the command line is refused. `rebound backup` with store.backend = "postgresql"
 * points to pg_dump and exits 1.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPgStore } from '../../src/store/postgresql/index.js';
import { openProcessingStore } from '../support/pipeline.js';
import { privateApp, runNode } from '../support/app.js';
import { freshDatabase, pgSkip } from '../support/pg.js';
import { realMtaSample } from '../support/real-mta-sample.js';
import { collect } from '../support/collect.js';

const dir = mkdtempSync(join(tmpdir(), 'rebound-migrate-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = { ...process.env, REBOUND_CONFIG: '' };
const T = Date.UTC(2026, 11, 6, 14, 0, 0);

describe('rebound migrate-store: usage', () => {
  const main = privateApp(join(dir, 'u'));
  it('refuses a password on the command line and a --from that is not sqlite:FILE (exit 2)', async () => {
    const r = await runNode([main, 'migrate-store', '--from', 'sqlite:/x.db', '--to', 'postgresql://u:secret@127.0.0.1/db'], { env });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/password on the command line is not accepted/);
    expect(r.err).not.toMatch(/secret/);
    const r2 = await runNode([main, 'migrate-store', '--from', '/x.db', '--to', 'postgresql://u@127.0.0.1/db'], { env });
    expect(r2.code).toBe(2);
    expect(r2.err).toMatch(/--from: expected sqlite:FILE/);
  });

  it('rebound backup on a PostgreSQL store points to pg_dump (exit 1)', async () => {
    const cfg = join(dir, 'pg.toml');
    writeFileSync(cfg, '[store]\nbackend = "postgresql"\nurl = "postgresql://rebound@db.example.org/rebound"\n');
    const r = await runNode([main, 'backup', join(dir, 'b.db'), '-c', cfg], { env });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/pg_dump --format=custom --file=rebound.dump 'postgresql:\/\/rebound@db.example.org\/rebound'/);
  });
});

describe.skipIf(pgSkip !== '')(`rebound migrate-store${pgSkip ? ` (skipped: ${pgSkip})` : ''}`, { timeout: 120_000 }, () => {
  const main = privateApp(join(dir, 'a'));

  it('copies messages, events, address state, the audit trail and IMAP rows with counts verified', async () => {
    const file = join(dir, 'lite.db');
    let t = T;
    const lite = openProcessingStore({ path: file, clock: () => t });
    for (const [i, m] of realMtaSample(30).entries()) {
      t++;
      lite.saveMessage({ source: 'smtp', origin: `#${i}`, mailFrom: '', rcptTo: ['b@bounces.localhost'], receivedAt: T }, m.raw);
    }
    await lite.processPending();
    const some = [...lite.exportAddresses({ flagged: true })][0]!.address;
    t += 10;
    lite.reset(some, 'all', 'customer asked', 'ops');
    lite.importSuppressions([{ address: 'old@list.example', what: 'invalid', cause: 'legacy' }], 'ops');
    lite.setImapCursor('main', 'INBOX', { uidValidity: 3, lastUid: 77 });
    lite.saveImapHealth({ mailbox: 'main', lastRunAt: t, lastSuccessAt: t, backlog: 0, messagesLastRun: 5 });
    lite.prune(0); // raw bodies of finished messages dropped: NULLs are copied too
    const expected = { addresses: [...lite.exportAddresses()], stats: lite.stats(t), history: lite.history(some) };
    lite.close();

    const url = await freshDatabase('mig');
    const r = await runNode([main, 'migrate-store', '--from', `sqlite:${file}`, '--to', url, '--tls', 'off'], { env });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^ {2}messages +120 rows {2}-> +120 {2}ok$/m);
    expect(r.out).toMatch(/^ {2}address_actions +2 rows {2}-> +2 {2}ok$/m);
    expect(r.out).toMatch(/every count matches/);

    // The store commands answer the same from the copy (config: store.backend = "postgresql").
    const cfg = join(dir, 'copy.toml');
    writeFileSync(cfg, `[store]\nbackend = "postgresql"\nurl = "${url}"\ntls = "off"\n`);
    const both = async (args: string[]) => {
      const l = await runNode([main, ...args, '--db', file], { env });
      const p = await runNode([main, ...args, '-c', cfg], { env });
      expect({ code: p.code, out: p.out }, args.join(' ')).toEqual({ code: l.code, out: l.out });
      return p;
    };
    const flagged = expected.addresses.filter((a) => a.emailInvalid || a.emailSuspended).map((a) => a.address);
    expect(flagged.length).toBeGreaterThan(3);
    const when = ['--now', new Date(t).toISOString()];
    expect((await both(['status', flagged[1]!, ...when])).code).not.toBe(0);
    await both(['status', flagged[2]!, '--json', ...when]);
    await both(['check', ...flagged.slice(0, 5), 'nobody@example.net', ...when]);
    await both(['history', some, '--json']);
    await both(['list', '--invalid']);
    await both(['list', '--suspended', '--json', ...when]);
    expect((await both(['export', '--json'])).out.split('\n').length).toBeGreaterThan(40);
    const pg = await openPgStore({ url, tls: 'off', clock: () => t });
    try {
      expect(await collect(pg.exportAddresses())).toEqual(expected.addresses);
      expect(await pg.stats(t)).toEqual(expected.stats);
      expect(await pg.history(some)).toEqual(expected.history);
      expect(await pg.getImapCursor('main', 'INBOX')).toEqual({ uidValidity: 3, lastUid: 77 });
      // Sequences continue after the copied ids.
      const next = await pg.saveMessage({ source: 'smtp', origin: 'new', mailFrom: '', rcptTo: [], receivedAt: T }, Buffer.from('Subject: new\r\n\r\nhello\r\n'));
      expect(next).toEqual({ id: 121, duplicate: false });
      const again = await pg.reset(some, 'all', 'again', 'ops');
      expect(again.actionId).toBe(3);
    } finally {
      await pg.close();
    }

    // rebound ingest into PostgreSQL: the summary and the rows SQLite's ingest gives.
    const files = realMtaSample(8).map((m, i) => {
      const f = join(dir, `in${i}.eml`);
      writeFileSync(f, m.raw);
      return f;
    });
    const liteIngest = join(dir, 'ingest.db');
    const ingestUrl = await freshDatabase('ingest');
    const ingestCfg = join(dir, 'ingest.toml');
    writeFileSync(ingestCfg, `[store]\nbackend = "postgresql"\nurl = "${ingestUrl}"\ntls = "off"\n`);
    const strip = (out: string) => {
      const { seconds: _s, rate: _r, threads: _t, ...rest } = JSON.parse(out) as Record<string, unknown>;
      return rest;
    };
    const li = await runNode([main, 'ingest', '--json', '--batch', '5', '--db', liteIngest, ...files], { env });
    const pi = await runNode([main, 'ingest', '--json', '--batch', '5', '-c', ingestCfg, ...files], { env });
    expect(pi.code, pi.err).toBe(li.code);
    expect(strip(pi.out)).toEqual(strip(li.out));
    expect(strip(pi.out)).toMatchObject({ messages: 32, stored: 32 });
    const again = await runNode([main, 'ingest', '--json', '-c', ingestCfg, ...files], { env });
    expect(strip(again.out)).toMatchObject({ messages: 32, stored: 0, duplicates: 32, processed: 0 });
    const le = await runNode([main, 'export', '--json', '--db', liteIngest], { env });
    const pe = await runNode([main, 'export', '--json', '-c', ingestCfg], { env });
    expect(pe.out).toBe(le.out);
    expect(pe.out.split('\n').length).toBeGreaterThan(10);

    // Writes through the PostgreSQL store: a reset, then the daemons' answer changes.
    const reset = await runNode([main, 'reset', flagged[1]!, '--all', '--reason', 'ticket 7', '--who', 'ops', '-c', cfg], { env });
    expect(reset.code, reset.err).toBe(0);
    expect(reset.out).toMatch(/: all reset \(audit #\d+\)/);
    const after = await runNode([main, 'status', flagged[1]!, '--json', '-c', cfg], { env });
    expect(JSON.parse(after.out)).toMatchObject({ emailInvalid: false, emailSuspended: false, mayISend: { verdict: 'ok' } });
    const verify = await runNode([main, 'verify-state', '-c', cfg], { env });
    expect(verify.code, verify.err).toBe(0);
    expect(verify.err).toMatch(/^verify-state: \d+ addresses checked, 0 differ\n$/);

    // Into a store that is not empty: refused, nothing changed.
    const r2 = await runNode([main, 'migrate-store', '--from', `sqlite:${file}`, '--to', url, '--tls', 'off'], { env });
    expect(r2.code).toBe(1);
    expect(r2.err).toMatch(/table messages already has 121 rows; migrate-store copies into an empty store only/);
  });
});
