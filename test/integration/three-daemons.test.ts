/**
 * Three rebound daemons on one PostgreSQL (issue 17, "Must show"): real-MTA DSNs from the project's
 * corpus (samples/real-mta) are delivered over SMTP, spread across the three daemons as an MTA
 * spreads them over MX hosts, some of them to two hosts (an MTA that retried elsewhere), and one
 * daemon is killed -9 mid-burst (one delivery to it half sent) and restarted; a delivery that got no 250 is retried on the next
 * host, as an MTA would. Then:
 * - every acknowledged message is stored once, under the id its 250 named (all 250s of one
 *   message name the same id), and nothing else is stored;
 * - every message is processed exactly once (attempts = 1, none left pending), including those
 *   the killed daemon had claimed;
 * - every address row equals that of one daemon on SQLite fed the same messages in the order
 *   PostgreSQL stored them (stored_at, then event id: the fold order);
 * - `check ADDRESS` on two daemons' status sockets, answered from PostgreSQL, gives SQLite's answer.
 * Needs a build (global setup) and PostgreSQL (skips outside CI when absent).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { ReturnPathVerdict } from '../../src/types.js';
import { verdictReply } from '../../src/control/commands.js';
import { openPgStore } from '../../src/store/postgresql/index.js';
import { openProcessingStore } from '../support/pipeline.js';
import { startDaemon, type DaemonProcess } from '../support/daemon.js';
import { freePort } from '../support/net.mjs';
import { freshDatabase, pgSkip } from '../support/pg.js';
import { realMtaSample } from '../support/real-mta-sample.js';
import { Wire } from '../support/smtp-wire.js';
import { collect } from '../support/collect.js';

const dir = mkdtempSync(join(tmpdir(), 'rebound-3d-'));
const running: DaemonProcess[] = [];
afterAll(async () => {
  for (const d of running) if (d.proc.exitCode === null && d.proc.signalCode === null) d.proc.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const VERP_DOMAIN = 'bounces.example.org';

/** The DSN's own To: (the VERP return path it was sent back to) is its RCPT TO. */
function returnPath(raw: Buffer): string {
  const head = raw.toString('latin1').split(/\r?\n\r?\n/, 1)[0]!;
  const m = /^To:\s*<?([^\s<>,]+@[^\s<>,]+)>?/im.exec(head);
  return m && m[1]!.toLowerCase().endsWith(`@${VERP_DOMAIN}`) ? m[1]! : `bounces@${VERP_DOMAIN}`;
}

/** Send lines to a status socket at once (pipelined), return the reply lines. */
async function askSocket(path: string, lines: string[]): Promise<string[]> {
  const sock = createConnection(path);
  sock.setEncoding('utf8');
  let buf = '';
  sock.on('data', (d: string) => (buf += d));
  await new Promise<void>((r, j) => {
    sock.once('connect', () => r());
    sock.once('error', j);
  });
  sock.end(`${lines.join('\n')}\n`);
  await new Promise<void>((r) => sock.once('close', () => r()));
  return buf.split('\n').filter((l) => l !== '');
}

/** The message as it travels (CRLF line ends, ending in CRLF): what the daemon stores. */
function wireForm(raw: Buffer): Buffer {
  return Buffer.from(raw.toString('latin1').replace(/\r?\n/g, '\r\n').replace(/(\r\n)?$/, '\r\n'), 'latin1');
}

/** DATA: the wire form dot-stuffed, with the final dot. */
function dataOf(raw: Buffer): string {
  return `${wireForm(raw).toString('latin1').replace(/^\./gm, '..')}.`;
}

describe.skipIf(pgSkip !== '')(`three daemons on one PostgreSQL${pgSkip ? ` (skipped: ${pgSkip})` : ''}`, { timeout: 240_000 }, () => {
  it('a burst spread over three daemons, one killed -9 and restarted: every acknowledged message stored once, processed once, state as on SQLite', async () => {
    const url = await freshDatabase('three');
    const ports = [await freePort(), await freePort(), await freePort()];
    const cfgs = ports.map((port, i) => {
      const f = join(dir, `d${i}.toml`);
      writeFileSync(
        f,
        [
          '[store]',
          'backend = "postgresql"',
          `url = "${url}"`,
          'tls = "off"',
          'poolSize = 6',
          '[intake.smtp]',
          `port = ${port}`,
          '[control]',
          `socket = "${join(dir, `ctl${i}.sock`)}"`,
          '[verp]',
          `domains = ["${VERP_DOMAIN}"]`,
          '[jobs.prune]',
          'enabled = false',
          '[jobs.checkpoint]',
          'enabled = false',
          '',
        ].join('\n'),
      );
      return f;
    });
    const daemons = await Promise.all(cfgs.map((c) => startDaemon(c)));
    running.push(...daemons);

    const sample = realMtaSample(45); // 180 DSNs
    // Every 6th message is delivered to two hosts (an MTA that did not see the first 250).
    const jobs: { msg: number; host: number }[] = [];
    sample.forEach((_, i) => {
      jobs.push({ msg: i, host: i % 3 });
      if (i % 6 === 0) jobs.push({ msg: i, host: (i + 1) % 3 });
    });
    const acked = new Map<number, Set<number>>(); // message -> ids named by its 250s
    let ackCount = 0;
    const alive = [true, true, true];
    const queue = [...jobs];
    // One delivery is cut by the kill for certain: its DATA is half sent to daemon 1 when it dies.
    // (Others may be cut too, by chance of timing.) It is the last job, kept out of the burst until then.
    const cut = queue.pop()!;

    // One SMTP session per worker and host, reused; a failed delivery goes to the next host.
    const worker = async (): Promise<void> => {
      const sessions = new Map<number, Wire>();
      const session = async (host: number): Promise<Wire | null> => {
        const have = sessions.get(host);
        if (have && !have.closed) return have;
        try {
          const w = await Wire.open({ port: ports[host]! });
          if (!(await w.reply()).startsWith('220') || !(await w.cmd('EHLO mta.example.net')).startsWith('250')) return null;
          sessions.set(host, w);
          return w;
        } catch {
          return null;
        }
      };
      for (;;) {
        const job = queue.shift();
        if (!job) break;
        let host = job.host;
        if (!alive[host]) host = (host + 1) % 3;
        const w = await session(host);
        let id: number | null = null;
        if (w) {
          const raw = sample[job.msg]!.raw;
          if ((await w.cmd('MAIL FROM:<>')).startsWith('250') && (await w.cmd(`RCPT TO:<${returnPath(raw)}>`)).startsWith('250') && (await w.cmd('DATA')).startsWith('354')) {
            const r = await w.cmd(dataOf(raw));
            const m = /^250 .*stored as (\d+)/.exec(r);
            if (m) id = Number(m[1]);
          }
        }
        if (id === null) {
          // No 250: the MTA keeps the message and tries the next MX.
          sessions.get(host)?.sock.destroy();
          sessions.delete(host);
          queue.push({ msg: job.msg, host: (host + 1) % 3 });
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        let ids = acked.get(job.msg);
        if (!ids) acked.set(job.msg, (ids = new Set()));
        ids.add(id);
        ackCount++;
      }
      for (const w of sessions.values()) w.end();
    };

    const workers = Array.from({ length: 6 }, () => worker());
    // Mid-burst: daemon 1 is killed without warning, then started again.
    while (ackCount < jobs.length / 3) await new Promise((r) => setTimeout(r, 10));
    const cutWire = await Wire.open({ port: ports[1]! });
    expect(await cutWire.reply()).toMatch(/^220/);
    for (const [line, code] of [['EHLO mta.example.net', '250'], ['MAIL FROM:<>', '250'], [`RCPT TO:<${returnPath(sample[cut.msg]!.raw)}>`, '250'], ['DATA', '354']] as const)
      expect(await cutWire.cmd(line), line).toMatch(new RegExp(`^${code}`));
    const cutData = dataOf(sample[cut.msg]!.raw);
    cutWire.sock.write(cutData.slice(0, cutData.length >> 1));
    alive[1] = false;
    daemons[1]!.proc.kill('SIGKILL');
    await new Promise<void>((r) => daemons[1]!.proc.once('exit', () => r()));
    const killedAt = ackCount;
    // The half-sent message got no reply, only the closed connection: the MTA keeps it and tries
    // the next MX (below: it must end up stored once, under the id that host's 250 names).
    expect(await cutWire.reply()).toBe('');
    queue.push({ msg: cut.msg, host: 2 });
    workers.push(worker());
    const restarted = await startDaemon(cfgs[1]!);
    running.push(restarted);
    alive[1] = true;
    await Promise.all(workers);
    expect(killedAt).toBeLessThan(jobs.length);
    expect(acked.size).toBe(sample.length);

    // Wait until no message is pending (the sweep picks up what the killed daemon held).
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const p = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM messages WHERE state = 'pending'`);
        if (p.rows[0]!.n === 0 || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      // Stored once, under the id every 250 named; nothing stored that was not acknowledged.
      const rows = await c.query<{ id: number; sha256: string; state: string; attempts: number }>('SELECT id::int, sha256, state, attempts::int FROM messages ORDER BY id');
      const byHash = new Map(rows.rows.map((r) => [r.sha256, r]));
      expect(rows.rows.length).toBe(sample.length);
      for (const [i, ids] of acked) {
        expect([...ids], `message ${i}`).toHaveLength(1);
        const row = byHash.get(createHash('sha256').update(wireForm(sample[i]!.raw)).digest('hex'));
        expect(row?.id, `message ${i}`).toBe([...ids][0]);
      }
      // Processed once each: no pending, attempts 1 (a claim rolled back by the kill counts none).
      expect(rows.rows.filter((r) => r.state === 'pending')).toEqual([]);
      expect(rows.rows.filter((r) => r.attempts !== 1)).toEqual([]);

      // The reference: one SQLite store fed the same messages (same envelopes) in PostgreSQL's fold order.
      const order = await c.query<{ id: number; stored_at: number; received_at: number; source: string; origin: string; mail_from: string; rcpt_to: string; return_paths: string; sha256: string }>(
        `SELECT m.id::int, m.stored_at::float8 AS stored_at, m.received_at::float8 AS received_at, m.source, m.origin, m.mail_from, m.rcpt_to, m.return_paths, m.sha256
           FROM messages m LEFT JOIN (SELECT message_id, min(id) AS e FROM events GROUP BY message_id) e ON e.message_id = m.id
          ORDER BY m.stored_at, e.e NULLS LAST, m.id`,
      );
      const rawByHash = new Map(sample.map((m) => [createHash('sha256').update(wireForm(m.raw)).digest('hex'), wireForm(m.raw)]));
      let t = 0;
      const lite = openProcessingStore({ path: ':memory:', clock: () => t });
      for (const r of order.rows) {
        t = r.stored_at;
        lite.saveMessage(
          { source: r.source as 'smtp', origin: r.origin, mailFrom: r.mail_from, rcptTo: JSON.parse(r.rcpt_to) as string[], receivedAt: r.received_at, returnPaths: JSON.parse(r.return_paths) as ReturnPathVerdict[] },
          rawByHash.get(r.sha256)!,
        );
      }
      await lite.processPending();
      const expected = [...lite.exportAddresses()];
      // "May I send?" on two daemons' status sockets, answered from PostgreSQL, against SQLite's answer.
      const now = Date.now();
      const asked = expected.filter((_, i) => i % 3 === 0).map((r) => r.address);
      const want = asked.map((a) => JSON.stringify(verdictReply(lite.mayISend(a, now))));
      lite.close();
      for (const d of [0, 2]) {
        const got = await askSocket(join(dir, `ctl${d}.sock`), asked.map((a) => `check ${a}`));
        expect(got, `daemon ${d}`).toEqual(want);
      }
      expect(want.some((w) => w.includes('"verdict":"invalid"'))).toBe(true);
      const health = JSON.parse((await askSocket(join(dir, 'ctl2.sock'), ['health']))[0]!) as { healthy: boolean; components: Record<string, unknown> };
      expect(health.healthy).toBe(true);
      expect(Object.keys(health.components)).toContain('store');
      const store = await openPgStore({ url, tls: 'off' });
      try {
        const got = await collect(store.exportAddresses());
        expect(expected.length).toBeGreaterThan(50);
        expect(got).toEqual(expected);
      } finally {
        await store.close();
      }
    } finally {
      await c.end();
    }
    // Whoever was killed or not, every daemon still up drains and exits 0.
    expect(await Promise.all([daemons[0]!.stop(), restarted.stop(), daemons[2]!.stop()])).toEqual([0, 0, 0]);
  });
});
