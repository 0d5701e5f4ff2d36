/**
 * Intake carries what it learned from the return path (issue 15 item 3): the VERP token of each
 * accepted recipient is decoded and judged once, at intake, with the verp.* config in force then
 * (SMTP/LMTP: the RCPT decision itself; IMAP: where its envelope is built from the delivery
 * headers; files: nothing to judge), stored with the message (messages.return_paths), and the
 * pipeline attributes from it. So a key removed from the config afterwards (SIGHUP, or a
 * `rebound reprocess` with today's config) does not turn a bounce that was verified on arrival
 * into an unverified one, and a forged one stays forged.
 *
 * Real parts: smtp-server on loopback, the group committer, a SQLite file, the rebound CLI
 * (dist/main.js), Dovecot for IMAP, a private PostgreSQL cluster for the PostgreSQL store.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSmtpIntake, GroupCommitter, type SmtpIntake } from '../../src/intake/smtp.js';
import { pollMailbox } from '../../src/intake/imap.js';
import { child, setLogLevel } from '../../src/log.js';
import { Pipeline } from '../../src/pipeline/run.js';
import { sqliteStoreApi } from '../../src/store/open.js';
import { openStore } from '../../src/store/index.js';
import { readReturnPaths } from '../../src/store/messages.js';
import { copySqliteToPostgres } from '../../src/store/postgresql/copy.js';
import { openPgStore } from '../../src/store/postgresql/index.js';
import { signReturnPath, type CheckOptions } from '../../src/verp/sign.js';
import type { ReturnPathVerdict } from '../../src/types.js';
import { runNode } from '../support/app.js';
import { MAIN } from '../support/daemon.js';
import { bounce, dovecotMissing, mailboxFor, useDovecot, type Dovecot } from '../support/dovecot.js';
import { freshDatabase, pgSkip } from '../support/pg.js';
import { openProcessingStore } from '../support/pipeline.js';
import { Wire } from '../support/smtp-wire.js';

setLogLevel('silent');
const log = child('return-paths-test');
log.level = 'silent';

const K1: CheckOptions = { domains: ['bounces.test'], prefix: 'b', delimiter: '+', equals: '=', keys: ['1:first key'], maxAgeDays: 30 };
/** The same config after the operator replaced the key (k1 removed). */
const K2: CheckOptions = { ...K1, keys: ['2:second key'] };
const limits = { hostname: 'mx.test', maxClients: 10, maxMessageBytes: 1 << 20, socketTimeoutMs: 5000, tls: {}, closeTimeoutMs: 2000 };

const dir = mkdtempSync(join(tmpdir(), 'rebound-rp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A Postfix DSN whose report names a forwarding target, not the address we sent to: only the
 * token can say the bounce is about `bob@example.org`, so attribution shows in the state.
 */
function dsn(n: number, reported: string, deliveredTo: string): string {
  return bounce('user-unknown', n, reported).replaceAll(`bounces+m${n}@bounces.example.net`, deliveredTo);
}

/** The return_paths column of every message, by id, read from the file itself. */
function column(path: string): Map<number, string | null> {
  const db = new Database(path, { readonly: true });
  try {
    const rows = db.prepare('SELECT id, return_paths FROM messages ORDER BY id').all() as { id: number; return_paths: string | null }[];
    return new Map(rows.map((r) => [r.id, r.return_paths]));
  } finally {
    db.close();
  }
}

async function send(port: number, rcpt: string, data: string): Promise<string> {
  const w = await Wire.open({ port });
  try {
    await w.reply();
    await w.cmd('EHLO client.test');
    await w.cmd('MAIL FROM:<>');
    expect(await w.cmd(`RCPT TO:<${rcpt}>`)).toMatch(/^250/);
    expect(await w.cmd('DATA')).toMatch(/^354/);
    const reply = await w.cmd(`${data.replace(/\r\n\./g, '\r\n..')}\r\n.`);
    expect(reply).toMatch(/^250/);
    return reply;
  } finally {
    w.end();
  }
}

const good = signReturnPath('bob@example.org', K1);
const forged = signReturnPath('eve@example.org', K1).replace('eve=', 'mallory=');

describe('SMTP: the RCPT verdict is stored with the message and attributes it', () => {
  const db = join(dir, 'smtp.db');
  let intake: SmtpIntake | null = null;

  afterAll(async () => {
    await intake?.stop();
  });

  it('stores the RCPT verdict (valid / bad-signature) and, after the key is removed (SIGHUP), still attributes as verified', async () => {
    const store = openStore({ path: db });
    try {
      intake = createSmtpIntake({ protocol: 'smtp', listen: { host: '127.0.0.1', port: 0 }, limits, verp: K1 }, { committer: new GroupCommitter(store) });
      await intake.start();
      const { port } = intake.address() as { port: number };
      await send(port, good, dsn(1, 'bob.forward@elsewhere.example', good));
      await send(port, forged, dsn(2, 'mallory.forward@elsewhere.example', forged));
      // SIGHUP with the first key gone: what arrives from now on is judged with the new rules...
      intake.setVerp(K2);
      await send(port, good, dsn(3, 'bob.later@elsewhere.example', good));
      await intake.stop();
      intake = null;

      const col = column(db);
      expect(JSON.parse(col.get(1)!)).toEqual([{ returnPath: good, address: 'bob@example.org', status: 'valid', verified: true, mayChangeState: true }]);
      expect(JSON.parse(col.get(2)!)).toEqual([{ returnPath: forged, address: 'mallory@example.org', status: 'bad-signature', verified: false, mayChangeState: false }]);
      // ...so the third message carries the verdict of its own RCPT: the key it names is unknown now.
      expect(JSON.parse(col.get(3)!)).toMatchObject([{ address: 'bob@example.org', status: 'unknown-key', verified: false, mayChangeState: false }]);

      // The pipeline runs after the reload; no VERP config is given to it at all.
      await new Pipeline(sqliteStoreApi(store)).processPending();
      expect(store.mayISend('bob@example.org').verdict).toBe('invalid');
      expect(store.mayISend('bob.forward@elsewhere.example').verdict).toBe('ok');
      // The forged token names its victim, who gets a record but no state.
      expect(store.mayISend('mallory@example.org').verdict).toBe('ok');
      expect(store.history('mallory@example.org').map((e) => e.effect)).toEqual(['none']);
      expect(store.history('bob@example.org').map((e) => e.effect).sort()).toEqual(['invalid', 'none']);
    } finally {
      store.close();
    }
  });

  it('rebound reprocess with today\'s config (the key removed) decides as intake did, from the stored verdicts', async () => {
    const cfg = join(dir, 'k2.toml');
    writeFileSync(cfg, `[store]\npath = "${db}"\n[verp]\ndomains = ["bounces.test"]\nprefix = "b"\nkeys = ["2:second key"]\n`);
    const r = await runNode([MAIN, 'reprocess', '--all', '-c', cfg], { env: { ...process.env, REBOUND_CONFIG: '' } });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/reprocessed 3 message\(s\): processed 3/);
    const store = openStore({ path: db, readonly: true });
    try {
      expect(store.mayISend('bob@example.org').verdict).toBe('invalid');
      expect(store.history('bob@example.org').map((e) => e.effect).sort()).toEqual(['invalid', 'none']);
      expect(store.mayISend('mallory@example.org').verdict).toBe('ok');
    } finally {
      store.close();
    }
    // The column is what intake wrote; reprocessing does not rewrite it.
    expect(JSON.parse(column(db).get(1)!)).toMatchObject([{ status: 'valid' }]);
  });

  it.skipIf(pgSkip !== '')(`migrate-store copies the verdicts, and the PostgreSQL pipeline attributes from them${pgSkip ? ` (skipped: ${pgSkip})` : ''}`, async () => {
    const url = await freshDatabase('rp');
    await copySqliteToPostgres(db, { url, tls: 'off' });
    // Opened with the new key only: the copied rows carry their own verdicts, nothing is judged again.
    const pg = await openPgStore({ url, tls: 'off', legacyVerp: K2 });
    try {
      const rows = await pg.pool.query<{ id: number; return_paths: string }>('SELECT id::int, return_paths FROM messages ORDER BY id');
      expect(rows.rows.map((x) => [x.id, x.return_paths])).toEqual([...column(db).entries()]);
      expect((await pg.getMessage(1))!.env.returnPaths).toEqual([{ returnPath: good, address: 'bob@example.org', status: 'valid', verified: true, mayChangeState: true }]);
      await new Pipeline(pg).reprocess({ all: true });
      expect((await pg.mayISend('bob@example.org')).verdict).toBe('invalid');
      expect((await pg.mayISend('mallory@example.org')).verdict).toBe('ok');
      // A message saved on PostgreSQL keeps its verdicts too.
      const verdicts: ReturnPathVerdict[] = [{ returnPath: good, address: 'bob@example.org', status: 'expired', verified: false, mayChangeState: true }];
      const saved = await pg.saveMessage({ source: 'lmtp', origin: 't', mailFrom: '', rcptTo: [good], receivedAt: Date.now(), returnPaths: verdicts }, Buffer.from(dsn(9, 'x@y.example', good)));
      expect((await pg.getMessage(saved.id))!.env.returnPaths).toEqual(verdicts);
    } finally {
      await pg.close();
    }
  });
});

describe('files and stdin: nothing to judge, stored as such', () => {
  it('rebound ingest stores [] (not NULL, which would mean "stored before intake kept verdicts")', async () => {
    const db = join(dir, 'ingest.db');
    const file = join(dir, 'one.eml');
    writeFileSync(file, dsn(4, 'carol@example.org', good));
    const cfg = join(dir, 'ingest.toml');
    writeFileSync(cfg, `[store]\npath = "${db}"\n[verp]\ndomains = ["bounces.test"]\nprefix = "b"\nkeys = ["1:first key"]\n`);
    const r = await runNode([MAIN, 'ingest', '-c', cfg, file], { env: { ...process.env, REBOUND_CONFIG: '' } });
    expect(r.code, r.err).toBe(0);
    expect([...column(db).values()]).toEqual(['[]']);
    const store = openStore({ path: db, readonly: true });
    try {
      // The report decides (a file has no envelope; its Delivered-To is not trusted as one).
      expect(store.mayISend('carol@example.org').verdict).toBe('invalid');
      expect(store.mayISend('bob@example.org').verdict).toBe('ok');
    } finally {
      store.close();
    }
  });
});

const noDovecot = dovecotMissing();
describe.skipIf(noDovecot !== '')(`IMAP: judged where the envelope is built from the delivery headers${noDovecot ? ` (skipped: ${noDovecot})` : ''}`, { timeout: 60_000 }, () => {
  let dv: Dovecot;
  useDovecot((started) => (dv = started));

  it('a pass stores the verdict of the Delivered-To token; a reprocess under another key keeps it', async () => {
    await dv.append('rp', [dsn(5, 'dave.forward@elsewhere.example', signReturnPath('dave@example.org', K1)), dsn(6, 'x.forward@elsewhere.example', forged)]);
    const path = join(dir, 'imap.db');
    const store = openProcessingStore({ path });
    try {
      const r = await pollMailbox(mailboxFor(dv, { folders: ['rp'] }), { store, log, verp: K1 });
      expect(r.stored).toBe(2);
      const col = column(path);
      expect(JSON.parse(col.get(1)!)).toMatchObject([{ address: 'dave@example.org', status: 'valid', verified: true, mayChangeState: true }]);
      expect(JSON.parse(col.get(2)!)).toMatchObject([{ address: 'mallory@example.org', status: 'bad-signature', mayChangeState: false }]);
      expect(store.mayISend('dave@example.org').verdict).toBe('invalid');
      expect(store.mayISend('mallory@example.org').verdict).toBe('ok');
    } finally {
      store.close();
    }
    const again = openProcessingStore({ path, legacyVerp: K2 });
    try {
      await again.reprocess({ all: true });
      expect(again.mayISend('dave@example.org').verdict).toBe('invalid');
    } finally {
      again.close();
    }
  });
});

describe('the stored value is checked where it is read back (store/messages.ts readReturnPaths)', () => {
  it('takes a list of verdicts and nothing else; anything else is judged again as a legacy row', async () => {
    const v: ReturnPathVerdict = { returnPath: good, address: 'bob@example.org', status: 'valid', verified: true, mayChangeState: true };
    expect(readReturnPaths(JSON.stringify([v]))).toEqual([v]);
    expect(readReturnPaths('[]')).toEqual([]);
    for (const bad of [null, undefined, '', 'not json', '{}', '[1]', JSON.stringify([{ ...v, status: 'trusted' }]), JSON.stringify([{ ...v, mayChangeState: 'yes' }])]) {
      expect(readReturnPaths(bad), String(bad)).toBeUndefined();
    }
    // A row whose value was damaged by hand: the store judges its rcpt_to with legacyVerp instead.
    const path = join(dir, 'damaged.db');
    const s = openStore({ path, legacyVerp: K1 });
    try {
      const { id } = s.saveMessage({ source: 'smtp', origin: '', mailFrom: '', rcptTo: [good], receivedAt: Date.now(), returnPaths: [{ ...v, status: 'unsigned' }] }, Buffer.from('x'));
      expect(s.getMessage(id)!.env.returnPaths).toEqual([{ ...v, status: 'unsigned' }]);
      const db = new Database(path);
      db.prepare("UPDATE messages SET return_paths = '[{\"status\":\"valid\"}]' WHERE id = ?").run(id);
      db.close();
      expect(s.getMessage(id)!.env.returnPaths).toEqual([v]);
    } finally {
      s.close();
    }
  });
});
