/**
 * Address text from bytes (src/address/text.ts): UTF-8 when valid, never latin1; anything else
 * kept as bytes and marked; RFC 2047, RFC 6533 and xtext escapes decoded.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isUtf8 } from 'node:buffer';
import { bytesOfText, decodeAddressEscapes, decodeEncodedWords, fieldsText, isMarked, readTypedAddress, textFromBinary, textFromBytes } from '../../src/address/index.js';

describe('textFromBytes', () => {
  it('reads valid UTF-8 as UTF-8', () => {
    const t = textFromBytes(Buffer.from('bounces+jürgen.müller=remote.test@bounces.test', 'utf8'));
    expect(t).toBe('bounces+jürgen.müller=remote.test@bounces.test');
    expect(isMarked(t)).toBe(false);
    // The latin1 misreading of the issue never happens.
    expect(t).not.toContain('Ã');
  });

  it('keeps bytes that are not UTF-8 as marked bytes, losslessly', () => {
    const raw = Buffer.from([0x6d, 0xfc, 0x6c, 0x6c, 0x65, 0x72, 0x40, 0x78]); // m\xFCller@x (latin1)
    const t = textFromBytes(raw);
    expect(t).toBe('m\\xFCller@x');
    expect(isMarked(t)).toBe(true);
    expect(bytesOfText(t).equals(raw)).toBe(true);
  });

  it('keeps the valid UTF-8 characters of a partly broken field readable', () => {
    const raw = Buffer.concat([Buffer.from('jü', 'utf8'), Buffer.from([0xff]), Buffer.from('\\x@b', 'utf8')]);
    const t = textFromBytes(raw);
    expect(t).toBe('jü\\xFF\\x5Cx@b');
    expect(bytesOfText(t).equals(raw)).toBe(true);
  });

  it("undoes Postfix's backslash before each 8-bit byte of a quoted local part", () => {
    // X-Postfix-Sender: rfc822; "bounces+j\<C3>\<BC>rgen-unknown=legacy.test"@bounces.test
    const raw = Buffer.concat([Buffer.from('"bounces+j\\'), Buffer.from([0xc3]), Buffer.from('\\'), Buffer.from([0xbc]), Buffer.from('rgen=legacy.test"@bounces.test')]);
    expect(textFromBytes(raw)).toBe('"bounces+jürgen=legacy.test"@bounces.test');
  });

  it('reads a binary (latin1) string the same way', () => {
    expect(textFromBinary(Buffer.from('用户@例子.广告', 'utf8').toString('latin1'))).toBe('用户@例子.广告');
    expect(textFromBinary('plain@ascii.test')).toBe('plain@ascii.test');
  });

  it('round-trips any bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const t = textFromBytes(Buffer.from(bytes));
        expect(bytesOfText(t).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('never marks valid UTF-8 text (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), (s) => {
        fc.pre(!s.includes('\\'));
        expect(textFromBytes(Buffer.from(s, 'utf8'))).toBe(s);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('fieldsText (message/global-delivery-status bodies)', () => {
  it("reads each field of Postfix's report as UTF-8 although X-Postfix-Sender quotes its 8-bit bytes", () => {
    // What Postfix 3.7 writes when the return path has a UTF-8 local part (checked on this machine).
    const body = Buffer.concat([
      Buffer.from('Reporting-MTA: dns; mta.rebound.test\r\nX-Postfix-Sender: rfc822; "bounces+j\\'),
      Buffer.from([0xc3]),
      Buffer.from('\\'),
      Buffer.from([0xbc]),
      Buffer.from('rgen-unknown=legacy.test"@bounces.test\r\n\r\nFinal-Recipient: utf-8; jürgen-unknown@legacy.test\r\nOriginal-Recipient: rfc822;jürgen-unknown@legacy.test\r\nStatus: 5.6.7\r\n'),
    ]);
    const text = fieldsText(body);
    expect(text).toContain('Final-Recipient: utf-8; jürgen-unknown@legacy.test\r');
    expect(text).toContain('X-Postfix-Sender: rfc822; "bounces+jürgen-unknown=legacy.test"@bounces.test\r');
    // Read whole as text, the part is not UTF-8: the reason readers fell back to latin1.
    expect(isUtf8(body)).toBe(false);
  });

  it('marks only the line that is not UTF-8', () => {
    const body = Buffer.concat([Buffer.from('Final-Recipient: utf-8; 用户@例子.广告\nX-Other: '), Buffer.from([0xe9]), Buffer.from('\n')]);
    expect(fieldsText(body)).toBe('Final-Recipient: utf-8; 用户@例子.广告\nX-Other: \\xE9\n');
  });
});

describe('escapes', () => {
  it.each([
    ['j\\x{FC}rgen@b\\x{FC}cher.example', 'jürgen@bücher.example'],
    ['\\x{7528}\\x{6237}@\\x{4F8B}\\x{5B50}.\\x{5E7F}\\x{544A}', '用户@例子.广告'],
    ['a\\x{2B}b@x', 'a+b@x'],
    ['j+C3+BCrgen@x', 'jürgen@x'],
    ['a+2Bb@x', 'a+b@x'],
    // Tags that look like xtext stay: +DE alone is no UTF-8, +b is no escape.
    ['a+DE@x', 'a+DE@x'],
    ['a+b@x', 'a+b@x'],
    // An escape that names no character is kept as written.
    ['a\\x{D800}@x', 'a\\x{D800}@x'],
  ])('%j -> %j', (input, want) => {
    expect(decodeAddressEscapes(input)).toBe(want);
  });

  it('reads typed DSN address fields', () => {
    expect(readTypedAddress('utf-8; j\\x{FC}rgen@example.com')).toEqual({ type: 'utf-8', address: 'jürgen@example.com' });
    expect(readTypedAddress('rfc822;jürgen@bücher.test')).toEqual({ type: 'rfc822', address: 'jürgen@bücher.test' });
    expect(readTypedAddress('<a@b>')).toEqual({ type: '', address: '<a@b>' });
  });

  it('decodes RFC 2047 encoded-words', () => {
    expect(decodeEncodedWords('=?utf-8?B?' + Buffer.from('jürgen').toString('base64') + '?=@bücher.example')).toBe('jürgen@bücher.example');
    expect(decodeEncodedWords('=?iso-8859-1?Q?j=FCrgen?=@x')).toBe('jürgen@x');
    expect(decodeEncodedWords('plain@x')).toBe('plain@x');
  });
});
