/**
 * Migration 0004 (issue 19): a version 3 store, written with A-label domains, lower-cased (not
 * case-folded) local parts and IMAP envelopes read as latin1, keeps working: every state is found
 * under the new normal form in either spelling, merged keys are folded again, and the garbled
 * IMAP address gives its events back to the real one after the first sweep.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sql as m0001 } from '../../src/store/migrations/0001-initial.js';
import { sql as m0002 } from '../../src/store/migrations/0002-imap-health.js';
import { sql as m0003 } from '../../src/store/migrations/0003-addresses-without-rowid.js';
import { isLatin1Mojibake } from '../../src/store/migrations/0004-address-normal-form.js';
import { packRaw } from '../../src/store/messages.js';
import { openStore, SCHEMA_VERSION } from '../../src/store/index.js';
import { openProcessingStore } from '../support/pipeline.js';

const verp = { domains: ['imap.bounces.test'], prefix: 'bounces', delimiter: '+', equals: '=', keys: ['1:k'] };
const dir = mkdtempSync(join(tmpdir(), 'rebound-m0004-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T = Date.UTC(2026, 5, 1);

/** The DSN a Postfix Maildir holds for jürgen.müller@remote.test (raw UTF-8 delivery headers). */
const dsn = (): Buffer =>
  Buffer.from(
    [
      'Return-Path: <>',
      'Delivered-To: bounces+jürgen.müller=remote.test@imap.bounces.test',
      `Date: ${new Date(T).toUTCString()}`,
      'From: MAILER-DAEMON@mta.test',
      'Subject: Undelivered Mail Returned to Sender',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
      '',
      '--b',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mta.test',
      '',
      'Final-Recipient: rfc822; j\\x{FC}rgen.m\\x{FC}ller@remote.test',
      'Action: failed',
      'Status: 5.1.1',
      'Diagnostic-Code: smtp; 550 5.1.1 User unknown',
      '',
      '--b--',
      '',
    ].join('\r\n'),
  );

function versionThree(path: string): void {
  const db = new Database(path);
  db.exec(m0001);
  db.exec(m0002);
  db.exec(m0003);
  db.pragma('user_version = 3');
  const addr = db.prepare(
    `INSERT INTO addresses (address, email_suspended, email_suspended_cause, email_suspended_at, email_invalid, email_invalid_cause,
       email_invalid_at, complained, complained_at, soft_bounces, soft_days, last_soft_at, first_bounce_at, last_bounce_at, events, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, 0, NULL, 0, 0, NULL, ?, ?, 1, ?)`,
  );
  const msg = db.prepare(
    `INSERT INTO messages (sha256, source, origin, mail_from, rcpt_to, received_at, stored_at, size, raw, compression, state)
     VALUES (?, ?, '', '', ?, ?, ?, ?, ?, 'gzip', 'processed')`,
  );
  const ev = db.prepare(
    `INSERT INTO events (message_id, address, raw_address, at, received_at, message_type, action, status, reply_code, reason, hard,
       category, likely_false_positive, evidence, diagnostic, remote_mta, feedback_type, effect)
     VALUES (?, ?, ?, ?, ?, 'bounce', 'failed', ?, '', ?, 1, ?, 0, '', ?, '', '', ?)`,
  );
  const raw = Buffer.from('Subject: x\r\n\r\nx\r\n');
  // An IDN domain, stored as A-labels by rebound <= 0.1.
  const m1 = Number(msg.run('h1', 'smtp', '["bounces+bob=xn--bcher-kva.example@imap.bounces.test"]', T, T, raw.length, packRaw(raw)).lastInsertRowid);
  ev.run(m1, 'bob@xn--bcher-kva.example', 'bob@bücher.example', T, T, '5.1.1', 'userunknown', 2, '550 5.1.1 unknown', 'invalid');
  addr.run('bob@xn--bcher-kva.example', 0, '', null, 1, '550 5.1.1 unknown', T, T, T, T);
  // Two keys that case folding makes one: ß and ss.
  const m2 = Number(msg.run('h2', 'smtp', '[]', T, T, raw.length, packRaw(raw)).lastInsertRowid);
  ev.run(m2, 'straße@x.test', 'Straße@x.test', T, T, '5.1.1', 'userunknown', 2, '550 5.1.1 unknown', 'invalid');
  addr.run('straße@x.test', 0, '', null, 1, '550 5.1.1 unknown', T, T, T, T);
  const m3 = Number(msg.run('h3', 'smtp', '[]', T + 1, T + 1, raw.length, packRaw(raw)).lastInsertRowid);
  ev.run(m3, 'strasse@x.test', 'strasse@x.test', T + 1, T + 1, '5.7.1', 'blocked', 1, '554 5.7.1 blocked', 'suspend');
  addr.run('strasse@x.test', 1, '554 5.7.1 blocked', T + 1, 0, '', null, T + 1, T + 1, T + 1);
  // The bug: an IMAP DSN whose Delivered-To was read as latin1.
  const bytes = dsn();
  const garbledRcpt = Buffer.from('bounces+jürgen.müller=remote.test@imap.bounces.test').toString('latin1');
  const m4 = Number(msg.run('h4', 'imap', JSON.stringify([garbledRcpt]), T, T, bytes.length, packRaw(bytes)).lastInsertRowid);
  ev.run(m4, 'jã¼rgen.mã¼ller@remote.test', 'jürgen.müller@remote.test', T, T, '5.1.1', 'userunknown', 2, '550 5.1.1 User unknown', 'invalid');
  addr.run('jã¼rgen.mã¼ller@remote.test', 0, '', null, 1, '550 5.1.1 User unknown', T, T, T, T);
  db.close();
}

describe('migration 0004: address normal form', () => {
  it('tells UTF-8 read as latin1 from real latin1 text', () => {
    expect(isLatin1Mojibake('jÃ¼rgen@x')).toBe(true);
    expect(isLatin1Mojibake('jürgen@x')).toBe(false);
    expect(isLatin1Mojibake('plain@x')).toBe(false);
    expect(isLatin1Mojibake('用户@x')).toBe(false);
  });

  it('moves a version 3 store to the normal form and repairs the latin1 IMAP envelope', async () => {
    const path = join(dir, 'v3.db');
    versionThree(path);
    // Rows of a version 3 store have no intake verdicts: the store judges them on read (legacyVerp).
    const s = openProcessingStore({ path, clock: () => T + 1000, legacyVerp: verp });
    try {
      // Renamed, state kept, found under either spelling.
      expect(s.mayISend('bob@bücher.example').verdict).toBe('invalid');
      expect(s.mayISend('bob@xn--bcher-kva.example').verdict).toBe('invalid');
      expect(s.history('BOB@XN--BCHER-KVA.EXAMPLE').length).toBe(1);
      // Merged and folded again from both events: invalid (ß) and suspended (ss).
      const st = s.addressStatus('Straße@x.test');
      expect(st).toMatchObject({ address: 'strasse@x.test', emailInvalid: true, emailSuspended: true, events: 2 });
      // The IMAP message is pending again with its envelope read as UTF-8...
      const m = s.getMessage(4)!;
      expect(m.state).toBe('pending');
      expect(m.env.rcptTo).toEqual(['bounces+jürgen.müller=remote.test@imap.bounces.test']);
      // ...and the first sweep gives the state to the real address; the garbled one is gone.
      await s.processPending();
      expect(s.mayISend('jürgen.müller@remote.test').verdict).toBe('invalid');
      expect(s.addressStatus('jã¼rgen.mã¼ller@remote.test').known).toBe(false);
      const all = [...s.exportAddresses()].map((a) => a.address).sort();
      expect(all).toEqual(['bob@bücher.example', 'jürgen.müller@remote.test', 'strasse@x.test']);
    } finally {
      s.close();
    }
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.prepare('SELECT count(*) AS n FROM address_recompute').get()).toEqual({ n: 0 });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
    expect(readFileSync(path).length).toBeGreaterThan(0);
  });
});
