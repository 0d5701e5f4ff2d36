/**
 * The normal form of an address (src/address/normal.ts): U-label domains, case-folded local
 * parts as Postfix folds its lookup keys, quotes that are invisible dropped. The case folding is
 * checked against Perl's fc() (full Unicode case folding, as ICU's u_strFoldCase that Postfix
 * uses) for every code point both Unicode versions know.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { asciiDomain, asciiSpelling, foldCase, needsSmtputf8, normaliseAddress, normaliseDomain } from '../../src/address/index.js';

describe('normaliseAddress: internationalized addresses', () => {
  it.each([
    // U-labels and A-labels, any case, are one domain, kept as U-labels (NFC).
    ['jürgen.müller@bücher.example', 'jürgen.müller@bücher.example'],
    ['jürgen.müller@xn--bcher-kva.example', 'jürgen.müller@bücher.example'],
    ['JÜRGEN.Müller@XN--BCHER-KVA.EXAMPLE', 'jürgen.müller@bücher.example'],
    ['ju\u0308rgen@bu\u0308cher.example', 'jürgen@bücher.example'],
    ['用户@例子.广告', '用户@例子.广告'],
    ['用户@xn--fsqu00a.xn--4rr70v', '用户@例子.广告'],
    ['用户@例子。广告', '用户@例子.广告'],
    ['a@ｅｘａｍｐｌｅ.com', 'a@example.com'],
    // Case folding as Postfix's (ICU full case folding): final sigma, sharp s, Cyrillic.
    ['ΣΊΣΥΦΟΣ@x.test', 'σίσυφοσ@x.test'],
    ['σίσυφος@x.test', 'σίσυφοσ@x.test'],
    ['Straße@x.test', 'strasse@x.test'],
    ['Иван.Петров@почта.рф', 'иван.петров@почта.рф'],
    // Dotless i is a letter of its own: folding never makes it the ASCII i.
    ['kırmızı@x.test', 'kırmızı@x.test'],
    // RFC 6533 utf-8 address type with escapes; quotes that are invisible go.
    ['utf-8; j\\x{FC}rgen@b\\x{FC}cher.example', 'jürgen@bücher.example'],
    ['rfc822; <"jürgen"@bücher.example>', 'jürgen@bücher.example'],
    ['"bounces+j\\ü\\rgen=legacy.test"@bounces.test', 'bounces+jürgen=legacy.test@bounces.test'],
    ['"two words"@x.test', ''],
    ['"a@b"@x.test', '"a@b"@x.test'],
    // Not mailboxes (issue 16): an '@' outside quotes in the local part, an empty domain label.
    ['a@b@c', ''],
    ['a@b@c.example', ''],
    ['a@.', ''],
    ['a@.example', ''],
    ['a@b..example', ''],
    // faß.de is not fass.de under IDNA 2008 (non-transitional): ß is kept in the domain.
    ['a@faß.de', 'a@faß.de'],
    ['a@xn--fa-hia.de', 'a@faß.de'],
    // What IDNA refuses is kept as written (folded), not dropped.
    ['a@xn--zz.example', 'a@xn--zz.example'],
    // Marked bytes (text.ts) stay marked.
    ['M\\xFCller@Example.DE', 'm\\xfcller@example.de'],
  ])('%j -> %j', (input, want) => {
    expect(normaliseAddress(input)).toBe(want);
    // A normal form is its own normal form.
    expect(normaliseAddress(want)).toBe(want);
  });

  it('spells domains as A-labels for an ASCII envelope', () => {
    expect(asciiDomain('Bücher.example')).toBe('xn--bcher-kva.example');
    expect(asciiDomain('例子.广告')).toBe('xn--fsqu00a.xn--4rr70v');
    expect(asciiDomain('example.com')).toBe('example.com');
    expect(asciiSpelling('ascii@bücher.example')).toBe('ascii@xn--bcher-kva.example');
    expect(asciiSpelling('jürgen@bücher.example')).toBe('');
    expect(needsSmtputf8('jürgen@example.com')).toBe(true);
    expect(needsSmtputf8('ascii@bücher.example')).toBe(false);
    expect(normaliseDomain('XN--BCHER-KVA.example.')).toBe('bücher.example');
  });
});

/**
 * Perl's view of every code point with a case mapping (fc, lc or uc differs from itself):
 * code point -> its full case folding. Code points Perl does not list have none in its Unicode.
 */
function perlFolds(): Map<string, string> | null {
  const r = spawnSync(
    'perl',
    [
      '-e',
      'use feature qw(fc unicode_strings); for my $c (0..0x10FFFF) { next if $c>=0xD800 && $c<=0xDFFF; my $s=chr($c); my $f=fc($s); next if $f eq $s && lc($s) eq $s && uc($s) eq $s; print sprintf("%X", $c), " ", join(",", map { sprintf("%X", ord) } split //, $f), "\n"; }',
    ],
    { encoding: 'utf8', maxBuffer: 16 << 20 },
  );
  if (r.status !== 0 || r.stdout.trim() === '') return null;
  const hex = (h: string) => String.fromCodePoint(parseInt(h, 16));
  return new Map(
    r.stdout
      .trim()
      .split('\n')
      .map((l) => {
        const [c, f] = l.split(' ');
        return [hex(c!), f!.split(',').map(hex).join('')] as [string, string];
      }),
  );
}

const folds = perlFolds();

describe.skipIf(folds === null)(`foldCase agrees with Unicode full case folding${folds === null ? ' (skipped: no perl)' : ''}`, () => {
  const fc = (s: string) => [...s].map((c) => folds!.get(c) ?? c).join('');
  // Code points with a case mapping in Node's Unicode but none in Perl's are newer than Perl's
  // tables: neither side of the comparison can speak for them.
  // Only code points with a case mapping or a decomposition can fold to anything but themselves.
  const candidates: string[] = [];
  for (let cp = 0x20; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const c = String.fromCodePoint(cp);
    const nodeCased = c.toLowerCase() !== c || c.toUpperCase() !== c;
    if (nodeCased && !folds!.has(c)) continue;
    if (nodeCased || folds!.has(c) || c.normalize('NFD') !== c) candidates.push(c);
  }
  const codePoints = (): string[] => candidates;

  it('maps what Postfix asks for (its case folding of a key) to the same key, for every code point', () => {
    const bad = codePoints().filter((c) => foldCase(fc(c)) !== foldCase(c));
    expect(bad.map((c) => c.codePointAt(0)!.toString(16))).toEqual([]);
  });

  it('merges no two characters that case folding keeps apart', () => {
    const byKey = new Map<string, Set<string>>();
    for (const c of codePoints()) {
      const k = foldCase(c);
      const set = byKey.get(k) ?? new Set<string>();
      set.add(fc(c.normalize('NFD')).normalize('NFC'));
      byKey.set(k, set);
    }
    const merged = [...byKey.entries()].filter(([, v]) => v.size > 1).map(([k, v]) => `${k}: ${[...v].join(' ')}`);
    expect(merged).toEqual([]);
  });
});
