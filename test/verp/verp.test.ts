import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeVerp, encodeVerp, stripWrappers, type VerpOptions } from '../../src/verp/verp.js';

const opts: VerpOptions = { domains: ['bounces.example.com', 'b.example.net'], prefix: 'bounces', delimiter: '+', equals: '=' };

describe('plain VERP', () => {
  it('round-trips a recipient', () => {
    const rp = encodeVerp('Alice@Example.COM', opts);
    expect(rp).toBe('bounces+Alice=example.com@bounces.example.com');
    expect(decodeVerp(rp, opts)).toEqual({ recipient: 'alice@example.com', tag: '', bounceDomain: 'bounces.example.com' });
  });

  it.each([
    ['bounces+bob=example.org@bounces.example.com', 'bob@example.org'],
    ['<BOUNCES+BOB=EXAMPLE.ORG@B.EXAMPLE.NET>', 'bob@example.org'],
    ['bounces+a=b=c.example@bounces.example.com', 'a=b@c.example'],
    ['bounces@bounces.example.com', ''],
    ['bounces+nodomain@bounces.example.com', ''],
  ])('decodes %s -> %j', (addr, want) => {
    expect(decodeVerp(addr, opts)?.recipient).toBe(want);
  });

  it.each([
    ['bounces+bob=example.org@example.org'],
    ['other+bob=example.org@bounces.example.com'],
    ['bob@bounces.example.com'],
    ['not an address'],
    [''],
  ])('does not claim %j', (addr) => {
    expect(decodeVerp(addr, opts)).toBeNull();
  });

  it('honours other delimiters and an empty prefix', () => {
    const o: VerpOptions = { domains: ['bnc.test'], prefix: '', delimiter: '-', equals: '#' };
    const rp = encodeVerp('x.y@d.test', o);
    expect(rp).toBe('x.y#d.test@bnc.test');
    expect(decodeVerp(rp, o)?.recipient).toBe('x.y@d.test');
    const o2: VerpOptions = { domains: ['bnc.test'], prefix: 'owner-list', delimiter: '-', equals: '=' };
    expect(decodeVerp('owner-list-u=d.test@bnc.test', o2)?.recipient).toBe('u@d.test');
  });

  it('round-trips any simple address (property)', () => {
    const local = fc.stringMatching(/^[a-z0-9][a-z0-9._=-]{0,20}$/);
    const domain = fc.stringMatching(/^[a-z0-9]{1,10}\.[a-z]{2,6}$/);
    fc.assert(
      fc.property(local, domain, (l, d) => {
        expect(decodeVerp(encodeVerp(`${l}@${d}`, opts), opts)?.recipient).toBe(`${l}@${d}`);
      }),
    );
  });
});

describe('wrappers', () => {
  it.each([
    ['SRS0=HHHH=TT=example.com=alice@forwarder.net', 'alice@example.com'],
    ['srs0+abcd=5o=Example.COM=Alice@fwd.test', 'Alice@example.com'],
    ['SRS1=HHHH=first.fwd==HHHH=TT=example.org=bob@second.fwd', 'bob@example.org'],
    ['prvs=9905c7c8d6=ms@dev.tdt.de', 'ms@dev.tdt.de'],
    ['prvs=234d5777c=a.b@citrix.com', 'a.b@citrix.com'],
    ['user+prvs=1234abcdef@example.com', 'user@example.com'],
    // The real-world nesting from bounce-semantics.md 3.10: SRS around BATV.
    ['SRS0=Kjsf=5O=citrix.com=prvs=374a1453b=Andrew.Cooper3@srs-se1.protection.inumbo.net', 'Andrew.Cooper3@citrix.com'],
    ['plain@example.com', 'plain@example.com'],
  ])('strips %s', (addr, want) => {
    expect(stripWrappers(addr)).toBe(want);
  });

  it('decodes VERP behind an SRS wrapper', () => {
    expect(decodeVerp('SRS0=abcd=TT=bounces.example.com=bounces+zed=example.org@fwd.test', opts)?.recipient).toBe(
      'zed@example.org',
    );
  });
});
