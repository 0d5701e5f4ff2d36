/**
 * `rebound parse` as other tools use it: spawned, JSON lines on stdout, errors on stderr, exit code.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const main = join(root, 'dist/main.js');
const sample = (p: string) => join(root, 'samples', p);
const run = (args: string[], input?: string) =>
  spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', input, timeout: 20_000 });

describe('rebound parse', () => {
  it('prints one JSON object per message with the contract fields', () => {
    const r = run(['parse', '--json', sample('postfix/02-no-such-user-bounce.eml'), sample('written/01-arf-complaint.eml')]);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0].source).toBe(sample('postfix/02-no-such-user-bounce.eml'));
    expect(lines[0].type).toBe('bounce');
    expect(Object.keys(lines[0].recipients[0]).sort()).toEqual(
      ['action', 'address', 'category', 'diagnostic', 'evidence', 'feedbackType', 'hard', 'likelyFalsePositive', 'reason', 'remoteMta', 'replyCode', 'status'].sort(),
    );
    expect(lines[0].recipients[0]).toMatchObject({ address: 'no.such.user@example.net', reason: 'userunknown', hard: true, category: 2 });
    expect(lines[1]).toMatchObject({ type: 'feedback', recipients: [{ reason: 'feedback', feedbackType: 'abuse' }] });
  });

  it('reads stdin with -, and numbers the messages of an mbox', () => {
    const a = readFileSync(sample('written/04-qmail-no-mailbox.eml'), 'utf8');
    const b = readFileSync(sample('written/02-vacation.eml'), 'utf8');
    const mbox = `From MAILER-DAEMON Thu Nov 26 12:00:07 2026\n${a}\nFrom dave@example.net Thu Nov 26 10:01:00 2026\n${b}`;
    const r = run(['parse', '--json', '-'], mbox);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.source, l.type])).toEqual([
      ['-#1', 'bounce'],
      ['-#2', 'autoreply'],
    ]);
  });

  it('reports an unreadable path on stderr, finishes the rest, exits 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rebound-parse-'));
    writeFileSync(join(dir, 'garbage.eml'), Buffer.from([0, 1, 2, 255, 254, 10, 13, 0]));
    const r = run(['parse', '--json', join(dir, 'nope.eml'), join(dir, 'garbage.eml')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${join(dir, 'nope.eml')}: no such file or directory`);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([{ source: join(dir, 'garbage.eml'), type: 'not-bounce', recipients: [] }]);
  });

  it('says why a message could not be read at all (JSON field "unreadable", added only then)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rebound-parse-'));
    // A header block over mailparser's 1 MiB limit.
    writeFileSync(join(dir, 'huge-header.eml'), `${'Received: from relay.example (192.0.2.1)\n'.repeat(40_000)}Subject: x\n\nhi\n`);
    const r = run(['parse', '--json', join(dir, 'huge-header.eml'), sample('written/02-vacation.eml')]);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ type: 'not-bounce', recipients: [], unreadable: expect.stringMatching(/^mailparser: Max header size/) });
    expect(lines[1].type).toBe('autoreply');
    expect(lines[1]).not.toHaveProperty('unreadable');
    const table = run(['parse', join(dir, 'huge-header.eml')]);
    expect(table.stdout).toMatch(/huge-header\.eml: unreadable\n\s+\(no recipients\)\n\s+problem: mailparser: Max header size/);
  });

  it('prints a readable table without --json', () => {
    const r = run(['parse', sample('postfix/01-spam-blocked-bounce.eml')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/spam\.blocked@example\.net\s+blocked\s+soft, cat 1, likely false positive/);
    expect(r.stdout).toMatch(/evidence:/);
  });

  it('has --help', () => {
    const r = run(['parse', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Usage: rebound parse/);
  });
});
