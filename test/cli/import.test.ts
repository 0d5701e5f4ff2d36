import { describe, expect, it } from 'vitest';
import { mapType, parseCsv, rowsFromCsv } from '../../src/cli/import.js';

describe('import: CSV reading', () => {
  it('parses RFC 4180 quoting, CRLF, BOM and a last line without newline', () => {
    expect(parseCsv('\uFEFFa,"b,c","say ""hi"""\r\n"multi\nline",x,\r\nlast,1,2')).toEqual([
      ['a', 'b,c', 'say "hi"'],
      ['multi\nline', 'x', ''],
      ['last', '1', '2'],
    ]);
  });

  it('maps common suppression-list types', () => {
    expect(mapType('Hard')).toBe('invalid');
    expect(mapType('bounce')).toBe('invalid');
    expect(mapType('spam')).toBe('complained');
    expect(mapType('unsubscribed')).toBe('complained');
    expect(mapType('blocked')).toBe('suspended');
    expect(mapType('whatever')).toBeUndefined();
  });

  it('finds columns by header name, uses the default type, and reads dates', () => {
    const r = rowsFromCsv('reason,EMAIL,created_at\r\ngone,a@x.example,2025-12-01T00:00:00Z\r\n,b@x.example,1767225600\r\n\r\n', 'suspended');
    expect(r.skipped).toEqual([]);
    expect(r.rows).toEqual([
      { line: 2, address: 'a@x.example', what: 'suspended', cause: 'gone', at: Date.UTC(2025, 11, 1) },
      { line: 3, address: 'b@x.example', what: 'suspended', cause: '', at: 1767225600 * 1000 },
    ]);
  });

  it('without a header the first column is the address', () => {
    const r = rowsFromCsv('a@x.example\nb@x.example\n', 'invalid');
    expect(r.rows.map((x) => [x.address, x.what, x.line])).toEqual([
      ['a@x.example', 'invalid', 1],
      ['b@x.example', 'invalid', 2],
    ]);
  });

  it('skips rows with an unknown type, naming the line', () => {
    const r = rowsFromCsv('email,type\na@x.example,hard\nb@x.example,maybe\n', 'invalid');
    expect(r.rows).toHaveLength(1);
    expect(r.skipped).toEqual([{ line: 3, address: 'b@x.example', why: 'unknown type "maybe"' }]);
  });

  it('refuses a header without an address column', () => {
    expect(() => rowsFromCsv('name,type\nx,hard\n', 'invalid')).toThrow(/no address column/);
  });

  it('reads `rebound export --csv` output back as flags', () => {
    const csv =
      'address,email_invalid,email_invalid_cause,email_invalid_at,email_suspended,email_suspended_cause,email_suspended_at,complained,complained_at,soft_bounces,first_bounce_at,last_bounce_at\r\n' +
      'a@x.example,1,550 gone,2026-01-10T12:00:00.000Z,1,blocked,2026-01-11T12:00:00.000Z,0,,0,,\r\n' +
      'b@x.example,0,,,0,,,1,2026-01-12T00:00:00.000Z,0,,\r\n';
    const r = rowsFromCsv(csv, 'invalid');
    expect(r.rows.map((x) => [x.address, x.what, x.cause, x.at])).toEqual([
      ['a@x.example', 'invalid', '550 gone', Date.UTC(2026, 0, 10, 12)],
      ['a@x.example', 'suspended', 'blocked', Date.UTC(2026, 0, 11, 12)],
      ['b@x.example', 'complained', '', Date.UTC(2026, 0, 12)],
    ]);
  });
});
