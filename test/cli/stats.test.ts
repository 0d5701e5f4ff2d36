/**
 * `rebound stats` (node dist/main.js) shows each IMAP mailbox's saved health (table imap_health):
 * the last error of a failed pass, the last success and backlog, in --json and in the human form,
 * and `imap: []` when no mailbox ever ran. The real-Dovecot path (a wrong password through
 * `rebound poll`, then `rebound stats`) is in test/intake/imap-poll-cli.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, SCHEMA_VERSION } from '../../src/store/index.js';
import { privateApp, runNode, type RunResult } from '../support/app.js';

const dir = mkdtempSync(join(tmpdir(), 'rebound-stats-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const main = privateApp(dir);

function stats(db: string, json: boolean): Promise<RunResult> {
  return runNode([main, 'stats', '--db', db, ...(json ? ['--json'] : [])], { env: { ...process.env, REBOUND_CONFIG: '' } });
}

const T = Date.UTC(2026, 10, 26, 6, 0, 0);

describe('rebound stats: IMAP mailbox health', { timeout: 120_000 }, () => {
  it('no mailbox has run: imap is empty and the human form has no imap line', async () => {
    const db = join(dir, 'empty.db');
    openStore({ path: db }).close();
    const j = await stats(db, true);
    expect(j.code, j.err).toBe(0);
    expect(JSON.parse(j.out)).toMatchObject({ imap: [], schemaVersion: SCHEMA_VERSION });
    const h = await stats(db, false);
    expect(h.code, h.err).toBe(0);
    expect(h.out).not.toMatch(/^imap:/m);
  });

  it('shows the last error after a failed pass, keeping the earlier success and backlog', async () => {
    const db = join(dir, 'health.db');
    const s = openStore({ path: db, clock: () => T + 60_000 });
    s.saveImapHealth({ mailbox: 'main', lastRunAt: T, lastSuccessAt: T + 2000, backlog: 7, messagesLastRun: 25 });
    s.saveImapHealth({
      mailbox: 'main',
      lastRunAt: T + 60_000,
      lastError: 'imap mailbox "main" (bounces@127.0.0.1:1143): login failed for user "bounces": Authentication failed.',
      lastErrorAt: T + 60_100,
      messagesLastRun: null,
    });
    s.saveImapHealth({ mailbox: 'junk', lastRunAt: T, lastSuccessAt: T + 1000, backlog: 0, messagesLastRun: 3 });
    s.close();

    const j = await stats(db, true);
    expect(j.code, j.err).toBe(0);
    const imap = (JSON.parse(j.out) as { imap: unknown[] }).imap;
    expect(imap).toEqual([
      { mailbox: 'junk', lastRunAt: T, lastSuccessAt: T + 1000, lastError: null, lastErrorAt: null, backlog: 0, messagesLastRun: 3, updatedAt: T + 60_000 },
      {
        mailbox: 'main',
        lastRunAt: T + 60_000,
        lastSuccessAt: T + 2000,
        lastError: 'imap mailbox "main" (bounces@127.0.0.1:1143): login failed for user "bounces": Authentication failed.',
        lastErrorAt: T + 60_100,
        backlog: 7,
        messagesLastRun: null,
        updatedAt: T + 60_000,
      },
    ]);

    const h = await stats(db, false);
    expect(h.code, h.err).toBe(0);
    expect(h.out).toContain('imap:       2 mailboxes\n');
    expect(h.out).toContain(
      '  junk: ok; last run 2026-11-26T06:00:00.000Z; last success 2026-11-26T06:00:01.000Z; backlog 0; messages last run 3\n',
    );
    expect(h.out).toContain(
      '  main: FAILING; last run 2026-11-26T06:01:00.000Z; last success 2026-11-26T06:00:02.000Z; backlog 7; messages last run -; ' +
        'last error 2026-11-26T06:01:00.100Z: imap mailbox "main" (bounces@127.0.0.1:1143): login failed for user "bounces": Authentication failed.\n',
    );
  });
});
