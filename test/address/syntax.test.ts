import { describe, expect, it } from 'vitest';
import { mailboxProblem } from '../../src/address/syntax.js';

describe('mailboxProblem (RFC 5321 mailbox syntax, for addresses typed at an edge)', () => {
  it('refuses what is not one mailbox, saying what is wrong', () => {
    const cases: [string, RegExp][] = [
      ['a@b@c', /not one mailbox/],
      ['a@.', /not one mailbox/],
      ['@example.com', /not one mailbox/],
      ['a@', /not one mailbox/],
      ['a,b@example.com', /local part/],
      ['a b@example.com', /local part/],
      ['a\\b@example.com', /local part/],
      ['...@example.com', /local part/],
      ['"a"b"@example.com', /quotes/],
      ['"a@example.com', /quotes/],
      [`${'x'.repeat(65)}@example.com`, /64 octets/],
      [`${'ü'.repeat(33)}@example.com`, /64 octets/], // 66 octets in UTF-8
      ['a@b_c.example', /label/],
      ['a@-b.example', /label/],
      ['a@b-.example', /label/],
      [`a@${'l'.repeat(64)}.example`, /label/],
      ['a@x..', /label|not one mailbox/],
      ['a@[1.2.3]', /literal/],
      ['a@[IPv6:1.2.3.4]', /literal/],
      ['a@xn--zz.example', /IDNA/],
      [`a@${'abcdefghi.'.repeat(26)}example`, /255 octets/],
      ['a\uFFFDb@example.com', /not UTF-8/],
      ['ab@ex\uFFFDample.com', /not UTF-8/],
    ];
    for (const [a, why] of cases) expect(mailboxProblem(a), a).toMatch(why);
  });

  it('takes what is a mailbox, including the dotted local parts real carriers issued', () => {
    for (const a of [
      'user@example.com', 'User+tag@Example.COM', '"a b"@example.com', '"a\\"b"@example.com', '"a@b"@example.com',
      'jürgen@bücher.example', 'a@xn--bcher-kva.example', 'a@[192.0.2.1]', 'a@[IPv6:2001:db8::1]', 'a@localhost',
      '<a@example.com>', 'a@example.com.', 'foo.@docomo.ne.jp', '.foo@ezweb.ne.jp', 'a..b@example.com', `${'x'.repeat(64)}@example.com`,
    ]) expect(mailboxProblem(a), a).toBeUndefined();
  });
});
