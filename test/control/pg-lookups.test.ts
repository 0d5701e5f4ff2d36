/**
 * Postfix's lookups on a daemon whose store is PostgreSQL: the socketmap and policy listeners of
 * `rebound serve` (store.backend = "postgresql") answer from the shared database with the same
 * decision and wording as on SQLite - invalid and complained REJECT, suspended DEFER_IF_PERMIT,
 * unknown NOTFOUND / DUNNO - several requests sent at once are answered in order, and a state
 * changed in the database by another host (an import here) is seen by the next lookup.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPgStore } from '../../src/store/postgresql/index.js';
import { startDaemon, type DaemonProcess } from '../support/daemon.js';
import { freePort } from '../support/net.mjs';
import { freshDatabase, pgSkip } from '../support/pg.js';

const dir = mkdtempSync(join(tmpdir(), 'rebound-pg-lookups-'));
let daemon: DaemonProcess | undefined;
afterAll(async () => {
  await daemon?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Send bytes, read until `done` says the reply is complete (or the peer closes). */
async function exchange(port: number, data: string, done: (got: string) => boolean): Promise<string> {
  const sock = createConnection(port, '127.0.0.1');
  let got = '';
  sock.setEncoding('utf8');
  await new Promise<void>((r, j) => {
    sock.once('connect', () => r());
    sock.once('error', j);
  });
  return new Promise((resolve) => {
    const finish = () => {
      sock.destroy();
      resolve(got);
    };
    sock.on('data', (d: string) => {
      got += d;
      if (done(got)) finish();
    });
    sock.on('close', finish);
    sock.write(data);
  });
}

const ns = (s: string) => `${Buffer.byteLength(s)}:${s},`;
const policy = (rcpt: string) => `request=smtpd_access_policy\nprotocol_state=RCPT\nsender=a@b.example\nrecipient=${rcpt}\n\n`;

describe.skipIf(pgSkip !== '')(`socketmap and policy on a PostgreSQL daemon${pgSkip ? ` (skipped: ${pgSkip})` : ''}`, { timeout: 60_000 }, () => {
  it('answers from the shared database, in order, with the SQLite wording', async () => {
    const url = await freshDatabase('lookups');
    const store = await openPgStore({ url, tls: 'off' });
    const now = Date.now();
    await store.importSuppressions(
      [
        { address: 'gone@example.org', what: 'invalid', cause: 'user unknown' },
        { address: 'angry@example.org', what: 'complained' },
        { address: 'full@example.org', what: 'suspended', cause: 'blocked', at: now - 3_600_000 },
      ],
      'test',
    );
    const [sm, pol] = [await freePort(), await freePort()];
    const cfg = join(dir, 'r.toml');
    writeFileSync(
      cfg,
      `[store]\nbackend = "postgresql"\nurl = "${url}"\ntls = "off"\n[intake.smtp]\nport = ${await freePort()}\n` +
        `[control]\nsocket = "${join(dir, 'ctl.sock')}"\n[control.socketmap]\nenabled = true\nport = ${sm}\n[control.policy]\nenabled = true\nport = ${pol}\n`,
    );
    daemon = await startDaemon(cfg);

    const keys = ['gone@example.org', 'angry@example.org', 'full@example.org', 'fine@example.org', 'GONE@Example.ORG'];
    const want = [
      'OK REJECT 5.7.1 Recipient suppressed (Email Invalid)',
      'OK REJECT 5.7.1 Recipient suppressed (complained)',
      expect.stringMatching(/^OK DEFER_IF_PERMIT 4\.7\.1 Recipient suspended until 20\d\d-/),
      'NOTFOUND ',
      'OK REJECT 5.7.1 Recipient suppressed (Email Invalid)',
    ];
    // All five in one write: answered in the order asked.
    const raw = await exchange(sm, keys.map((k) => ns(`suppress ${k}`)).join(''), (g) => (g.match(/,/g) ?? []).length >= 5);
    const replies = [...raw.matchAll(/(\d+):([^]*?),(?=\d+:|$)/g)].map((m) => m[2]);
    expect(replies).toEqual(want);
    // transport_maps form, as on SQLite.
    expect(await exchange(sm, ns('transport gone@example.org'), (g) => g.endsWith(','))).toMatch(/^\d+:OK error:5\.7\.1 Recipient suppressed \(Email Invalid\),$/);

    const p = await exchange(pol, keys.map(policy).join(''), (g) => (g.match(/\n\n/g) ?? []).length >= 5);
    expect(p.split('\n\n').filter(Boolean)).toEqual([
      'action=REJECT 5.7.1 Recipient suppressed (Email Invalid)',
      'action=REJECT 5.7.1 Recipient suppressed (complained)',
      expect.stringMatching(/^action=DEFER_IF_PERMIT 4\.7\.1 Recipient suspended until /),
      'action=DUNNO',
      'action=REJECT 5.7.1 Recipient suppressed (Email Invalid)',
    ]);

    // Another host changes the state: the next lookup sees it.
    await store.importSuppressions([{ address: 'fine@example.org', what: 'invalid', cause: 'now gone' }], 'other-host');
    expect(await exchange(sm, ns('suppress fine@example.org'), (g) => g.endsWith(','))).toBe(ns('OK REJECT 5.7.1 Recipient suppressed (Email Invalid)'));
    await store.close();
    expect(await daemon.stop()).toBe(0);
    daemon = undefined;
  });
});
