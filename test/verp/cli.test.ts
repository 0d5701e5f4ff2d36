/** `rebound verp sign|verify` through the built binary (dist/main.js; the global setup builds it). */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const main = new URL('../../dist/main.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'rebound-verp-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cfg = join(dir, 'rebound.toml');
writeFileSync(cfg, '[verp]\ndomains = ["bounces.example.com"]\nkeys = ["5:cli secret"]\nrequireSignature = true\n');

function rebound(...args: string[]) {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', env: { ...process.env, REBOUND_CONFIG: '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('rebound verp', () => {
  it('signs, and verify accepts what sign made (exit 0)', () => {
    const s = rebound('verp', 'sign', '-c', cfg, 'Alice@Example.com');
    expect(s.code).toBe(0);
    const rp = s.out.trim();
    expect(rp).toMatch(/^bounces\+5\d{3}[a-z2-7]{8}\+alice=example\.com@bounces\.example\.com$/);
    const v = rebound('verp', 'verify', '-c', cfg, '--json', rp);
    expect(v.code).toBe(0);
    expect(JSON.parse(v.out)).toMatchObject({ status: 'valid', recipient: 'alice@example.com', verdict: 'accept' });
  });

  it('verify reports forged, expired and foreign addresses and exits 1', () => {
    const rp = rebound('verp', 'sign', '-c', cfg, '--now', '2026-01-01T00:00:00Z', 'bob@example.org').out.trim();
    const forged = rp.replace('bob=', 'eve=');
    const v = rebound('verp', 'verify', '-c', cfg, '--now', '2026-01-10T00:00:00Z', rp, forged, 'x@elsewhere.test');
    expect(v.code).toBe(1);
    const lines = v.out.trim().split('\n');
    expect(lines[0]).toMatch(/: valid; recipient bob@example\.org; expires in 21 day\(s\); intake: accept$/);
    expect(lines[1]).toMatch(/: bad-signature; .*intake: refuse 550 5\.7\.1$/);
    expect(lines[2]).toMatch(/: not-ours; .*intake: refuse 550 5\.1\.1$/);
    const late = rebound('verp', 'verify', '-c', cfg, '--now', '2026-03-01T00:00:00Z', rp);
    expect(late.out).toMatch(/expired; .*expired 29 day\(s\) ago; intake: refuse 550 5\.7\.1/);
  });

  it('makes plain VERP with --plain', () => {
    const s = rebound('verp', 'sign', '-c', cfg, '--plain', 'carol@example.net');
    expect(s.out.trim()).toBe('bounces+carol=example.net@bounces.example.com');
  });

  it('round-trips internationalized recipients, signed and plain (issue 19)', () => {
    // UTF-8 local part: the path needs SMTPUTF8 anyway, the domain stays in U-labels.
    const utf8 = rebound('verp', 'sign', '-c', cfg, 'Jürgen.Müller@Bücher.example').out.trim();
    expect(utf8).toMatch(/^bounces\+5\d{3}[a-z2-7]{8}\+jürgen\.müller=bücher\.example@bounces\.example\.com$/);
    // ASCII local part at an IDN domain: an all-ASCII path (A-labels), so no SMTPUTF8 is needed.
    const ascii = rebound('verp', 'sign', '-c', cfg, 'info@例子.广告').out.trim();
    expect(ascii).toMatch(/^bounces\+5\d{3}[a-z2-7]{8}\+info=xn--fsqu00a\.xn--4rr70v@bounces\.example\.com$/);
    const plain = rebound('verp', 'sign', '-c', cfg, '--plain', '用户@例子.广告').out.trim();
    expect(plain).toBe('bounces+用户=例子.广告@bounces.example.com');
    // verify names the address in its normal form, however the path came back spelled.
    const v = rebound('verp', 'verify', '-c', cfg, '--json', utf8, ascii, utf8.replace('bücher.example', 'xn--bcher-kva.example'), utf8.toUpperCase().replace('XN--', 'xn--').replace('BOUNCES.EXAMPLE.COM', 'bounces.example.com'));
    const got = v.out.trim().split('\n').map((l) => JSON.parse(l) as { status: string; recipient: string });
    expect(got.map((g) => `${g.status} ${g.recipient}`)).toEqual([
      'valid jürgen.müller@bücher.example',
      'valid info@例子.广告',
      'valid jürgen.müller@bücher.example',
      'valid jürgen.müller@bücher.example',
    ]);
    expect(v.code).toBe(0);
    const pv = rebound('verp', 'verify', '-c', cfg, '--json', plain);
    expect(JSON.parse(pv.out)).toMatchObject({ status: 'unsigned', recipient: '用户@例子.广告' });
  });
});
