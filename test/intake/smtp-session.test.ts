/**
 * The SMTP/LMTP session against hostile and random input, without a network: a fake socket
 * records what the session writes. Whatever a peer sends, the session must not throw, must answer
 * only well-formed reply lines, and must hand over only messages that were ended properly.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { SmtpSession, type SessionContext } from '../../src/intake/smtp-session.js';
import { checkReturnPath } from '../../src/verp/sign.js';

class FakeSocket extends EventEmitter {
  remoteAddress = '192.0.2.7';
  remotePort = 4321;
  timeout = 0;
  written = '';
  ended = false;
  setNoDelay(): this {
    return this;
  }
  setTimeout(ms: number): this {
    this.timeout = ms;
    return this;
  }
  write(s: string): boolean {
    if (this.ended) throw new Error('write after end');
    this.written += s;
    return true;
  }
  end(): this {
    this.ended = true;
    return this;
  }
  destroy(): this {
    this.ended = true;
    return this;
  }
  pause(): this {
    return this;
  }
  resume(): this {
    return this;
  }
}

const verp = { domains: ['bounces.test'], prefix: 'b', delimiter: '+', equals: '=', keys: [], maxAgeDays: 30, requireSignature: false };

function session(protocol: 'smtp' | 'lmtp' = 'smtp', asyncCommit = false) {
  const sock = new FakeSocket();
  const delivered: { raw: string; rcpts: string[] }[] = [];
  const ctx: SessionContext = {
    protocol,
    hostname: 'mx.test',
    maxMessageBytes: 2000,
    secureContext: null,
    checkRcpt: (a) => checkReturnPath(a, verp, Date.now()),
    deliver: (_s, tx, data, reply) => {
      delivered.push({ raw: data.raw.toString('latin1'), rcpts: tx.rcpts });
      const lines = protocol === 'lmtp' ? tx.rcpts.map(() => '250 2.0.0 Ok') : ['250 2.0.0 Ok'];
      if (asyncCommit) setImmediate(() => reply(lines));
      else reply(lines);
    },
    refused: () => {},
    stopping: () => false,
    closed: () => {},
  };
  new SmtpSession(sock as unknown as Socket, ctx, 60_000);
  return { sock, delivered, feed: (s: string | Buffer) => sock.emit('data', Buffer.isBuffer(s) ? s : Buffer.from(s, 'latin1')) };
}

const REPLY_LINE = /^\d{3}[ -][^\r\n]*$/;

function wellFormed(written: string): boolean {
  if (written === '') return true;
  if (!written.endsWith('\r\n')) return false;
  return written
    .slice(0, -2)
    .split('\r\n')
    .every((l) => REPLY_LINE.test(l));
}

const pieces = [
  'EHLO c.test\r\n',
  'HELO c.test\r\n',
  'LHLO c.test\r\n',
  'MAIL FROM:<>\r\n',
  'MAIL FROM:<a@b.test> SIZE=99999999\r\n',
  'RCPT TO:<b+x=y.test@bounces.test>\r\n',
  'RCPT TO:<nobody@else.test>\r\n',
  'RCPT TO:<unclosed\r\n',
  'DATA\r\n',
  'Subject: x\r\n\r\nbody\r\n.\r\n',
  '..stuffed\r\n',
  '.\r\n',
  'RSET\r\n',
  'NOOP\r\n',
  'STARTTLS\r\n',
  'BDAT 10 LAST\r\n',
  '\r\n',
  '\x00\xff\x01',
  'x'.repeat(5000),
  '\n',
];

describe('SmtpSession under random input (property)', () => {
  for (const protocol of ['smtp', 'lmtp'] as const) {
    for (const asyncCommit of [false, true]) {
      it(`${protocol}, ${asyncCommit ? 'async' : 'sync'} commit: never throws, answers only reply lines`, async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.array(fc.oneof(fc.constantFrom(...pieces), fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a))), { maxLength: 40 }),
            fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 4 }),
            async (parts, sizes) => {
              const s = session(protocol, asyncCommit);
              const wire = Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p, 'latin1'))));
              // Deliver the bytes in arbitrary chunk sizes, as TCP may.
              for (let at = 0, i = 0; at < wire.length; i++) {
                const n = sizes[i % sizes.length]!;
                s.feed(wire.subarray(at, at + n));
                at += n;
              }
              await new Promise((r) => setImmediate(r));
              await new Promise((r) => setImmediate(r));
              expect(wellFormed(s.sock.written)).toBe(true);
              for (const d of s.delivered) expect(d.raw.length).toBeLessThanOrEqual(2000);
            },
          ),
          { numRuns: 300 },
        );
      });
    }
  }

  it('a message split at every byte is delivered once, unstuffed, with the reply after it', async () => {
    const s = session('smtp', true);
    const wire = 'EHLO c.test\r\nMAIL FROM:<>\r\nRCPT TO:<b+x=y.test@bounces.test>\r\nDATA\r\nSubject: s\r\n\r\n..one\r\ntwo\r\n.\r\nQUIT\r\n';
    for (const ch of wire) s.feed(ch);
    await new Promise((r) => setImmediate(r));
    expect(s.delivered).toEqual([{ raw: 'Subject: s\r\n\r\n.one\r\ntwo\r\n', rcpts: ['b+x=y.test@bounces.test'] }]);
    const codes = s.sock.written.trimEnd().split('\r\n').map((l) => l.slice(0, 3));
    // 220 greeting, EHLO (6 lines), MAIL 250, RCPT 250, DATA 354, end of data 250, QUIT 221.
    expect(codes.filter((c) => c !== '250')).toEqual(['220', '354', '221']);
    expect(s.sock.written.endsWith('221 2.0.0 Bye\r\n')).toBe(true);
    expect(s.sock.ended).toBe(true);
  });
});
