/**
 * The Postfix responders with UTF-8 recipients (issue 19), over real sockets against a real
 * SQLite store: Postfix passes keys raw (policy, postmap -q) or case-folded (smtpd's
 * check_recipient_access folds every key with ICU when smtputf8_enable = yes), with U-labels or
 * A-labels; every spelling gets the same answer. Bytes that are not UTF-8 are not turned into
 * U+FFFD (which would make two different keys one).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LookupOptions } from '../../src/control/commands.js';
import { handlePolicyConnection } from '../../src/control/policy.js';
import { handleSocketmapConnection, netstring } from '../../src/control/socketmap.js';
import { connectionLimits } from '../../src/control/connections.js';
import { openStore, type Store } from '../../src/store/index.js';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);

describe('socketmap and policy with UTF-8 recipients', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rebound-eai-control-'));
  let store: Store;
  const servers: Server[] = [];
  let mapPort = 0;
  let polPort = 0;

  beforeAll(async () => {
    store = openStore({ path: join(dir, 'eai.db'), clock: () => NOW });
    store.importSuppressions(
      [
        { address: 'Jürgen.Müller@Bücher.example', what: 'invalid', cause: '550 5.1.1 <jürgen.müller@bücher.example>: User unknown', at: NOW },
        { address: '用户@例子.广告', what: 'invalid', cause: '550 5.1.1 用户 unknown', at: NOW },
        { address: 'Иван@почта.рф', what: 'suspended', cause: '554 5.7.1 blocked using zen.spamhaus.org', at: NOW },
        { address: 'ΣΊΣΥΦΟΣ@x.test', what: 'invalid', cause: '550 no such user', at: NOW },
        // What a bounce naming latin1 bytes leaves in the store: the bytes, marked (address/text.ts).
        { address: 'm\\xFCller@latin1.example', what: 'invalid', cause: '550 unknown', at: NOW },
      ],
      'test',
    );
    const opts: LookupOptions = { store, failOpen: false, suspended: 'defer', now: () => NOW };
    const listen = (handler: (s: import('node:net').Socket) => void) =>
      new Promise<number>((resolve) => {
        const srv = createServer(handler);
        servers.push(srv);
        srv.listen(0, '127.0.0.1', () => resolve((srv.address() as { port: number }).port));
      });
    mapPort = await listen((s) => handleSocketmapConnection(s, opts, connectionLimits(300)));
    polPort = await listen((s) => handlePolicyConnection(s, opts, connectionLimits(300)));
  });

  afterAll(async () => {
    for (const s of servers) await new Promise((r) => s.close(r));
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Send raw bytes, read until `until` matches what came back. */
  function exchange(port: number, bytes: Buffer, until: RegExp): Promise<string> {
    return new Promise((resolve, reject) => {
      const sock = createConnection(port, '127.0.0.1');
      let got = '';
      sock.on('data', (d) => {
        got += d.toString('utf8');
        if (until.test(got)) {
          sock.destroy();
          resolve(got);
        }
      });
      sock.on('error', reject);
      sock.on('close', () => resolve(got));
      sock.write(bytes);
    });
  }

  const socketmap = async (key: string | Buffer): Promise<string> => {
    const payload = Buffer.concat([Buffer.from('suppress '), Buffer.isBuffer(key) ? key : Buffer.from(key, 'utf8')]);
    const got = await exchange(mapPort, Buffer.concat([Buffer.from(`${payload.length}:`), payload, Buffer.from(',')]), /^\d+:.*,$/s);
    return got.replace(/^\d+:|,$/g, '');
  };
  const policy = async (recipient: string | Buffer): Promise<string> => {
    const r = Buffer.isBuffer(recipient) ? recipient : Buffer.from(recipient, 'utf8');
    const req = Buffer.concat([Buffer.from('request=smtpd_access_policy\nprotocol_state=RCPT\nsmtputf8=1\nrecipient='), r, Buffer.from('\n\n')]);
    const got = await exchange(polPort, req, /\n\n$/);
    return got.replace(/^action=|\n\n$/g, '');
  };

  it.each([
    // As written, as Postfix's smtpd folds it, with A-labels, decomposed.
    ['Jürgen.Müller@Bücher.example'],
    ['jürgen.müller@bücher.example'],
    ['JÜRGEN.MÜLLER@XN--BCHER-KVA.EXAMPLE'],
    ['jürgen.müller@xn--bcher-kva.example'],
    ['ju\u0308rgen.mu\u0308ller@bu\u0308cher.example'],
  ])('refuses the invalid %j on both responders', async (key) => {
    expect(await socketmap(key)).toBe('OK REJECT 5.7.1 Recipient suppressed (Email Invalid)');
    expect(await policy(key)).toBe('REJECT 5.7.1 Recipient suppressed (Email Invalid)');
  });

  it.each([['用户@例子.广告'], ['用户@xn--fsqu00a.xn--4rr70v'], ['σίσυφοσ@x.test'], ['ΣΊΣΥΦΟΣ@X.TEST'], ['σίσυφος@x.test']])('refuses %j', async (key) => {
    expect(await socketmap(key)).toBe('OK REJECT 5.7.1 Recipient suppressed (Email Invalid)');
    expect(await policy(key)).toBe('REJECT 5.7.1 Recipient suppressed (Email Invalid)');
  });

  it('defers a suspended Cyrillic recipient in either case and spelling', async () => {
    for (const key of ['Иван@почта.рф', 'иван@xn--80a1acny.xn--p1ai']) {
      expect(await socketmap(key)).toMatch(/^OK DEFER_IF_PERMIT 4\.7\.1 Recipient suspended until /);
      expect(await policy(key)).toMatch(/^DEFER_IF_PERMIT 4\.7\.1 Recipient suspended until /);
    }
  });

  it('does not turn bytes that are not UTF-8 into another address', async () => {
    // j\xFCrgen... in latin1 is not jürgen...: no answer for it (the real address stays untouched).
    const latin1 = Buffer.from('j\xfcrgen.m\xfcller@b\xfccher.example', 'latin1');
    expect(await socketmap(latin1)).toBe('NOTFOUND ');
    expect(await policy(latin1)).toBe('DUNNO');
    expect(await socketmap('nobody@bücher.example')).toBe('NOTFOUND ');
  });

  it('finds an address stored as marked bytes when Postfix sends those same bytes, and only those', async () => {
    const same = Buffer.from('m\xfcller@latin1.example', 'latin1');
    const other = Buffer.from('m\xfdller@latin1.example', 'latin1');
    expect(await socketmap(same)).toBe('OK REJECT 5.7.1 Recipient suppressed (Email Invalid)');
    expect(await policy(same)).toBe('REJECT 5.7.1 Recipient suppressed (Email Invalid)');
    expect(await socketmap(other)).toBe('NOTFOUND ');
    expect(await policy(other)).toBe('DUNNO');
  });
});
