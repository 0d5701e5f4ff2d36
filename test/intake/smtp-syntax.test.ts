import { describe, expect, it } from 'vitest';
import { parsePathArg } from '../../src/intake/smtp-syntax.js';

describe('parsePathArg (MAIL FROM / RCPT TO arguments)', () => {
  it.each([
    ['FROM:<>', 'FROM', '', {}],
    ['FROM:<> SIZE=1234 BODY=8BITMIME', 'FROM', '', { SIZE: '1234', BODY: '8BITMIME' }],
    ['from: <a@b.example>', 'FROM', 'a@b.example', {}],
    ['TO:<b+x=y.example@bounces.example>', 'TO', 'b+x=y.example@bounces.example', {}],
    ['TO:b@c.example', 'TO', 'b@c.example', {}],
    ['TO:<@relay.example:user@c.example>', 'TO', 'user@c.example', {}],
    ['TO:<"odd>name"@c.example> NOTIFY=NEVER', 'TO', '"odd>name"@c.example', { NOTIFY: 'NEVER' }],
    ['FROM:<> smtputf8', 'FROM', '', { SMTPUTF8: '' }],
  ] as const)('%s', (arg, kw, address, params) => {
    const r = parsePathArg(arg, kw);
    expect(typeof r).toBe('object');
    if (typeof r === 'string') return;
    expect(r.address).toBe(address);
    expect(Object.fromEntries(r.params)).toEqual(params);
  });

  it.each([
    ['TO <a@b>', 'TO', /Syntax: RCPT TO/],
    ['FROM:<a@b', 'FROM', /unbalanced/],
    ['TO:<>', 'TO', /empty recipient/],
    ['TO:<a\u0001@b>', 'TO', /control character/],
    ['TO:<@relay.example>', 'TO', /source route/],
  ] as const)('refuses %j', (arg, kw, why) => {
    expect(parsePathArg(arg, kw)).toMatch(why);
  });
});
