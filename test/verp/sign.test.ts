import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkReturnPath, signReturnPath, verifyReturnPath, type CheckOptions } from '../../src/verp/sign.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 26, 12);
const opts: CheckOptions = {
  domains: ['bounces.example.com'],
  prefix: 'bounces',
  delimiter: '+',
  equals: '=',
  keys: [{ id: 1, secret: 'first secret' }],
  maxAgeDays: 30,
};

describe('signed VERP', () => {
  it('signs into a case-free local part of at most 64 octets', () => {
    const rp = signReturnPath('Alice.Smith@Example.com', opts, NOW);
    expect(rp).toMatch(/^bounces\+1\d{3}[a-z2-7]{8}\+alice\.smith=example\.com@bounces\.example\.com$/);
    expect(rp.split('@')[0]!.length).toBeLessThanOrEqual(64);
    expect(verifyReturnPath(rp, opts, NOW)).toMatchObject({ status: 'valid', recipient: 'alice.smith@example.com', keyId: 1, daysLeft: 30 });
  });

  it('survives an MTA that upper-cases the local part', () => {
    const rp = signReturnPath('bob@example.org', opts, NOW);
    expect(verifyReturnPath(rp.toUpperCase(), opts, NOW).status).toBe('valid');
  });

  it('detects a changed recipient, a changed tag and an unknown key', () => {
    const rp = signReturnPath('bob@example.org', opts, NOW);
    expect(verifyReturnPath(rp.replace('bob=', 'eve='), opts, NOW).status).toBe('bad-signature');
    const tagged = rp.replace(/\+1(\d{3})([a-z2-7])/, (_m, d: string, c: string) => `+1${d}${c === 'a' ? 'b' : 'a'}`);
    expect(verifyReturnPath(tagged, opts, NOW).status).toBe('bad-signature');
    expect(verifyReturnPath(rp.replace('+1', '+7'), opts, NOW).status).toBe('unknown-key');
    expect(verifyReturnPath(rp, { ...opts, keys: [{ id: 1, secret: 'other' }] }, NOW).status).toBe('bad-signature');
  });

  it('expires after maxAgeDays, across the day-1000 wrap', () => {
    const rp = signReturnPath('bob@example.org', opts, NOW);
    expect(verifyReturnPath(rp, opts, NOW + 30 * DAY).status).toBe('valid');
    expect(verifyReturnPath(rp, opts, NOW + 31 * DAY)).toMatchObject({ status: 'expired', daysLeft: -1 });
    // Pick a time where today + 30 wraps past 999.
    const wrapNow = (Math.floor(NOW / DAY / 1000) * 1000 + 990) * DAY;
    const w = signReturnPath('bob@example.org', opts, wrapNow);
    expect(verifyReturnPath(w, opts, wrapNow + 25 * DAY).status).toBe('valid');
    expect(verifyReturnPath(w, opts, wrapNow + 40 * DAY).status).toBe('expired');
  });

  it('rotates keys: the first key signs, every key verifies', () => {
    const old = signReturnPath('bob@example.org', opts, NOW);
    const rotated: CheckOptions = { ...opts, keys: [{ id: 2, secret: 'second' }, { id: 1, secret: 'first secret' }] };
    expect(verifyReturnPath(old, rotated, NOW).status).toBe('valid');
    expect(signReturnPath('bob@example.org', rotated, NOW)).toMatch(/^bounces\+2/);
  });

  it('reads secrets from an environment variable', () => {
    process.env.REBOUND_TEST_VERP_SECRET = 'first secret';
    const envOpts: CheckOptions = { ...opts, keys: [{ id: 1, secretEnv: 'REBOUND_TEST_VERP_SECRET' }] };
    expect(verifyReturnPath(signReturnPath('x@y.test', opts, NOW), envOpts, NOW).status).toBe('valid');
  });

  it('refuses to sign what does not fit or is not an address', () => {
    expect(() => signReturnPath(`${'a'.repeat(40)}@example.com`, opts, NOW)).toThrowErrorMatchingInlineSnapshot(
      `[DaemonError: signed local part for aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.com is 73 octets; RFC 5321 allows 64]`,
    );
    expect(() => signReturnPath('no at sign', opts, NOW)).toThrow(/not a plain address/);
    expect(() => signReturnPath('a@b.test', { ...opts, keys: [] }, NOW)).toThrow(/no key/);
  });

  it('verifies every signable address it signs (property)', () => {
    const local = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,15}$/);
    const domain = fc.stringMatching(/^[a-z0-9]{1,8}\.[a-z]{2,4}$/);
    fc.assert(
      fc.property(local, domain, fc.integer({ min: 0, max: 3000 }), (l, d, day) => {
        const t = day * DAY + 1234;
        const r = verifyReturnPath(signReturnPath(`${l}@${d}`, opts, t), opts, t);
        expect(r.status).toBe('valid');
        expect(r.recipient).toBe(`${l}@${d}`);
      }),
    );
  });
});

describe('RCPT decision', () => {
  const signed = signReturnPath('bob@example.org', opts, NOW);
  const bad = signed.replace('bob=', 'eve=');
  it.each([
    ['bob@example.org', false, { accept: false, enhanced: '5.1.1' }],
    ['bounces+x=y.test@other.example', false, { accept: false, enhanced: '5.1.1' }],
    [signed, true, { accept: true, verified: true, recipient: 'bob@example.org' }],
    [bad, true, { accept: false, enhanced: '5.7.1' }],
    ['bounces+bob=example.org@bounces.example.com', true, { accept: false, enhanced: '5.7.1' }],
    [bad, false, { accept: true, verified: false, recipient: 'eve@example.org', status: 'bad-signature' }],
    ['bounces+bob=example.org@bounces.example.com', false, { accept: true, verified: true, status: 'unsigned' }],
  ])('%s (required=%s)', (addr, requireSignature, want) => {
    expect(checkReturnPath(addr, { ...opts, requireSignature }, NOW)).toMatchObject(want);
  });
});

describe('RCPT decision: SRS wrappers (issue 16)', () => {
  const signed = signReturnPath('bob@example.org', opts, NOW);
  const [local, domain] = [signed.slice(0, signed.lastIndexOf('@')), signed.slice(signed.lastIndexOf('@') + 1)];
  it.each([
    // SRS0=HHH=TT=domain=local@forwarder: a forwarder's address around our signed return path.
    [`SRS0=HHHH=TT=${domain}=${local}@forwarder.example`, 'a foreign forwarder'],
    [`srs0+abcd=5o=${domain}=${local}@fwd.test`, 'lower case, + separator'],
    [`SRS1=HHHH=first.fwd==HHHH=TT=${domain}=${local}@second.fwd`, 'SRS1 (two forwarders)'],
    [`prvs=1234abcdef=SRS0=HHHH=TT=${domain}=${local}@forwarder.example`, 'BATV around SRS'],
    // Our own domain: still a format rebound never issues.
    [`SRS0=HHHH=TT=${domain}=${local}@${domain}`, 'SRS at our own bounce domain'],
  ])('%s (%s) is refused 550 5.1.1 whether or not signatures are required', (addr) => {
    for (const requireSignature of [false, true])
      expect(checkReturnPath(addr, { ...opts, requireSignature }, NOW)).toMatchObject({ accept: false, code: 550, enhanced: '5.1.1', status: 'not-ours' });
  });

  it('BATV over our own return path at our own domain is still ours (a sender MTA signing its envelope)', () => {
    expect(checkReturnPath(`prvs=1234abcdef=${signed}`, { ...opts, requireSignature: true }, NOW)).toMatchObject({ accept: true, verified: true, recipient: 'bob@example.org' });
  });
});

describe('keys as config gives them (strings)', () => {
  const base = { ...opts, keys: ['plain secret one'] };
  it('derives a stable key id from an unpinned secret and verifies after rotation', () => {
    const rp = signReturnPath('bob@example.org', base, NOW);
    const rotated = { ...opts, keys: ['the new secret', 'plain secret one'] };
    expect(verifyReturnPath(rp, rotated, NOW).status).toBe('valid');
    expect(verifyReturnPath(rp, { ...opts, keys: ['the new secret'] }, NOW).status).toMatch(/unknown-key|bad-signature/);
  });
  it('pins the id with N:SECRET', () => {
    const rp = signReturnPath('bob@example.org', { ...opts, keys: ['4:pinned'] }, NOW);
    expect(rp).toMatch(/^bounces\+4/);
    expect(verifyReturnPath(rp, { ...opts, keys: ['x', '4:pinned'] }, NOW).status).toBe('valid');
  });
});

describe('learnReturnPaths (what intake keeps for the pipeline)', () => {
  it('judges each return path as of the receipt time', async () => {
    const { learnReturnPaths } = await import('../../src/verp/sign.js');
    const good = signReturnPath('bob@example.org', opts, NOW);
    const env = { rcptTo: [good, good.replace('bob=', 'eve='), 'bounces+pat=example.net@bounces.example.com'], receivedAt: NOW + 5 * DAY };
    expect(learnReturnPaths(env.rcptTo, opts, env.receivedAt)).toMatchObject([
      { returnPath: good, address: 'bob@example.org', verified: true, status: 'valid' },
      { address: 'eve@example.org', verified: false, status: 'bad-signature' },
      { address: 'pat@example.net', verified: true, status: 'unsigned' },
    ]);
    expect(learnReturnPaths(env.rcptTo, opts, NOW + 60 * DAY)[0]).toMatchObject({ verified: false, status: 'expired' });
  });
});

describe('tokenOf over learnReturnPaths (pipeline/plan.ts attribution)', () => {
  it('names the token recipient; an unverified one may change state only when allowed', async () => {
    const { learnReturnPaths } = await import('../../src/verp/sign.js');
    const { tokenOf } = await import('../../src/pipeline/plan.js');
    const attribute = (o: typeof opts & { allowUnverifiedState?: boolean }) => (env: { rcptTo: string[]; receivedAt: number }) =>
      tokenOf({ returnPaths: learnReturnPaths(env.rcptTo, o, env.receivedAt) });
    const good = signReturnPath('bob@example.org', opts, NOW);
    const forged = good.replace('bob=', 'eve=');
    expect(attribute(opts)({ rcptTo: [good], receivedAt: NOW })).toEqual({ address: 'bob@example.org', mayChangeState: true });
    expect(attribute(opts)({ rcptTo: [forged], receivedAt: NOW })).toEqual({ address: 'eve@example.org', mayChangeState: false });
    expect(attribute({ ...opts, allowUnverifiedState: true })({ rcptTo: [forged], receivedAt: NOW })).toEqual({
      address: 'eve@example.org',
      mayChangeState: true,
    });
    // A verified token wins over an unverified one in the same envelope.
    expect(attribute(opts)({ rcptTo: [forged, good], receivedAt: NOW })).toEqual({ address: 'bob@example.org', mayChangeState: true });
    expect(attribute(opts)({ rcptTo: ['bounces@bounces.example.com'], receivedAt: NOW })).toBeNull();
    // An envelope without what intake learned (a library caller's own) has no token.
    expect(tokenOf({})).toBeNull();
  });
});
