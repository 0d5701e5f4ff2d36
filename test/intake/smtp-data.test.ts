import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DataReader } from '../../src/intake/smtp-data.js';

/** Feed `wire` to a reader in the given chunk sizes; return what it produced. */
function read(wire: string, sizes: number[] = [wire.length], limit = 1 << 20) {
  const r = new DataReader(limit);
  const b = Buffer.from(wire, 'latin1');
  let at = 0;
  for (let i = 0; at < b.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length]!);
    const end = r.push(b.subarray(at, at + n));
    at += n;
    if (end) return { raw: end.raw.toString('latin1'), size: end.size, oversize: end.oversize, rest: Buffer.concat([end.rest, b.subarray(at)]).toString('latin1') };
  }
  return null;
}

/** What a client sends for `content` (RFC 5321 4.5.2 transparency): stuff dots, add the terminator. */
function stuff(content: string): string {
  return `${content.replace(/(^|\n)\./g, '$1..')}.\r\n`;
}

describe('DataReader (RFC 5321 DATA)', () => {
  it.each([
    ['a plain message', 'Subject: x\r\n\r\nhello\r\n.\r\n', 'Subject: x\r\n\r\nhello\r\n', ''],
    ['an empty message', '.\r\n', '', ''],
    ['stuffed dots are removed', 'a\r\n..b\r\n...\r\n.\r\n', 'a\r\n.b\r\n..\r\n', ''],
    ['a dot inside a line stays', 'a.b\r\n x.\r\n.\r\n', 'a.b\r\n x.\r\n', ''],
    ['bare LF line ends (lenient)', 'a\n..b\n.\n', 'a\n.b\n', ''],
    ['pipelined commands after the terminator are left over', 'x\r\n.\r\nMAIL FROM:<>\r\n', 'x\r\n', 'MAIL FROM:<>\r\n'],
    ['".x" at the very start is a stuffed dot', '.x\r\n.\r\n', 'x\r\n', ''],
    ['a lone "." followed by other text is not the end', 'a\r\n.\rb\r\n.\r\n', 'a\r\n\rb\r\n', ''],
  ])('%s', (_name, wire, raw, rest) => {
    for (const sizes of [[wire.length], [1], [2], [3], [5, 1, 7]]) {
      expect(read(wire, sizes), `chunks ${sizes}`).toEqual({ raw, size: raw.length, oversize: false, rest });
    }
  });

  it('goes on until the terminator arrives', () => {
    const r = new DataReader(1000);
    expect(r.push(Buffer.from('a\r\n'))).toBeNull();
    expect(r.push(Buffer.from('.'))).toBeNull();
    expect(r.push(Buffer.from('\r'))).toBeNull();
    expect(r.push(Buffer.from('\n'))?.raw.toString()).toBe('a\r\n');
  });

  it('counts past the limit but keeps only `limit` bytes', () => {
    const out = read(`${'x'.repeat(5000)}\r\n.\r\n`, [700], 1024)!;
    expect(out.oversize).toBe(true);
    expect(out.size).toBe(5002);
    expect(out.raw.length).toBe(1024);
  });

  it('reads back any content a client stuffs, whatever the chunking (property)', () => {
    const line = fc.array(fc.constantFrom('.', 'a', ' ', '\r', 'Z'), { maxLength: 8 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 5 }), (lines, sizes) => {
        const content = lines.map((l) => `${l.replace(/\r/g, '')}\r\n`).join('');
        const out = read(stuff(content), sizes);
        expect(out).not.toBeNull();
        expect(out!.raw).toBe(content);
        expect(out!.rest).toBe('');
      }),
    );
  });
});
