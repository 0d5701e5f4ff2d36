import { mkdirSync, mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMbox, readInputs, splitMbox, splitMessages } from '../../src/intake/file.js';

async function collect(paths: string[]) {
  const out: Array<{ source: string; raw?: string; error?: string }> = [];
  for await (const item of readInputs(paths)) {
    out.push('error' in item ? { source: item.source, error: item.error } : { source: item.source, raw: item.raw.toString() });
  }
  return out;
}

const msg = (n: number) => `From: a${n}@example.org\nSubject: m${n}\n\nbody ${n}\n`;

describe('splitMbox', () => {
  it('splits at From lines after a blank line and unquotes >From', () => {
    const mbox = `From MAILER-DAEMON Thu Nov 26 04:00:00 2026\n${msg(1)}>From the quoted line\n\nFrom MAILER-DAEMON Thu Nov 26 04:01:00 2026\n${msg(2)}\n`;
    const parts = splitMbox(Buffer.from(mbox)).map((b) => b.toString());
    expect(parts).toHaveLength(2);
    expect(parts[0]).toContain('body 1');
    expect(parts[0]).toContain('\nFrom the quoted line');
    expect(parts[1]).toMatch(/^From: a2@example.org/);
  });
  it('does not split at a From line inside a paragraph', () => {
    const mbox = `From x Thu Nov 26 04:00:00 2026\nSubject: s\n\nline\nFrom here on it is body\n`;
    expect(splitMbox(Buffer.from(mbox))).toHaveLength(1);
  });
  it('handles CRLF mbox files', () => {
    const mbox = `From x Thu Nov 26 2026\r\nSubject: 1\r\n\r\nb\r\n\r\nFrom y Thu Nov 26 2026\r\nSubject: 2\r\n\r\nc\r\n`;
    expect(splitMbox(Buffer.from(mbox))).toHaveLength(2);
  });
  it('handles CR-only mbox files and keeps their line endings', () => {
    const mbox = `From x Thu Nov 26 04:00:00 2026\rSubject: 1\r\rb\r>From me\r\rFrom y Thu Nov 26 04:01:00 2026\rSubject: 2\r\rc\r`;
    const parts = splitMbox(Buffer.from(mbox)).map((b) => b.toString());
    expect(parts).toEqual(['Subject: 1\r\rb\rFrom me\r', 'Subject: 2\r\rc\r']);
  });
  it('does not split at a paragraph that starts with "From " but is no envelope line', () => {
    const mbox = `From x Thu Nov 26 04:00:00 2026\nSubject: s\n\nline\n\nFrom here on it is body\nand more body\n`;
    expect(splitMbox(Buffer.from(mbox))).toHaveLength(1);
  });
  it('reads a CR-only file with LF line endings (the MIME parser reads CRLF and LF only)', () => {
    const items = [...splitMessages('old-mac.eml', Buffer.from('From: a@example.org\rSubject: s\r\rbody\r'))];
    expect(items).toEqual([{ source: 'old-mac.eml', raw: Buffer.from('From: a@example.org\nSubject: s\n\nbody\n') }]);
    const mbox = [...splitMessages('old.mbox', Buffer.from('From x Thu Nov 26 04:00:00 2026\rSubject: 1\r\rb\r\rFrom y Thu Nov 26 04:01:00 2026\rSubject: 2\r\rc\r'))];
    expect(mbox.map((m) => ('raw' in m ? m.raw.toString() : m.error))).toEqual(['Subject: 1\n\nb\n', 'Subject: 2\n\nc\n']);
  });
  it('recognises an mbox by its first line only', () => {
    expect(isMbox(Buffer.from('From x Thu\n'))).toBe(true);
    expect(isMbox(Buffer.from('From: x@example.org\n'))).toBe(false);
  });
});

describe('readInputs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rebound-file-'));
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'b.eml'), msg(2));
  writeFileSync(join(dir, 'a.eml'), msg(1));
  writeFileSync(join(dir, '.hidden'), 'not a message');
  writeFileSync(join(dir, 'sub', 'box.mbox'), `From a Thu Nov 26 2026\n${msg(3)}\nFrom b Thu Nov 26 2026\n${msg(4)}`);

  it('walks directories in name order, numbers mbox messages, skips hidden files', async () => {
    const got = await collect([dir]);
    expect(got.map((g) => g.source.slice(dir.length + 1))).toEqual(['a.eml', 'b.eml', 'sub/box.mbox#1', 'sub/box.mbox#2']);
    expect(got[3]!.raw).toContain('body 4');
  });
  it('reports an unreadable path and goes on with the rest', async () => {
    const got = await collect([join(dir, 'missing.eml'), join(dir, 'a.eml')]);
    expect(got[0]).toEqual({ source: join(dir, 'missing.eml'), error: 'no such file or directory' });
    expect(got[1]!.raw).toContain('body 1');
  });
  it.skipIf(process.getuid?.() === 0)('reports a permission error', async () => {
    const p = join(dir, 'locked.eml');
    writeFileSync(p, msg(5));
    chmodSync(p, 0o000);
    const got = await collect([p]);
    expect(got[0]!.error).toBe('permission denied');
  });
});
