/**
 * parse/message: what the decoders get from a raw message, read by mailparser. Behaviour only
 * (headers, charsets, the parts of a report, attached messages, limits, repairs for broken
 * senders); messages written for these tests, non-ASCII bodies as explicit bytes.
 */
import { describe, expect, it } from 'vitest';
import { parseHeaders, parseMessage, walkParts, type MimePart } from '../../src/parse/message.js';

const CRLF = (s: string): string => s.replace(/\n/g, '\r\n');
const bytes = (...parts: Array<string | number[] | Buffer>): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.isBuffer(p) ? p : Buffer.from(p))));

const SIMPLE = `Return-Path: <>
From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
Subject: Undelivered Mail
 Returned to Sender
To: bounces@example.com
Content-Type: text/plain; charset=us-ascii

This is the mail system.
`;

const REPORT = `From: MAILER-DAEMON@mx.example.net
To: bounces@example.com
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="B1/mx.example.net"

This is a MIME-encapsulated message.

--B1/mx.example.net
Content-Description: Notification
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

<alice@example.org>: host mx.example.org[192.0.2.1] said: 550 5.1.1 User
    unknown (in reply to RCPT TO command) caf=C3=A9 =
soft

--B1/mx.example.net
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; alice@example.org
Action: failed
Status: 5.1.1

--B1/mx.example.net
Content-Description: Undelivered Message
Content-Type: message/rfc822

From: Sender <sender@example.com>
To: alice@example.org
Subject: =?UTF-8?B?44GT44KT44Gr44Gh44Gv?=
Message-ID: <m1@example.com>

Hello
--B1/mx.example.net--
`;

const types = (p: MimePart): string[] => p.parts.map((c) => c.type);

describe('parseMessage: headers', () => {
  it('unfolds folded fields, keeps their order, and looks names up in any case', async () => {
    const m = await parseMessage(SIMPLE);
    expect(m.problems).toEqual([]);
    expect(m.headers.list.map(([n]) => n)).toEqual(['return-path', 'from', 'subject', 'to', 'content-type']);
    expect(m.headers.get('Subject')).toBe('Undelivered Mail Returned to Sender');
    expect(m.headers.get('SUBJECT')).toBe('Undelivered Mail Returned to Sender');
    expect(m.headers.get('x-missing')).toBeUndefined();
    expect(m.headers.text('x-missing')).toBe('');
    expect(m.root.type).toBe('text/plain');
    expect(m.text).toBe('This is the mail system.\n');
    expect(m.root.body).toBe(m.text);
  });

  it('decodes RFC 2047 words in text(), joining adjacent words; get() keeps the raw value', async () => {
    const m = await parseMessage(
      'Subject: =?utf-8?B?44GT44KT?= =?utf-8?B?44Gr44Gh44Gv?=\nFrom: =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?= <a@example.jp>\nTo: =?KOI8-R?B?9MXT1A==?= <b@example.ru>\nX-A: =?Shift_JIS?B?g2WDWINn?= =?GB2312?B?suLK1A==?=\n\nx\n',
    );
    expect(m.headers.text('subject')).toBe('こんにちは');
    expect(m.headers.get('subject')).toBe('=?utf-8?B?44GT44KT?= =?utf-8?B?44Gr44Gh44Gv?=');
    expect(m.headers.text('from')).toBe('テスト <a@example.jp>');
    expect(m.headers.text('to')).toBe('Тест <b@example.ru>');
    expect(m.headers.text('x-a')).toBe('テスト测试');
  });

  it('reads raw UTF-8 header bytes (RFC 6532); other 8-bit bytes are kept marked (the address-text rule)', async () => {
    const m = await parseMessage(bytes('Subject: ', [0xc3, 0xa9, 0x74, 0xc3, 0xa9], '\nX-Latin: ', [0x45, 0x6d, 0x70, 0x66, 0xe4, 0x6e, 0x67, 0x65, 0x72], '\n\nbody\n'));
    expect(m.headers.text('subject')).toBe('été');
    expect(m.headers.get('x-latin')).toBe('Empf\\xE4nger');
  });

  it('skips leading blank lines and an mbox From_ line', async () => {
    const m = await parseMessage(`\n\nFrom MAILER-DAEMON Fri Jul  8 12:08:34 2011\n${SIMPLE}`);
    expect(m.headers.get('return-path')).toBe('<>');
    expect(m.text).toBe('This is the mail system.\n');
  });

  it('getAll returns every value in order, as a copy the caller may change', async () => {
    const h = (await parseMessage('Received: one\nX-A: 1\nReceived: two\nX-Empty:\n\nbody\n')).headers;
    expect(h.getAll('received')).toEqual(['one', 'two']);
    h.getAll('received').push('three');
    expect(h.getAll('Received')).toEqual(['one', 'two']);
    expect(h.get('x-empty')).toBe('');
  });

  it('parseHeaders reads a block of fields given as text (a feedback report, returned headers)', () => {
    const h = parseHeaders('Feedback-Type: abuse\r\nOriginal-Rcpt-To: a@example.org\nOriginal-Rcpt-To: b@example.org\nUser-Agent: x\n  y\n\nnot a field\n');
    expect(h.get('feedback-type')).toBe('abuse');
    expect(h.getAll('original-rcpt-to')).toEqual(['a@example.org', 'b@example.org']);
    expect(h.get('user-agent')).toBe('x y');
    expect(h.list.map(([n]) => n)).not.toContain('not a field');
  });
});

describe('parseMessage: bodies and charsets (decoded by mailparser and libmime)', () => {
  const TESTO = 'テスト';
  it.each([
    ['ISO-2022-JP', '7bit', bytes('\x1b$B%F%9%H\x1b(B'), TESTO],
    ['Shift_JIS', '8bit', bytes([0x83, 0x65, 0x83, 0x58, 0x83, 0x67]), TESTO],
    ['EUC-JP', '8bit', bytes([0xa5, 0xc6, 0xa5, 0xb9, 0xa5, 0xc8]), TESTO],
    ['GB2312', '8bit', bytes([0xb2, 0xe2, 0xca, 0xd4]), '测试'],
    ['KOI8-R', '8bit', bytes([0xf4, 0xc5, 0xd3, 0xd4]), 'Тест'],
    ['ISO-8859-1', '8bit', bytes('Empf', [0xe4], 'nger'), 'Empfänger'],
    ['windows-1252', '8bit', bytes([0x80], ' 5'), '€ 5'],
  ])('a %s text part', async (charset, cte, body, want) => {
    const m = await parseMessage(bytes(`Content-Type: text/plain; charset="${charset}"\nContent-Transfer-Encoding: ${cte}\n\n`, body, '\n'));
    expect(m.text.trim()).toBe(want);
  });

  it('removes base64 and quoted-printable, with LF endings', async () => {
    const b64 = Buffer.from('line one\r\nline two\r\n').toString('base64');
    const m = await parseMessage(`Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n${b64.slice(0, 10)}\n${b64.slice(10)}\n`);
    expect(m.text).toBe('line one\nline two\n');
    const q = await parseMessage('Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: Quoted-Printable\n\ncaf=C3=A9 =\nsoft=3D\n');
    expect(q.text).toBe('café soft=\n');
  });

  it('a message/global-delivery-status part is UTF-8 (RFC 6533)', async () => {
    const raw = bytes(
      'From: MAILER-DAEMON@mx.example\nContent-Type: multipart/report; report-type=global-delivery-status; boundary=G\n\n--G\nContent-Type: message/global-delivery-status\n\nReporting-MTA: dns; mx.example\n\nFinal-Recipient: utf-8; ',
      Buffer.from('用户@例子.广告', 'utf8').toJSON().data,
      '\nAction: failed\nStatus: 5.1.1\n\n--G--\n',
    );
    const m = await parseMessage(raw);
    expect(types(m.root)).toEqual(['message/global-delivery-status']);
    expect(m.root.parts[0]!.body).toContain('Final-Recipient: utf-8; 用户@例子.广告');
  });

  it('a global delivery-status part is read line by line: one line of other bytes spoils no other', async () => {
    // Postfix backslash-quotes the bytes of a UTF-8 return path in X-Postfix-Sender.
    const raw = bytes(
      'Content-Type: multipart/report; report-type=global-delivery-status; boundary=G\n\n--G\nContent-Type: message/global-delivery-status\n\nX-Postfix-Sender: rfc822; "j\\',
      [0xc3],
      '\\',
      [0xbc],
      'rgen"@example.org\nX-Latin: ',
      [0xe4],
      '\n\nFinal-Recipient: utf-8; ',
      Buffer.from('用户@例子.广告', 'utf8').toJSON().data,
      '\nAction: failed\n\n--G--\n',
    );
    const body = (await parseMessage(raw)).root.parts[0]!.body;
    expect(body).toContain('X-Postfix-Sender: rfc822; "jürgen"@example.org');
    expect(body).toContain('X-Latin: \\xE4');
    expect(body).toContain('Final-Recipient: utf-8; 用户@例子.广告');
  });
});

describe('parseMessage: the parts of a report', () => {
  it('gives the text, the delivery-status part and the returned message, parsed again', async () => {
    const m = await parseMessage(CRLF(REPORT));
    expect(m.problems).toEqual([]);
    expect(m.root.type).toBe('multipart/report');
    expect(m.root.params['report-type']).toBe('delivery-status');
    expect(m.root.params['boundary']).toBe('B1/mx.example.net');
    // Inline text parts arrive joined in `text` (mailparser), not as parts; the preamble is gone.
    expect(m.text).toContain('550 5.1.1 User\n    unknown (in reply to RCPT TO command) café soft');
    expect(m.text).not.toContain('MIME-encapsulated');
    expect(types(m.root)).toEqual(['message/delivery-status', 'message/rfc822']);
    expect(m.root.parts[0]!.body).toBe('Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; alice@example.org\nAction: failed\nStatus: 5.1.1\n');
    const attached = m.root.parts[1]!;
    expect(attached.body).toContain('Message-ID: <m1@example.com>');
    expect(attached.parts).toHaveLength(1);
    expect(attached.parts[0]!.headers.text('subject')).toBe('こんにちは');
    expect(attached.parts[0]!.headers.get('message-id')).toBe('<m1@example.com>');
    expect(attached.parts[0]!.body.trim()).toBe('Hello');
    const seen: string[] = [];
    walkParts(m.root, (p, d) => seen.push(`${d}:${p.type}`));
    expect(seen).toEqual(['0:multipart/report', '1:message/delivery-status', '1:message/rfc822', '2:text/plain']);
  });

  it('lists the leaves of nested multiparts in order, and keeps the bytes of binary parts out', async () => {
    const raw = `Content-Type: multipart/mixed; boundary=out

--out
Content-Type: multipart/alternative; boundary=alt

--alt
Content-Type: text/plain

plain
--alt
Content-Type: text/html

<p>html</p>
--alt--
--out
Content-Type: text/rfc822-headers

Message-ID: <x@example.com>
--out
Content-Type: image/png
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--out--
`;
    const m = await parseMessage(raw);
    expect(m.text.trim()).toBe('plain');
    expect(m.html.trim()).toBe('<p>html</p>');
    expect(types(m.root)).toEqual(['text/rfc822-headers', 'image/png']);
    expect(parseHeaders(m.root.parts[0]!.body).get('message-id')).toBe('<x@example.com>');
    expect(m.root.parts[1]!.body).toBe('');
  });

  it('parses a base64 message/rfc822 again, with its own parts', async () => {
    const inner = 'Subject: inner\nContent-Type: multipart/mixed; boundary=in\n\n--in\nContent-Type: text/plain\n\nplain\n--in\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; z@example.org\n--in--\n';
    const raw = `Content-Type: multipart/mixed; boundary=out\n\n--out\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n${Buffer.from(inner).toString('base64')}\n--out--\n`;
    const m = await parseMessage(raw);
    const root = m.root.parts[0]!.parts[0]!;
    expect(root.headers.get('subject')).toBe('inner');
    expect(types(root)).toEqual(['message/delivery-status']);
    expect(root.parts[0]!.body).toContain('z@example.org');
  });

  it('reads a message cut off before its closing delimiter', async () => {
    const cut = REPORT.slice(0, REPORT.indexOf('Status: 5.1.1') + 9);
    const m = await parseMessage(cut);
    expect(types(m.root)).toEqual(['message/delivery-status']);
    expect(m.root.parts[0]!.body).toContain('Status: 5');
    expect(m.unreadable).toBeUndefined();
  });
});

describe('parseMessage: repairs for broken senders', () => {
  it('a boundary parameter that lost the blank of its folded line', async () => {
    const raw = 'From: x@example.com\nContent-Type: multipart/mixed;\nboundary="zz"\n\n--zz\nContent-Type: text/plain\n\nhello\n--zz--\n';
    const m = await parseMessage(raw);
    expect(m.text.trim()).toBe('hello');
    expect(m.problems.join()).toMatch(/without its leading blank/);
  });

  it('a declared boundary that never occurs: the delimiter lines that do are used', async () => {
    const m = await parseMessage(REPORT.replace('boundary="B1/mx.example.net"', 'boundary="WRONG"'));
    expect(types(m.root)).toEqual(['message/delivery-status', 'message/rfc822']);
    expect(m.problems.join()).toMatch(/boundary "WRONG" not found; read with "B1\/mx.example.net"/);
  });

  it('a multipart without any delimiter line: the body is read as text', async () => {
    const m = await parseMessage('Content-Type: multipart/report; boundary=zzz\n\nFinal-Recipient: rfc822; a@example.org\nAction: failed\n');
    expect(m.root.parts).toEqual([]);
    expect(m.text).toBe('Final-Recipient: rfc822; a@example.org\nAction: failed\n');
    expect(m.problems.join()).toMatch(/body read as text/);
  });

  it('two reports in one file reusing the boundary: the parts after the closing delimiter too', async () => {
    const second = '\nReceived: again\nContent-Type: multipart/report; boundary="B1/mx.example.net"\n\n--B1/mx.example.net\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; bob@example.org\n\n--B1/mx.example.net--\n';
    const m = await parseMessage(REPORT + second);
    expect(m.root.parts.filter((p) => p.type === 'message/delivery-status').map((p) => /rfc822; (\S+)/.exec(p.body)?.[1])).toEqual([
      'alice@example.org',
      'bob@example.org',
    ]);
    expect(m.problems.join()).toMatch(/after the closing delimiter/);
  });
});

describe('parseMessage: limits (bounded work, never a rejection)', () => {
  it('refuses a message above maxBytes without parsing it, and marks it', async () => {
    const m = await parseMessage(Buffer.from('Subject: big\n\n' + 'x'.repeat(1000)), { maxBytes: 100 });
    expect(m.unreadable).toMatch(/larger than the parse limit of 100 bytes/);
    expect(m.headers.list).toEqual([]);
    expect(m.problems).toContain(m.unreadable);
  });

  it('marks a message with more parts than maxParts unreadable (mailparser stops)', async () => {
    let many = 'Subject: wide\nContent-Type: multipart/mixed; boundary=x\n\n';
    for (let i = 0; i < 50; i++) many += `--x\n\npart ${i}\n`;
    const m = await parseMessage(many + '--x--\n', { maxParts: 10 });
    expect(m.unreadable).toMatch(/child nodes/);
    expect(m.headers.get('subject')).toBe('wide');
  });

  it('reads attached messages down to maxDepth, then stops with a problem', async () => {
    let raw = 'Subject: level 0\nContent-Type: message/rfc822\n\n';
    for (let i = 1; i < 12; i++) raw += `Subject: level ${i}\nContent-Type: message/rfc822\n\n`;
    raw += 'Subject: bottom\n\nhi\n';
    const m = await parseMessage(raw, { maxDepth: 3 });
    let p = m.root;
    let levels = 0;
    while (p.parts[0]) {
      p = p.parts[0];
      levels++;
    }
    expect(levels).toBe(3);
    expect(p.headers.get('subject')).toBe('level 3');
    expect(m.problems.join()).toMatch(/nested deeper than 3/);
    expect(m.unreadable).toBeUndefined();
  });

  it('parses at most maxAttached attached messages', async () => {
    let raw = 'Content-Type: multipart/mixed; boundary=x\n\n';
    for (let i = 0; i < 6; i++) raw += `--x\nContent-Type: message/rfc822\n\nSubject: m${i}\n\nhi\n`;
    const m = await parseMessage(raw + '--x--\n', { maxAttached: 4 });
    expect(m.root.parts.map((p) => p.parts[0]?.headers.get('subject') ?? '-')).toEqual(['m0', 'm1', 'm2', 'm3', '-', '-']);
    expect(m.problems.join()).toMatch(/more than 4 attached messages/);
  });
});
