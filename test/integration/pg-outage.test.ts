/**
 * A daemon on PostgreSQL while the database goes away and comes back (issue 17, docs/SCALE-OUT.md
 * "Failover"): the server is stopped the hard way (immediate shutdown: connections cut, as in a
 * crash or a failover) and started again, without restarting rebound. While it is down, a bounce
 * is answered 451 4.3.0 (the MTA keeps it and retries) - never 250; once it is back, the same
 * daemon answers 250 again on fresh connections, and everything acknowledged before the crash is
 * there (PostgreSQL's commit was durable before the 250).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { runNode } from '../support/app.js';
import { MAIN, startDaemon, type DaemonProcess } from '../support/daemon.js';
import { freePort } from '../support/net.mjs';
import { freshDatabase, pgCluster, pgSkip } from '../support/pg.js';
import { LineClient } from '../support/line-client.js';
import { Wire } from '../support/smtp-wire.js';

const dir = mkdtempSync(join(tmpdir(), 'rebound-pg-outage-'));
let daemon: DaemonProcess | undefined;
afterAll(async () => {
  await daemon?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function bounce(token: string): string {
  return [
    'From: MAILER-DAEMON@mx.example.net',
    `To: bounces+${token}=example.com@bounces.example.org`,
    `Subject: Undelivered Mail Returned to Sender ${token}`,
    'Content-Type: text/plain',
    '',
    `<${token}@example.com>: host mx.example.com said: 550 5.1.1 user unknown`,
    '.',
  ].join('\r\n');
}

async function deliver(port: number, token: string): Promise<string> {
  const w = await Wire.open({ port });
  try {
    await w.reply();
    await w.cmd('EHLO mta.example.net');
    await w.cmd('MAIL FROM:<>');
    await w.cmd(`RCPT TO:<bounces+${token}=example.com@bounces.example.org>`);
    await w.cmd('DATA');
    return await w.cmd(bounce(token));
  } finally {
    w.sock.destroy();
  }
}

describe('daemon on PostgreSQL that cannot reach its database at start', () => {
  it('exits 1 naming the database (no password) and the reason, so systemd retries', async () => {
    const port = await freePort();
    const cfg = join(dir, 'down.toml');
    writeFileSync(
      cfg,
      `[store]\nbackend = "postgresql"\nurl = "postgresql://rebound@127.0.0.1:${port}/rebound"\ntls = "off"\n[intake.smtp]\nport = ${await freePort()}\n[control]\nsocket = "${join(dir, 'down.sock')}"\n`,
    );
    const r = await runNode([MAIN, 'serve', '-c', cfg], { env: { ...process.env, REBOUND_CONFIG: '' } });
    expect(r.code).toBe(1);
    expect(r.err).toContain(`store: cannot open the PostgreSQL store at postgresql://rebound@127.0.0.1:${port}/rebound: connect ECONNREFUSED`);
  });
});

describe.skipIf(pgSkip !== '')(`daemon on PostgreSQL through a database outage${pgSkip ? ` (skipped: ${pgSkip})` : ''}`, { timeout: 120_000 }, () => {
  it('answers 451 while the database is down and 250 again once it is back, without a restart', async () => {
    const cluster = await pgCluster();
    const url = await freshDatabase('outage');
    const port = await freePort();
    const cfg = join(dir, 'r.toml');
    writeFileSync(
      cfg,
      `[store]\nbackend = "postgresql"\nurl = "${url}"\ntls = "off"\n[intake.smtp]\nport = ${port}\n[control]\nsocket = "${join(dir, 'ctl.sock')}"\n[verp]\ndomains = ["bounces.example.org"]\n[jobs.prune]\nenabled = false\n`,
    );
    daemon = await startDaemon(cfg);
    const acked: string[] = [];
    for (const t of ['before1', 'before2']) {
      expect(await deliver(port, t)).toMatch(/^250 /);
      acked.push(t);
    }
    await cluster.crash();
    const down = await deliver(port, 'during');
    expect(down).toMatch(/^451 4\.3\.0/);
    // The one daemon's health, as on SQLite: the failing intake commit degrades store-writes.
    const health = async (): Promise<Record<string, { ok: boolean; detail?: string }>> => {
      const ctl = new LineClient(join(dir, 'ctl.sock'));
      try {
        return (await ctl.ask('health')).components as Record<string, { ok: boolean; detail?: string }>;
      } finally {
        ctl.sock.destroy();
      }
    };
    const during = await health();
    expect(during['store-writes']!.ok).toBe(false);
    expect(during['store-writes']!.detail).toMatch(/intake: .*answered 451/);
    expect(during.analysis!.detail).toMatch(/^deadline \d+ s/);
    await cluster.start();
    // The pool replaces its dead connections on next use: the first tries may still fail.
    let back = '';
    for (let i = 0; i < 50 && !back.startsWith('250'); i++) {
      back = await deliver(port, 'after');
      if (!back.startsWith('250')) await new Promise((r) => setTimeout(r, 200));
    }
    expect(back).toMatch(/^250 /);
    acked.push('after');
    expect((await health())['store-writes']).toEqual({ ok: true, detail: 'commits succeed' });
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      for (let i = 0; i < 100; i++) {
        const p = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM messages WHERE state = 'pending'`);
        if (p.rows[0]!.n === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const r = await c.query<{ state: string; raw: Buffer; compression: string }>('SELECT state, raw, compression FROM messages ORDER BY id');
      const texts = r.rows.map((x) => (x.compression === 'gzip' ? gunzipSync(x.raw) : x.raw).toString('latin1'));
      for (const t of acked) expect(texts.filter((x) => x.includes(`Sender ${t}\r\n`)), t).toHaveLength(1);
      expect(texts.some((x) => x.includes('Sender during'))).toBe(false);
      expect(r.rows.every((x) => x.state === 'processed')).toBe(true);
      const a = await c.query<{ address: string; email_invalid: number }>('SELECT address, email_invalid::int FROM addresses ORDER BY address');
      expect(a.rows).toEqual([...acked].sort().map((t) => ({ address: `${t}@example.com`, email_invalid: 1 })));
    } finally {
      await c.end();
    }
    expect(daemon.output()).toMatch(/idle database connection failed|store: save messages/);
    expect(await daemon.stop()).toBe(0);
    daemon = undefined;
  });
});
