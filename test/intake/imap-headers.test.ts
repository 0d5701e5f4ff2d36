/**
 * IMAP delivery headers that name an address (issue 19): Postfix's virtual and local delivery
 * write Delivered-To / X-Original-To in raw UTF-8 (RFC 6532). They are read as UTF-8, never as
 * latin1 (the bug: `jã¼rgen.mã¼ller@remote.test` marked invalid instead of the real address);
 * bytes that are not UTF-8 are kept and marked; RFC 2047 words are decoded.
 */
import { describe, expect, it } from 'vitest';
import { envelopeFromHeaders } from '../../src/intake/imap.js';
import { openProcessingStore } from '../support/pipeline.js';

const verp = { domains: ['imap.bounces.test'], prefix: 'bounces', delimiter: '+', equals: '=', keys: ['1:imap secret'] };

/** A Postfix DSN as virtual(8) leaves it in a Maildir, for one refused UTF-8 recipient. */
function delivered(rcpt: string, returnPath: string, date = new Date()): Buffer {
  return Buffer.from(
    [
      'Return-Path: <>',
      `X-Original-To: ${returnPath}`,
      `Delivered-To: ${returnPath}`,
      `Date: ${date.toUTCString()}`,
      'From: Mail Delivery System <MAILER-DAEMON@mta.rebound.test>',
      'Subject: Undelivered Mail Returned to Sender',
      `To: ${returnPath}`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"',
      'Content-Transfer-Encoding: 8bit',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      `<${rcpt}>: host 127.0.0.1[127.0.0.1] said: 550 5.1.1 <${rcpt}>: Recipient address rejected: User unknown (in reply to RCPT TO command)`,
      '',
      '--b1',
      'Content-Type: message/global-delivery-status',
      'Content-Transfer-Encoding: 8bit',
      '',
      'Reporting-MTA: dns; mta.rebound.test',
      '',
      `Final-Recipient: utf-8; ${rcpt}`,
      `Original-Recipient: rfc822;${rcpt}`,
      'Action: failed',
      'Status: 5.1.1',
      'Remote-MTA: dns; 127.0.0.1',
      `Diagnostic-Code: smtp; 550 5.1.1 <${rcpt}>: Recipient address rejected: User unknown`,
      '',
      '--b1--',
      '',
    ].join('\r\n'),
    'utf8',
  );
}

describe('envelopeFromHeaders reads delivery headers as address text', () => {
  it('reads raw UTF-8 Delivered-To / X-Original-To as UTF-8', () => {
    const rp = 'bounces+jürgen.müller=remote.test@imap.bounces.test';
    const env = envelopeFromHeaders(delivered('jürgen.müller@remote.test', rp), 'o', 1);
    expect(env.rcptTo).toEqual([rp]);
  });

  it('keeps bytes that are not UTF-8 marked instead of guessing latin1', () => {
    const raw = Buffer.concat([Buffer.from('Delivered-To: bounces+m'), Buffer.from([0xfc]), Buffer.from('ller=x.test@imap.bounces.test\r\n\r\nbody\r\n')]);
    expect(envelopeFromHeaders(raw, 'o', 1).rcptTo).toEqual(['bounces+m\\xFCller=x.test@imap.bounces.test']);
  });

  it('decodes RFC 2047 words in a delivery header', () => {
    const raw = Buffer.from(`X-Original-To: =?utf-8?B?${Buffer.from('bounces+用户=例子.广告').toString('base64')}?=@imap.bounces.test\r\n\r\n`);
    expect(envelopeFromHeaders(raw, 'o', 1).rcptTo).toEqual(['bounces+用户=例子.广告@imap.bounces.test']);
  });
});

describe('an IMAP bounce for a UTF-8 recipient changes the right address', () => {
  it.each([
    ['jürgen.müller@remote.test', 'plain'],
    ['用户@例子.广告', 'plain'],
    ['jürgen.müller@bücher.test', 'signed'],
    ['ascii@bücher.test', 'signed'],
  ])('%s (%s VERP)', async (rcpt, form) => {
    const { signReturnPath } = await import('../../src/verp/sign.js');
    const { encodeVerp } = await import('../../src/verp/verp.js');
    const rp = form === 'signed' ? signReturnPath(rcpt, verp) : encodeVerp(rcpt, verp);
    const store = openProcessingStore({ path: ':memory:' });
    try {
      const raw = delivered(rcpt, rp);
      const [r] = await store.ingestMessages([{ env: envelopeFromHeaders(raw, 'bounces/INBOX/1/1', Date.now(), verp), raw }]);
      expect(r!.outcome.addresses).toEqual([rcpt]);
      expect(store.mayISend(rcpt).verdict).toBe('invalid');
      // No garbled twin: the only address the store knows is the real one.
      expect([...store.exportAddresses()].map((a) => a.address)).toEqual([rcpt]);
    } finally {
      store.close();
    }
  });
});
