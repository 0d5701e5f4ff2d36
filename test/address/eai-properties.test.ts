/**
 * Property tests for internationalized addresses (issue 19): any valid EAI address (RFC 6531
 * local part, IDNA domain) survives VERP encode/decode (plain and signed), normalisation and a
 * store round trip unchanged in meaning - the same mailbox, whichever spelling asks for it.
 * "The same mailbox": the local parts are equal under Unicode case folding (what Postfix folds
 * to), the domains have the same A-label form.
 */
import { domainToASCII } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { asciiDomain, foldCase, normaliseAddress, splitMailbox } from '../../src/address/index.js';
import { openStore } from '../../src/store/index.js';
import { decodeVerp, encodeVerp, type VerpOptions } from '../../src/verp/verp.js';
import { signReturnPath, verifyReturnPath } from '../../src/verp/sign.js';
import { DaemonError } from '../../src/errors.js';

const verp: VerpOptions & { keys: string[] } = { domains: ['bounces.example.org'], prefix: 'bounces', delimiter: '+', equals: '=', keys: ['4:property secret'] };

// Characters of local parts: ASCII atext (without the VERP '=' and '+', which VERP splits on and
// which get their own test), Latin letters with diacritics in both cases, Greek with final sigma,
// Cyrillic, CJK, Arabic and Devanagari, a decomposed ü, sharp s and dotless i.
const localChar = fc.constantFrom(
  'a', 'Z', 'q', '0', '7', '_', '-', '!', '#', '$', '%', '&', "'", '*', '/', '?', '^', '`', '{', '|', '}', '~',
  'ü', 'Ü', 'ö', 'é', 'È', 'ß', 'ẞ', 'ø', 'Å', 'ı', 'İ', 'σ', 'Σ', 'ς', 'Ω', 'д', 'Ж', 'я',
  '用', '户', '例', 'ー', 'ا', 'ب', 'ह', 'ि', 'u\u0308', 'K',
);
const localWord = fc.array(localChar, { minLength: 1, maxLength: 6 }).map((a) => a.join(''));
const local = fc.array(localWord, { minLength: 1, maxLength: 3 }).map((w) => w.join('.'));
// Domain labels IDNA accepts: letters and digits of left-to-right scripts, inner hyphens.
const labelChar = fc.constantFrom('a', 'k', 'z', '0', '9', 'ü', 'Ö', 'é', 'ß', 'д', 'Ж', 'σ', '例', '子', '广', '告', 'ー');
const label = fc
  .tuple(fc.array(labelChar, { minLength: 1, maxLength: 6 }), fc.boolean(), fc.array(labelChar, { minLength: 1, maxLength: 3 }))
  .map(([a, hy, b]) => `${a.join('')}${hy ? '-' : ''}${b.join('')}`);
const tld = fc.constantFrom('test', 'example', 'рф', '广告', 'Com', '测试');
const domain = fc.tuple(fc.array(label, { minLength: 1, maxLength: 2 }), tld).map(([ls, t]) => [...ls, t].join('.'));
const address = fc.tuple(local, domain).map(([l, d]) => `${l}@${d}`);

/** Upper case for ASCII letters only: a domain's non-ASCII letters are not case-free under IDNA 2008 (ß is not ss). */
const asciiUpper = (s: string) => s.replace(/[a-z]/g, (c) => c.toUpperCase());

/** Upper case wherever case folding says it is the same letter (not for dotless ı, whose upper case is I). */
const upperCase = (s: string) => [...s].map((c) => (foldCase(c.toUpperCase()) === foldCase(c) ? c.toUpperCase() : c)).join('');

/** Same mailbox: local parts equal under case folding, domains equal as A-labels. */
function sameMailbox(a: string, b: string): boolean {
  const x = splitMailbox(a);
  const y = splitMailbox(b);
  if (!x || !y) return false;
  return foldCase(x.local.normalize('NFC')) === foldCase(y.local.normalize('NFC')) && domainToASCII(x.domain) === domainToASCII(y.domain);
}

describe('EAI addresses (property tests)', () => {
  it('normalisation is idempotent, keeps the mailbox, and every spelling of it meets in one form', () => {
    fc.assert(
      fc.property(address, (a) => {
        const n = normaliseAddress(a);
        expect(n).not.toBe('');
        expect(normaliseAddress(n)).toBe(n);
        expect(sameMailbox(n, a)).toBe(true);
        const { local: l, domain: d } = splitMailbox(a)!;
        // A-labels, upper case, decomposed (NFD), angle brackets, an rfc822; type, a trailing dot.
        for (const spelling of [`${l}@${asciiDomain(d)}`, `${upperCase(l)}@${asciiUpper(d)}`, a.normalize('NFD'), `<${a}>`, `rfc822; ${a}`, `${a}.`]) {
          expect(normaliseAddress(spelling)).toBe(n);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('survives plain VERP encode/decode', () => {
    fc.assert(
      fc.property(address, (a) => {
        const rp = encodeVerp(a, verp);
        // ASCII local part -> ASCII return path (no SMTPUTF8 needed on the way back).
        if (/^[\x00-\x7f]*@/.test(a)) expect(rp).toMatch(/^[\x00-\x7f]*$/);
        const d = decodeVerp(rp, verp);
        expect(d?.recipient).toBe(normaliseAddress(a));
        // Postfix's XVERP writes the recipient as given (U-labels): same answer.
        expect(decodeVerp(`bounces+${a.replace('@', '=')}@bounces.example.org`, verp)?.recipient).toBe(normaliseAddress(a));
      }),
      { numRuns: 3000 },
    );
  });

  it('survives signing and verification, in any case and either domain spelling', () => {
    const now = Date.UTC(2026, 0, 15);
    fc.assert(
      fc.property(address, (a) => {
        let rp: string;
        try {
          rp = signReturnPath(a, verp, now);
        } catch (err) {
          // Too long for a 64-octet local part: refused, never cut.
          expect(err).toBeInstanceOf(DaemonError);
          expect((err as DaemonError).code).toBe('verp-too-long');
          return;
        }
        expect(Buffer.byteLength(rp.slice(0, rp.lastIndexOf('@')))).toBeLessThanOrEqual(64);
        for (const spelling of [rp, asciiUpper(rp), rp.normalize('NFD')]) {
          const r = verifyReturnPath(spelling, verp, now);
          expect(r.status).toBe('valid');
          expect(r.recipient).toBe(normaliseAddress(a));
        }
      }),
      { numRuns: 2000 },
    );
  });

  describe('store round trip', () => {
    const store = openStore({ path: ':memory:' });
    afterAll(() => store.close());
    it('finds the state of an address under every spelling, and lists it in normal form', () => {
      fc.assert(
        fc.property(address, (a) => {
          const n = normaliseAddress(a);
          const r = store.importSuppressions([{ address: a, what: 'invalid', cause: `550 5.1.1 <${a}> unknown`, at: 1 }], 'property');
          expect(r.skipped).toEqual([]);
          const { local: l, domain: d } = splitMailbox(a)!;
          for (const spelling of [a, n, `${l}@${asciiDomain(d)}`, `${upperCase(l)}@${asciiUpper(d)}`, a.normalize('NFD')]) {
            expect(store.mayISend(spelling).verdict).toBe('invalid');
          }
          expect(store.addressStatus(a).address).toBe(n);
          // The cause text comes back as written, not re-encoded.
          expect(store.addressStatus(asciiDomain(d) === d ? a : `${l}@${asciiDomain(d)}`).emailInvalidCause).toBe(`550 5.1.1 <${a}> unknown`);
        }),
        { numRuns: 500 },
      );
      expect(store.list('invalid').every((e) => normaliseAddress(e.address) === e.address)).toBe(true);
    });
  });
});
