/**
 * The SMTP/LMTP listener against random input over real sockets: command pieces, DATA pieces and
 * random bytes, cut into random chunks, from several connections at once, most waiting for the
 * greeting and some talking first. Whatever a peer sends, the listener must not throw (an uncaught
 * error fails the run), must answer only well-formed reply lines, must store only messages within
 * the size limit, and must still serve a normal transaction afterwards, with every session gone.
 * The store is a real WAL file behind the group commit, as in the daemon's one-thread mode.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSmtpIntake, GroupCommitter, type SmtpIntake } from '../../src/intake/smtp.js';
import { openStore, type Store } from '../../src/store/index.js';
import { setLogLevel } from '../../src/log.js';
import { Wire } from '../support/smtp-wire.js';

setLogLevel('silent');

const LIMIT = 2000;
const verp = { domains: ['bounces.test'], prefix: 'b', delimiter: '+', equals: '=', keys: [], maxAgeDays: 30 };

/** Pieces a real conversation is made of, to reach every state; random bytes reach the rest. */
const pieces = [
  'EHLO c.test\r\n',
  'HELO c.test\r\n',
  'LHLO c.test\r\n',
  'MAIL FROM:<>\r\n',
  'MAIL FROM:<a@b.test> SIZE=99999999\r\n',
  'MAIL FROM:<a@b.test> BODY=BINARYMIME SMTPUTF8=x\r\n',
  'RCPT TO:<b+x=y.test@bounces.test>\r\n',
  'RCPT TO:<b+x=y.test@bounces.test> NOTIFY=NEVER ORCPT=rfc822;a@b\r\n',
  'RCPT TO:<nobody@else.test>\r\n',
  'RCPT TO:<unclosed\r\n',
  'DATA\r\n',
  'Subject: x\r\n\r\nbody\r\n.\r\n',
  '..stuffed\r\n',
  '.\r\n',
  '\r\n.\r\n',
  '\n.\n',
  'RSET\r\n',
  'NOOP\r\n',
  'VRFY x\r\n',
  'STARTTLS\r\n',
  'AUTH PLAIN AHVzZXIAcGFzcw==\r\n',
  'BDAT 10 LAST\r\n',
  'XCLIENT ADDR=1.2.3.4\r\n',
  'GET / HTTP/1.1\r\n',
  'QUIT\r\n',
  '\r\n',
  '\x00\xff\x01',
  'x'.repeat(3000),
  `${'y'.repeat(5000)}\r\n`,
  `${'z'.repeat(2500)}\r\n.\r\n`,
  '\n',
];

const REPLY_LINE = /^[2-5]\d{2}[ -][^\r\n]*$/;

/** Every complete line is a reply line; a session cut mid-write may leave one partial line out. */
function badLines(received: string): string[] {
  const lines = received.split('\r\n');
  lines.pop(); // after the last CRLF: '' or a partial line
  return lines.filter((l) => !REPLY_LINE.test(l));
}

/** A well-formed start that random input then continues from any of its states. */
const opening = (protocol: string) => [protocol === 'lmtp' ? 'LHLO c.test\r\n' : 'EHLO c.test\r\n', 'MAIL FROM:<>\r\n', 'RCPT TO:<b+f=y.test@bounces.test>\r\n', 'DATA\r\n', 'Subject: fuzz\r\n\r\n'];

const session = fc.record({
  opened: fc.integer({ min: 0, max: 5 }),
  bytes: fc.array(fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...pieces) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 80 }).map((a) => Buffer.from(a).toString('latin1')) }), {
    maxLength: 30,
  }),
  chunks: fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 5 }),
  waitGreeting: fc.boolean().map((b) => b || Math.random() < 0.8),
});

/** Sessions that reach every reply the coverage check expects: message stored, refusals, hang-up. */
const covering = (protocol: string) => {
  const s = (opened: number, bytes: string[]) => ({ opened, bytes, chunks: [64], waitGreeting: true });
  return [
    s(4, ['Subject: x\r\n\r\nbody\r\n.\r\n']), // 354, then 250 once committed
    s(2, ['RCPT TO:<nobody@else.test>\r\n']), // 550: not a bounce address
    s(1, ['MAIL FROM:<a@b.test> SIZE=99999999\r\n']), // 552: over the size limit
    s(1, ['RCPT TO:<b+x=y.test@bounces.test>\r\n']), // 503: RCPT before MAIL
    s(2, ['RCPT TO:<unclosed\r\n']), // 501: bad path
    s(1, ['XCLIENT ADDR=1.2.3.4\r\n']), // 500: disabled command
    s(0, [protocol === 'lmtp' ? 'EHLO c.test\r\n' : 'LHLO c.test\r\n', ...Array<string>(25).fill('XCLIENT ADDR=1.2.3.4\r\n')]), // 421 after too many errors
  ];
};

describe.each(['smtp', 'lmtp'] as const)('%s listener under random input over TCP (property)', (protocol) => {
  let dir = '';
  let store: Store;
  let intake: SmtpIntake;
  let port = 0;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rebound-fuzz-'));
    store = openStore({ path: join(dir, 'db.sqlite') });
    intake = createSmtpIntake(
      {
        protocol,
        listen: { host: '127.0.0.1', port: 0 },
        limits: { hostname: 'mx.test', maxClients: 100, maxMessageBytes: LIMIT, socketTimeoutMs: 5000, tls: {}, closeTimeoutMs: 1000 },
        verp,
      },
      { committer: new GroupCommitter(store) },
    );
    await intake.start();
    port = (intake.address() as { port: number }).port;
  });
  afterAll(async () => {
    await intake.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(s: { opened: number; bytes: string[]; chunks: number[]; waitGreeting: boolean }): Promise<string> {
    const w = await Wire.open({ port });
    if (s.waitGreeting) expect(await w.reply()).toMatch(/^220 /);
    const wire = Buffer.from([...opening(protocol).slice(0, s.opened), ...s.bytes].join(''), 'latin1');
    // The chunks go out as separate writes with a turn of the event loop between them (no Nagle).
    w.sock.setNoDelay(true);
    for (let at = 0, i = 0; at < wire.length && !w.closed; i++) {
      const n = s.chunks[i % s.chunks.length]!;
      w.sock.write(wire.subarray(at, at + n));
      at += n;
      await new Promise((r) => setImmediate(r));
    }
    // Enough for the last replies (a commit included) to arrive; what matters is their form.
    await new Promise((r) => setTimeout(r, 150));
    w.sock.destroy();
    return (s.waitGreeting ? '220 greeting\r\n' : '') + w.rest();
  }

  it('never throws, answers only well-formed reply lines, stores nothing over the limit, and serves after', async () => {
    const codes = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.array(session, { minLength: 1, maxLength: 6 }), async (sessions) => {
        const received = await Promise.all(sessions.map(run));
        for (const r of received) expect(badLines(r)).toEqual([]);
        for (const r of received) for (const m of r.matchAll(/^(\d{3})[ -]/gm)) codes.add(m[1]!);
      }),
      // One run that reaches each state on purpose, so the coverage check below does not depend on
      // what the random runs happen to reach (nor on a loaded machine delaying their last replies).
      { numRuns: 40, examples: [[covering(protocol)]] },
    );
    // The input reached the states that matter: messages ended and answered, refusals, hang-ups.
    for (const c of ['250', '354', '421', '500', '501', '503', '550', '552']) expect(codes).toContain(c);
    const total = store.stats().messages.total;
    for (let id = 1; id <= total; id++) expect(store.getMessage(id)?.raw?.length ?? 0).toBeLessThanOrEqual(LIMIT);
    // A normal transaction still works, and every fuzz session is gone.
    const w = await Wire.open({ port });
    expect(await w.reply()).toMatch(/^220 /);
    await w.cmd(protocol === 'lmtp' ? 'LHLO ok.test' : 'EHLO ok.test');
    await w.cmd('MAIL FROM:<>');
    expect(await w.cmd('RCPT TO:<b+after=y.test@bounces.test>')).toMatch(/^250/);
    await w.cmd('DATA');
    expect(await w.cmd('Subject: after the fuzz\r\n\r\nok\r\n.')).toMatch(/^250 2\.0\.0 Ok: stored as \d+/);
    w.end();
    for (let i = 0; i < 100 && intake.connections() > 1; i++) await new Promise((r) => setTimeout(r, 50));
    expect(intake.connections()).toBeLessThanOrEqual(1);
  }, 120_000);
});
