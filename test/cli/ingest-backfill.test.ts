/**
 * `rebound ingest` as a backfill (issue 18), through the built binary in child processes:
 * - an mbox four times the process's V8 heap limit (--max-old-space-size=48) is read message by
 *   message: it is ingested whole, and the peak RSS stays below the file's size;
 * - Ctrl-C (SIGINT) in the middle leaves a consistent store, exits 130 and says so; running the same
 *   command again stores nothing twice and ends in the same state as one uninterrupted run - with
 *   two worker threads analysing, against a run without any (the order per address is kept).
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { privateApp, runNode } from '../support/app.js';

const root = join(import.meta.dirname, '..', '..');
const fix = join(root, 'test', 'fixtures', 'store');
const dir = mkdtempSync(join(tmpdir(), 'rebound-backfill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const main = privateApp(dir);
const env = { ...process.env, REBOUND_CONFIG: '', REBOUND_LOG_LEVEL: 'silent' };

/** Bounce templates whose recipient is replaced per copy; their Date: is rewritten to "recent". */
const TEMPLATES: [string, string][] = [
  ['user-unknown-511.eml', 'bob@invalid.example'],
  ['spam-block-571.eml', 'carol@blocked.example'],
  ['mailbox-full.eml', 'erin@full.example'],
  ['arf-complaint.eml', 'frank@complain.example'],
  ['delayed.eml', 'grace@slow.example'],
  ['delivered.eml', 'heidi@ok.example'],
];
const DAY = 86_400_000;
const T = Date.now() - 30 * DAY;

function bounce(i: number, addresses: number): string {
  const [file, rcpt] = TEMPLATES[i % TEMPLATES.length]!;
  const text = readFileSync(join(fix, file), 'latin1').replace(/\r\n/g, '\n');
  const who = `user${(i * 7919) % addresses}@d${i % 5}.example`;
  // Dates within the last month (never "older than a year": the bounce time is the message's own).
  const date = new Date(T + i * 60_000).toUTCString().replace('GMT', '+0000');
  return `X-Copy: ${i}\n${text.split(rcpt).join(who).replace(/^Date:.*$/m, `Date: ${date}`)}`;
}

function mboxMessage(body: string, i: number): string {
  return `From MAILER-DAEMON Thu Nov 26 04:00:00 2026\n${body.replace(/^(>*From )/gm, '>$1')}${body.endsWith('\n') ? '' : '\n'}\n${i < 0 ? '' : ''}`;
}

async function writeMbox(path: string, n: number, big: (i: number) => string | null): Promise<number> {
  const ws = createWriteStream(path);
  for (let i = 0; i < n; i++) {
    const extra = big(i);
    const chunk = mboxMessage(bounce(i, Math.max(10, n / 4)), i) + (extra ? mboxMessage(extra, i) : '');
    if (!ws.write(chunk)) await new Promise((r) => ws.once('drain', r));
  }
  await new Promise<void>((r) => ws.end(() => r()));
  return statSync(path).size;
}

/** The state a run leaves, without what depends on when it ran (ids, stored_at, updated_at, positions). */
function snapshot(db: string) {
  const d = new Database(db, { readonly: true });
  try {
    return {
      messages: d.prepare('SELECT sha256, state, bounce_at FROM messages ORDER BY sha256').all(),
      duplicatesOfContent: d.prepare('SELECT count(*) - count(DISTINCT sha256) AS n FROM messages').pluck().get(),
      events: d
        .prepare('SELECT m.sha256, e.address, e.at, e.effect, e.reason FROM events e JOIN messages m ON m.id = e.message_id ORDER BY m.sha256, e.address, e.id')
        .all(),
      addresses: d
        .prepare(
          `SELECT address, email_suspended, email_suspended_cause, email_suspended_at, email_invalid, email_invalid_cause, email_invalid_at,
             complained, complained_at, soft_bounces, soft_days, last_soft_at, first_bounce_at, last_bounce_at, events, soft_day_list
           FROM addresses ORDER BY address`,
        )
        .all(),
      pending: d.prepare("SELECT count(*) FROM messages WHERE state = 'pending'").pluck().get(),
      integrity: d.pragma('integrity_check', { simple: true }),
    };
  } finally {
    d.close();
  }
}

describe('rebound ingest as a backfill', { timeout: 300_000 }, () => {
  it('reads an mbox larger than its heap limit message by message; peak RSS below the file size', async () => {
    const mbox = join(dir, 'big.mbox');
    // 200 bounces, each followed by a 1 MB message (a mail loop's worth of text): ~210 MB, over
    // four times the heap limit. The old reader held the file and a latin1 copy of it (heap).
    const line = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt.\n';
    const bigText = line.repeat(Math.ceil((1 << 20) / line.length));
    const size = await writeMbox(mbox, 200, (i) => `From: someone@example.net\nSubject: big ${i}\nDate: ${new Date(T).toUTCString()}\n\n${bigText}`);
    const heapMb = 48;
    expect(size).toBeGreaterThan(4 * heapMb * (1 << 20));
    // maxRSS of the child, written as it exits (a preload: the CLI itself is unchanged).
    const rssFile = join(dir, 'rss.txt');
    const preload = join(dir, 'rss.mjs');
    writeFileSync(preload, `import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS * 1024)));\n`);
    const db = join(dir, 'big.db');
    // In this thread (--threads 0): the reader's memory, not a worker isolate's, is what is measured.
    const r = await runNode([`--max-old-space-size=${heapMb}`, '--import', preload, main, 'ingest', mbox, '--db', db, '--json', '--threads', '0'], { env });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    // The heap limit alone does not catch a whole-file reader (Node keeps big latin1 strings and
    // Buffers outside the V8 heap): the old reader peaked at 466 MB of RSS on a 126 MB mbox.
    const peak = Number(readFileSync(rssFile, 'utf8'));
    expect(peak).toBeLessThan(size);
    const s = JSON.parse(r.out) as Record<string, number>;
    expect(s).toMatchObject({ messages: 400, stored: 400, unreadable: 0, bytes: size });
    const snap = snapshot(db);
    expect(snap.messages).toHaveLength(400);
    expect(snap.pending).toBe(0);
  });

  it('Ctrl-C mid-way leaves a consistent store; the same command again resumes, nothing stored twice, same state as one run', async () => {
    const mbox = join(dir, 'resume.mbox');
    const N = 4000;
    await writeMbox(mbox, N, () => null);
    // The reference: one uninterrupted run, analysed in this thread.
    const full = join(dir, 'full.db');
    const ref = await runNode([main, 'ingest', mbox, '--db', full, '--json', '--batch', '50', '--threads', '0'], { env });
    expect(ref.code, ref.err).toBe(0);
    expect(JSON.parse(ref.out)).toMatchObject({ messages: N, stored: N, interrupted: false });

    // The interrupted run, analysed by two worker threads (committed in file order all the same):
    // SIGINT once some batches are committed (watched from another connection).
    const part = join(dir, 'part.db');
    const first = await new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
      const p = spawn(process.execPath, [main, 'ingest', mbox, '--db', part, '--json', '--batch', '50', '--threads', '2'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      p.on('error', reject);
      p.on('close', (code) => resolve({ code, out, err }));
      const watch = setInterval(() => {
        try {
          const d = new Database(part, { readonly: true, fileMustExist: true });
          const n = d.prepare('SELECT count(*) FROM messages').pluck().get() as number;
          d.close();
          if (n >= 300) {
            clearInterval(watch);
            p.kill('SIGINT');
          }
        } catch {
          // Not created yet, or the schema is being set up.
        }
      }, 20);
      p.on('close', () => clearInterval(watch));
    });
    expect(first.code, first.err).toBe(130);
    const s1 = JSON.parse(first.out) as { messages: number; stored: number; interrupted: boolean };
    expect(s1.interrupted).toBe(true);
    expect(s1.messages).toBeLessThan(N);
    expect(first.err).toContain('interrupted after');
    const mid = snapshot(part);
    expect(mid.integrity).toBe('ok');
    expect(mid.pending).toBe(0);
    expect(mid.messages.length).toBe(s1.stored);
    // Consistent: every row is the fold of its history.
    const verify = await runNode([main, 'verify-state', '--db', part], { env });
    expect([verify.code, verify.out]).toEqual([0, '']);

    // The same command again.
    const second = await runNode([main, 'ingest', mbox, '--db', part, '--json', '--batch', '50', '--threads', '2'], { env });
    expect(second.code, second.err).toBe(0);
    const s2 = JSON.parse(second.out) as { messages: number; stored: number; duplicates: number };
    expect(s2).toMatchObject({ messages: N, duplicates: s1.stored, stored: N - s1.stored, threads: 2 });
    const a = snapshot(full);
    const b = snapshot(part);
    expect(b.duplicatesOfContent).toBe(0);
    expect(b.messages).toEqual(a.messages);
    expect(b.events).toEqual(a.events);
    expect(b.addresses).toEqual(a.addresses);
  });
});
