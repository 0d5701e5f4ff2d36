import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normaliseAddress, normaliseGeneral } from '../../src/store/normalise.js';

describe('normaliseAddress', () => {
  it.each([
    ['Bob@Example.COM', 'bob@example.com'],
    ['<bob@example.com>', 'bob@example.com'],
    ['rfc822; Bob@Example.com', 'bob@example.com'],
    ['mailto:bob@example.com', 'bob@example.com'],
    ['  bob@example.com.  ', 'bob@example.com'],
    // Domains are kept as U-labels (issue 19): either spelling finds the same row.
    ['bob@bücher.example', 'bob@bücher.example'],
    ['bob@XN--BCHER-KVA.example', 'bob@bücher.example'],
    ['Jöhn@example.com', 'jöhn@example.com'],
    ['first.last+tag@example.com', 'first.last+tag@example.com'],
    ['"odd@local"@example.com', '"odd@local"@example.com'],
    ['bob@[192.0.2.1]', 'bob@[192.0.2.1]'],
    ['', ''],
    ['no-at-sign', ''],
    ['@example.com', ''],
    ['bob@', ''],
    ['two words@example.com', ''],
  ])('%j -> %j', (input, want) => {
    expect(normaliseAddress(input)).toBe(want);
  });

  // The fast path for already-canonical spellings must never answer differently from the
  // general path: random addresses built from the characters where the two could disagree.
  it('gives the same answer as the general path for any spelling', () => {
    const piece = fc.constantFrom('a', 'z', 'B', '0', '9', '-', '.', '+', '_', "'", 'xn--', '0x1', '123', 'ü', ' ', '<', '>', ';', ':', '@', '[', ']');
    const word = fc.array(piece, { minLength: 0, maxLength: 6 }).map((a) => a.join(''));
    const address = fc.tuple(word, fc.constantFrom('@', '@', '', '@@'), word, fc.constantFrom('', '.', '.com', '.0x10', '.12', '.xn--bcher-kva', '.Example')).map(([l, at, d, tld]) => `${l}${at}${d}${tld}`);
    fc.assert(
      fc.property(address, (a) => {
        expect(normaliseAddress(a)).toBe(normaliseGeneral(a));
      }),
      { numRuns: 5000 },
    );
  });

  it.each(['user1@d45.example.com', 'first.last+tag@example.com', 'a@b.c0m', 'x@a-b.example'])('keeps canonical %j as it is', (a) => {
    expect(normaliseAddress(a)).toBe(a);
    expect(normaliseGeneral(a)).toBe(a);
  });
});
