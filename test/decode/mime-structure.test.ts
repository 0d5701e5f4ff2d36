/**
 * Structure after MIME, as the decoders see it: a multipart preamble is not a text part (the HTML
 * part is read when it is the only readable one; the parser does not report the preamble),
 * message/global-delivery-status is UTF-8 (RFC 6533), and a file with CR-only line endings reads
 * like the same file with LF. Through analyzeMessage.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeMessage } from '../../src/pipeline/analyze.js';
import { splitMessages } from '../../src/intake/file.js';

const fixtures = resolve(new URL('.', import.meta.url).pathname, '../fixtures/mta');

const HTML_ONLY = `Return-Path: <>
From: MAILER-DAEMON@gw.example.net
To: newsletter@bounce.shop.example
Subject: Delivery failure
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

This is a multi-part message in MIME format.

--b
Content-Type: text/html; charset=utf-8

<html><body><p>Your message could not be delivered.</p>
<p>Unknown user: <b>sam.lee@example.net</b></p></body></html>
--b
Content-Type: message/rfc822

From: newsletter@bounce.shop.example
To: sam.lee@example.net
Subject: Spring offers

Hello.
--b--
`;

describe('multipart preamble and HTML', () => {
  it('reads the HTML part when it is the only readable one, not the preamble', async () => {
    const a = await analyzeMessage(HTML_ONLY);
    expect(a.type).toBe('bounce');
    expect(a.recipients.map((r) => r.address)).toEqual(['sam.lee@example.net']);
    expect(a.recipients[0]!.diagnostic).toContain('Unknown user');
  });
});

describe('message/global-delivery-status is UTF-8 (RFC 6533)', () => {
  it.each(['01-global-utf8.eml', '02-global-base64.eml'])('%s', async (file) => {
    const a = await analyzeMessage(readFileSync(resolve(fixtures, 'rfc3464', file)));
    expect(a.type).toBe('bounce');
    expect(a.recipients).toEqual([expect.objectContaining({ address: '用户@例子.广告', status: '5.1.1', diagnostic: '550 5.1.1 用户不存在', remoteMta: 'mx.例子.广告' })]);
  });
});

describe('line endings', () => {
  it.each([
    ['qmail', '05-custom-intro.eml'],
    ['exim', '06-custom-bounce-file.eml'],
    ['postfix', '06-delayed-dsn.eml'],
  ])('%s/%s reads the same with CRLF line endings, and from a CR-only file', async (dir, file) => {
    const lf = readFileSync(resolve(fixtures, dir, file), 'latin1');
    const want = await analyzeMessage(lf);
    expect(want.recipients.length).toBeGreaterThan(0);
    for (const eol of ['\r', '\r\n']) {
      // CR-only line endings come only from files; the file reader gives the parser LF.
      const item = [...splitMessages('f.eml', Buffer.from(lf.replace(/\n/g, eol), 'latin1'))][0]!;
      const got = await analyzeMessage('raw' in item ? item.raw : '');
      expect({ type: got.type, recipients: got.recipients.map((r) => [r.address, r.action, r.status, r.reason]) }).toEqual({
        type: want.type,
        recipients: want.recipients.map((r) => [r.address, r.action, r.status, r.reason]),
      });
    }
  });
});
