/**
 * A real Postfix refuses suppressed recipients through our responders: check_recipient_access
 * socketmap:inet:...:suppress (socketmap.ts) and check_policy_service inet:... (policy.ts), on a
 * private instance (test/support/postfix.ts). Skips when Postfix is missing, except under CI.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromObject } from '../../src/config/load.js';
import { startControl, type ControlHandle } from '../../src/control/server.js';
import { openStore } from '../../src/store/index.js';
import { freePort, postfixMissing, startPostfix, type PostfixInstance } from '../support/postfix.js';

const missing = postfixMissing();
const skip = missing !== '' && !process.env.CI;

/** A minimal SMTP client: send a line, read one complete (possibly multi-line) reply. */
class Smtp {
  private buf = '';
  private waiter: ((s: string) => void) | undefined;
  constructor(private readonly sock: Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.buf += d;
      this.pump();
    });
  }
  private pump(): void {
    const m = /^(?:\d{3}-.*\r\n)*\d{3} .*\r\n/.exec(this.buf);
    if (m && this.waiter) {
      this.buf = this.buf.slice(m[0].length);
      const w = this.waiter;
      this.waiter = undefined;
      w(m[0].trimEnd());
    }
  }
  reply(): Promise<string> {
    return new Promise((res) => {
      this.waiter = res;
      this.pump();
    });
  }
  async cmd(line: string): Promise<string> {
    this.sock.write(`${line}\r\n`);
    return this.reply();
  }
}

describe.skipIf(skip)(`Postfix refuses suppressed recipients (${missing || 'postfix present'})`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rebound-pf-control-'));
  let postfix: PostfixInstance | undefined;
  const controls: ControlHandle[] = [];

  beforeAll(async () => {
    const now = Date.now();
    // Two stores, so each responder is proven on its own: the socketmap knows one set of
    // addresses, the policy server another.
    const mapDb = join(dir, 'map.db');
    const polDb = join(dir, 'policy.db');
    const a = openStore({ path: mapDb });
    a.importSuppressions(
      [
        { address: 'invalid@example.com', what: 'invalid', cause: '550 5.1.1 user unknown', at: now },
        { address: 'suspended@example.com', what: 'suspended', cause: '421 rate limited', at: now },
      ],
      'test',
    );
    a.close();
    const b = openStore({ path: polDb });
    b.importSuppressions([{ address: 'policy-invalid@example.com', what: 'invalid', cause: '550 no such user', at: now }], 'test');
    b.close();

    const base = configFromObject({}).control;
    const mapPort = await freePort();
    const polPort = await freePort();
    controls.push(
      await startControl(
        { ...base, socket: join(dir, 'a.sock'), socketmap: { enabled: true, host: '127.0.0.1', port: mapPort } },
        { storeOptions: { path: mapDb } },
      ),
    );
    controls.push(
      await startControl(
        { ...base, socket: join(dir, 'b.sock'), policy: { enabled: true, host: '127.0.0.1', port: polPort } },
        { storeOptions: { path: polDb } },
      ),
    );
    postfix = await startPostfix({
      main: {
        smtpd_recipient_restrictions: [
          `check_recipient_access socketmap:inet:127.0.0.1:${mapPort}:suppress`,
          `check_policy_service inet:127.0.0.1:${polPort}`,
          'permit_mynetworks',
          'reject',
        ].join(', '),
        smtpd_relay_restrictions: 'permit_mynetworks, reject',
      },
    });
  });

  afterAll(async () => {
    await postfix?.stop();
    for (const c of controls) await c.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rejects invalid, defers suspended, accepts the rest', async () => {
    const sock = connect(postfix!.port, '127.0.0.1');
    const smtp = new Smtp(sock);
    try {
      expect(await smtp.reply()).toMatch(/^220 /);
      expect(await smtp.cmd('EHLO app.rebound.test')).toMatch(/^250/);
      expect(await smtp.cmd('MAIL FROM:<app@rebound.test>')).toMatch(/^250/);
      const invalid = await smtp.cmd('RCPT TO:<invalid@example.com>');
      expect(invalid, postfix!.log()).toMatch(/^55[04] 5\.7\.1 <invalid@example\.com>: Recipient address rejected: Recipient suppressed \(Email Invalid\)/);
      const suspended = await smtp.cmd('RCPT TO:<Suspended@Example.com>');
      expect(suspended, postfix!.log()).toMatch(/^450 4\.7\.1 .*Recipient suspended until \d{4}-\d\d-\d\dT/);
      const viaPolicy = await smtp.cmd('RCPT TO:<policy-invalid@example.com>');
      expect(viaPolicy, postfix!.log()).toMatch(/^55[04] 5\.7\.1 .*Recipient suppressed \(Email Invalid\)/);
      expect(await smtp.cmd('RCPT TO:<fine@example.com>'), postfix!.log()).toMatch(/^250 /);
      await smtp.cmd('QUIT');
    } finally {
      sock.destroy();
    }
    // Postfix logged the refusals as NOQUEUE rejects.
    const log = await postfix!.waitForLog(/NOQUEUE: reject: RCPT from .*<policy-invalid@example\.com>/);
    expect(log).toMatch(/NOQUEUE: reject: RCPT from .*<invalid@example\.com>/);
    expect(log).toMatch(/NOQUEUE: reject: RCPT from .*<policy-invalid@example\.com>/);
  });
});
