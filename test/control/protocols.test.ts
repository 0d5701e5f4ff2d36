/**
 * Wire-level tests of the Postfix responders (bounce-semantics.md §5.3, §5.5): byte-exact
 * netstrings, several requests per connection, framing errors, fail-open/closed, policy states.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlStore, LookupOptions } from '../../src/control/commands.js';
import { answerPolicy, handlePolicyConnection } from '../../src/control/policy.js';
import { answerSocketmap, handleSocketmapConnection, netstring } from '../../src/control/socketmap.js';
import { connectionLimits } from '../../src/control/connections.js';
import { Metrics } from '../../src/metrics.js';
import type { MayISend } from '../../src/store/index.js';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const table: Record<string, Omit<MayISend, 'address'>> = {
  'alice@example.com': { verdict: 'invalid', cause: '550 5.1.1 no such user' },
  'bob@example.com': { verdict: 'suspended', cause: '421 slow down', until: NOW + 3_600_000 },
  'carol@example.com': { verdict: 'complained', cause: 'abuse' },
};
let broken = false;
const store: ControlStore = {
  mayISend(address) {
    if (broken) throw new Error('SQLITE_IOERR');
    const a = address.toLowerCase();
    return { address: a, ...(table[a] ?? { verdict: 'ok', cause: '' }) };
  },
  addressStatus: () => {
    throw new Error('unused');
  },
  history: () => [],
  stats: () => {
    throw new Error('unused');
  },
};
const metrics = new Metrics();
const opts = (o: Partial<LookupOptions> = {}): LookupOptions => ({ store, failOpen: true, suspended: 'defer', metrics, now: () => NOW, ...o });

describe('socketmap answers', () => {
  it('matches the byte-exact examples', () => {
    expect(netstring('suppress alice@example.com')).toBe('26:suppress alice@example.com,');
    expect(netstring(answerSocketmap('suppress alice@example.com', opts()))).toBe('52:OK REJECT 5.7.1 Recipient suppressed (Email Invalid),');
    expect(netstring(answerSocketmap('suppress nobody@example.com', opts()))).toBe('9:NOTFOUND ,');
  });

  it('defers or rejects suspended recipients per control.suspended', () => {
    expect(answerSocketmap('suppress bob@example.com', opts())).toBe('OK DEFER_IF_PERMIT 4.7.1 Recipient suspended until 2026-11-26T13:00:00.000Z');
    expect(answerSocketmap('suppress bob@example.com', opts({ suspended: 'reject' }))).toBe('OK REJECT 5.7.1 Recipient suspended until 2026-11-26T13:00:00.000Z');
    expect(answerSocketmap('access carol@example.com', opts())).toBe('OK REJECT 5.7.1 Recipient suppressed (complained)');
  });

  it('answers transport_maps with error: and retry: next hops', () => {
    expect(answerSocketmap('transport alice@example.com', opts())).toBe('OK error:5.7.1 Recipient suppressed (Email Invalid)');
    expect(answerSocketmap('transport bob@example.com', opts())).toBe('OK retry:4.7.1 Recipient suspended until 2026-11-26T13:00:00.000Z');
    expect(answerSocketmap('transport nobody@example.com', opts())).toBe('NOTFOUND ');
  });

  it('passes over keys that are not full addresses and refuses unknown maps', () => {
    expect(answerSocketmap('suppress example.com', opts())).toBe('NOTFOUND ');
    expect(answerSocketmap('suppress alice@', opts())).toBe('NOTFOUND ');
    expect(answerSocketmap('other alice@example.com', opts())).toBe('PERM unknown map name "other"');
  });

  it('fails open or closed on a store error', () => {
    broken = true;
    try {
      expect(answerSocketmap('suppress alice@example.com', opts())).toBe('NOTFOUND ');
      expect(answerSocketmap('suppress alice@example.com', opts({ failOpen: false }))).toBe('TEMP lookup failed');
    } finally {
      broken = false;
    }
  });
});

describe('policy answers', () => {
  const req = (o: Record<string, string>) => new Map(Object.entries({ request: 'smtpd_access_policy', protocol_state: 'RCPT', ...o }));
  it('maps verdicts to access(5) actions', () => {
    expect(answerPolicy(req({ recipient: 'alice@example.com' }), opts())).toBe('REJECT 5.7.1 Recipient suppressed (Email Invalid)');
    expect(answerPolicy(req({ recipient: 'bob@example.com' }), opts())).toBe('DEFER_IF_PERMIT 4.7.1 Recipient suspended until 2026-11-26T13:00:00.000Z');
    expect(answerPolicy(req({ recipient: 'nobody@example.com' }), opts())).toBe('DUNNO');
  });
  it('says DUNNO outside RCPT or without a recipient, and nothing for a non-policy request', () => {
    expect(answerPolicy(req({ protocol_state: 'DATA', recipient: 'alice@example.com' }), opts())).toBe('DUNNO');
    expect(answerPolicy(req({ recipient: '' }), opts())).toBe('DUNNO');
    expect(answerPolicy(new Map([['recipient', 'alice@example.com']]), opts())).toBeUndefined();
  });
  it('fails open with DUNNO, or closed with no answer (disconnect)', () => {
    broken = true;
    try {
      expect(answerPolicy(req({ recipient: 'alice@example.com' }), opts())).toBe('DUNNO');
      expect(answerPolicy(req({ recipient: 'alice@example.com' }), opts({ failOpen: false }))).toBeUndefined();
    } finally {
      broken = false;
    }
  });
});

/** Serve a handler on an ephemeral loopback port. */
function serve(handler: (s: Socket) => void): Promise<{ server: Server; port: number }> {
  return new Promise((res) => {
    const server = createServer(handler);
    server.listen(0, '127.0.0.1', () => res({ server, port: (server.address() as { port: number }).port }));
  });
}

/** Send bytes and collect everything until `until` matches or the peer closes. */
function exchange(port: number, chunks: string[], until: (got: string) => boolean): Promise<{ got: string; closed: boolean }> {
  return new Promise((res) => {
    const c = createConnection(port, '127.0.0.1');
    let got = '';
    let closed = false;
    const finish = () => {
      c.destroy();
      res({ got, closed });
    };
    c.setEncoding('utf8');
    c.on('data', (d: string) => {
      got += d;
      if (until(got)) finish();
    });
    c.on('close', () => {
      closed = true;
      res({ got, closed });
    });
    c.on('connect', async () => {
      for (const ch of chunks) {
        c.write(ch);
        await new Promise((r) => setTimeout(r, 5));
      }
    });
  });
}

describe('on the wire', () => {
  let sm: { server: Server; port: number };
  let pol: { server: Server; port: number };
  beforeAll(async () => {
    sm = await serve((s) => handleSocketmapConnection(s, opts(), connectionLimits(300)));
    pol = await serve((s) => handlePolicyConnection(s, opts(), connectionLimits(300)));
  });
  afterAll(() => {
    sm.server.close();
    pol.server.close();
  });

  it('socketmap: several requests on one connection, split across packets', async () => {
    const wire = ['suppress alice@example.com', 'suppress nobody@example.com', 'suppress bob@example.com'].map(netstring).join('');
    expect(wire.slice(0, 30)).toBe('26:suppress alice@example.com,');
    const r = await exchange(sm.port, [wire.slice(0, 18), wire.slice(18, 50), wire.slice(50)], (g) => g.split(',').length > 3);
    expect(r.got).toBe('52:OK REJECT 5.7.1 Recipient suppressed (Email Invalid),9:NOTFOUND ,75:OK DEFER_IF_PERMIT 4.7.1 Recipient suspended until 2026-11-26T13:00:00.000Z,');
  });

  it('socketmap: closes on a framing error and on an oversized query', async () => {
    expect((await exchange(sm.port, ['abc:xyz,'], () => false)).closed).toBe(true);
    expect((await exchange(sm.port, ['5:hello;'], () => false)).closed).toBe(true);
    expect((await exchange(sm.port, ['99999:x'], () => false)).closed).toBe(true);
  });

  it('policy: answers each request in a persistent connection', async () => {
    const one = (rcpt: string) => `request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\nsender=app@example.org\nrecipient=${rcpt}\nunknown_attr=whatever\n\n`;
    const r = await exchange(pol.port, [one('alice@example.com') + one('nobody@example.com').slice(0, 20), one('nobody@example.com').slice(20)], (g) => g.split('\n\n').length > 2);
    expect(r.got).toBe('action=REJECT 5.7.1 Recipient suppressed (Email Invalid)\n\naction=DUNNO\n\n');
    expect(r.closed).toBe(false);
  });

  it('policy: disconnects without a reply on a request that is not a policy request', async () => {
    const r = await exchange(pol.port, ['hello=world\n\n'], () => false);
    expect(r).toEqual({ got: '', closed: true });
  });

  it('counts lookups by interface and verdict', () => {
    expect(metrics.lookups.get({ via: 'socketmap', verdict: 'invalid' })).toBeGreaterThan(0);
    expect(metrics.lookups.get({ via: 'policy', verdict: 'ok' })).toBeGreaterThan(0);
    expect(metrics.lookupErrors.get({ via: 'policy' })).toBeGreaterThan(0);
  });
});
