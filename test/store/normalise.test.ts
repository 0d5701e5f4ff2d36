import { describe, expect, it } from 'vitest';
import { normaliseAddress } from '../../src/store/normalise.js';

describe('normaliseAddress', () => {
  it.each([
    ['Bob@Example.COM', 'bob@example.com'],
    ['<bob@example.com>', 'bob@example.com'],
    ['rfc822; Bob@Example.com', 'bob@example.com'],
    ['mailto:bob@example.com', 'bob@example.com'],
    ['  bob@example.com.  ', 'bob@example.com'],
    ['bob@bücher.example', 'bob@xn--bcher-kva.example'],
    ['bob@XN--BCHER-KVA.example', 'bob@xn--bcher-kva.example'],
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
});
