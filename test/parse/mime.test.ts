import { describe, expect, it } from 'vitest';
import iconv from 'iconv-lite';
import { decodeWords, findPart, parseContentType, parseHeaders, parseMessage, walkParts } from '../../src/parse/mime.js';

const CRLF = (s: string): string => s.replace(/\n/g, '\r\n');

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

describe('parseMessage: headers', () => {
  it('unfolds folded fields and keeps order', () => {
    const m = parseMessage(SIMPLE);
    expect(m.headers.get('subject')).toBe('Undelivered Mail Returned to Sender');
    expect(m.headers.list.map((f) => f[0])).toEqual(['return-path', 'from', 'subject', 'to', 'content-type']);
    expect(m.root.type).toBe('text/plain');
    expect(m.root.body).toBe('This is the mail system.\n');
    expect(m.problems).toEqual([]);
  });

  it.each([
    ['LF', SIMPLE],
    ['CRLF', CRLF(SIMPLE)],
    ['CR', SIMPLE.replace(/\n/g, '\r')],
  ])('reads %s line endings the same way', (_name, raw) => {
    const m = parseMessage(Buffer.from(raw, 'latin1'));
    expect(m.headers.text('subject')).toBe('Undelivered Mail Returned to Sender');
    expect(m.root.body).toBe('This is the mail system.\n');
  });

  it('decodes RFC 2047 words, joining adjacent words and split multi-byte characters', () => {
    // "こんにちは" split in the middle of a character across two B words.
    const bytes = Buffer.from('こんにちは', 'utf8');
    const w1 = `=?UTF-8?B?${bytes.subarray(0, 4).toString('base64')}?=`;
    const w2 = `=?UTF-8?B?${bytes.subarray(4).toString('base64')}?=`;
    expect(decodeWords(`${w1}\t ${w2}`)).toBe('こんにちは');
    expect(decodeWords('=?iso-8859-1?Q?caf=E9_cr=E8me?= and more')).toBe('café crème and more');
    expect(decodeWords('Re: =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=')).toBe('Re: テスト');
    expect(decodeWords('no words here')).toBe('no words here');
    expect(decodeWords('=?bogus-charset?Q?abc?=')).toBe('abc');
  });

  it('reads raw UTF-8 header bytes (RFC 6532) and falls back to latin1', () => {
    const m = parseMessage(Buffer.concat([Buffer.from('Subject: '), Buffer.from('Grüße', 'utf8'), Buffer.from('\nX-L: '), Buffer.from([0x47, 0x72, 0xfc, 0xdf, 0x65]), Buffer.from('\n\nbody\n')]));
    expect(m.headers.get('subject')).toBe('Grüße');
    expect(m.headers.get('x-l')).toBe('Grüße');
  });

  it('treats a message without headers as bare body', () => {
    const m = parseMessage('just some text\nwith lines\n');
    expect(m.headers.list).toEqual([]);
    expect(m.root.body).toBe('just some text\nwith lines\n');
    expect(m.problems.join()).toMatch(/no header/);
  });

  it('skips an mbox From_ line and leading blank lines', () => {
    const m = parseMessage('\n\nFrom MAILER-DAEMON Sat Oct  4 08:00:09 2025\nSubject: x\n\nbody');
    expect(m.headers.get('subject')).toBe('x');
    expect(m.root.body).toBe('body');
  });

  it('accepts a folded line that lost its leading blank when more fields follow', () => {
    const m = parseMessage('Content-Type: multipart/alternative;\nboundary="XYZ"\nSubject: s\n\n--XYZ\n\na\n--XYZ--\n');
    expect(m.root.params['boundary']).toBe('XYZ');
    expect(m.root.parts).toHaveLength(1);
  });

  it('parseHeaders reads a text/rfc822-headers block', () => {
    const h = parseHeaders('To: a@example.org\r\nSubject: hi\r\n there\r\n');
    expect(h.get('to')).toBe('a@example.org');
    expect(h.text('subject')).toBe('hi there');
    expect(h.getAll('x')).toEqual([]);
  });
});

describe('parseContentType', () => {
  it('reads quoted values, escapes and case', () => {
    const ct = parseContentType('Multipart/Report; Report-Type="delivery-status"; boundary="a\\"b;c"');
    expect(ct.type).toBe('multipart/report');
    expect(ct.params).toEqual({ 'report-type': 'delivery-status', boundary: 'a"b;c' });
  });

  it('joins RFC 2231 continuations and decodes their charset', () => {
    const ct = parseContentType("application/x-stuff; title*0*=us-ascii'en'This%20is%20even%20more%20; title*1*=%2A%2A%2Afun%2A%2A%2A%20; title*2=\"isn't it!\"");
    expect(ct.params['title']).toBe("This is even more ***fun*** isn't it!");
    const u = parseContentType("text/plain; name*=UTF-8''%E6%97%A5%E6%9C%AC.txt");
    expect(u.params['name']).toBe('日本.txt');
  });
});

describe('parseMessage: bodies and charsets', () => {
  it.each([
    ['iso-2022-jp', 'seven-bit'],
    ['shift_jis', '8bit'],
    ['euc-jp', '8bit'],
    ['iso-8859-1', '8bit'],
    ['windows-1252', '8bit'],
  ])('decodes %s text', (charset, cte) => {
    const text = charset.startsWith('iso-8859') || charset.startsWith('windows') ? 'Zustellung fehlgeschlagen: Empfänger unbekannt' : 'このメールは配信できませんでした';
    const body = iconv.encode(text, charset === 'iso-2022-jp' ? 'utf8' : charset);
    // iconv-lite cannot encode ISO-2022-JP: use a known-good byte sequence for "テスト".
    const raw = charset === 'iso-2022-jp'
      ? Buffer.from(`Content-Type: text/plain; charset=ISO-2022-JP\nContent-Transfer-Encoding: 7bit\n\n\x1b$B%F%9%H\x1b(B\n`, 'latin1')
      : Buffer.concat([Buffer.from(`Content-Type: text/plain; charset="${charset}"\nContent-Transfer-Encoding: ${cte}\n\n`), body]);
    const m = parseMessage(raw);
    expect(m.root.body.trim()).toBe(charset === 'iso-2022-jp' ? 'テスト' : text);
  });

  it('decodes base64 and quoted-printable, with LF endings', () => {
    const b64 = Buffer.from('line one\r\nline two\r\n').toString('base64');
    const m = parseMessage(`Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n${b64.slice(0, 10)}\n${b64.slice(10)}\n`);
    expect(m.root.body).toBe('line one\nline two\n');
    const q = parseMessage('Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: Quoted-Printable\n\ncaf=C3=A9 =\nsoft=3D, bad =ZZ\n');
    expect(q.root.body).toBe('café soft=, bad =ZZ\n');
  });

  it('guesses UTF-8 or latin1 when a part declares no charset', () => {
    const m = parseMessage(Buffer.concat([Buffer.from('Subject: x\n\n'), Buffer.from([0x45, 0x6d, 0x70, 0x66, 0xe4, 0x6e, 0x67, 0x65, 0x72])]));
    expect(m.root.body).toBe('Empfänger');
  });
});

describe('parseMessage: multipart', () => {
  it('builds the tree of a DSN, with the returned message as a child', () => {
    const m = parseMessage(CRLF(REPORT));
    expect(m.problems).toEqual([]);
    expect(m.root.type).toBe('multipart/report');
    expect(m.root.params['report-type']).toBe('delivery-status');
    expect(m.root.body).toBe('This is a MIME-encapsulated message.\n');
    expect(m.root.parts.map((p) => p.type)).toEqual(['text/plain', 'message/delivery-status', 'message/rfc822']);
    const text = m.root.parts[0]!.body;
    expect(text).toContain('550 5.1.1 User\n    unknown (in reply to RCPT TO command) café soft');
    expect(m.root.parts[1]!.body).toBe('Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; alice@example.org\nAction: failed\nStatus: 5.1.1\n');
    const inner = m.root.parts[2]!;
    expect(inner.parts).toHaveLength(1);
    expect(inner.parts[0]!.headers.text('subject')).toBe('こんにちは');
    expect(inner.parts[0]!.headers.get('message-id')).toBe('<m1@example.com>');
    expect(inner.body).toContain('Message-ID: <m1@example.com>');
    expect(findPart(m.root, 'message/delivery-status')).toBe(m.root.parts[1]);
    const seen: string[] = [];
    walkParts(m.root, (p, d) => seen.push(`${d}:${p.type}`));
    expect(seen).toEqual(['0:multipart/report', '1:text/plain', '1:message/delivery-status', '1:message/rfc822', '2:text/plain']);
  });

  it('reads a truncated message whose closing boundary is missing', () => {
    const cut = REPORT.slice(0, REPORT.indexOf('Status: 5.1.1') + 9);
    const m = parseMessage(cut);
    expect(m.root.parts.map((p) => p.type)).toEqual(['text/plain', 'message/delivery-status']);
    expect(m.root.parts[1]!.body).toContain('Status: 5');
    expect(m.problems.join()).toMatch(/closing boundary missing/);
  });

  it('guesses the boundary when the declared one is wrong', () => {
    const m = parseMessage(REPORT.replace('boundary="B1/mx.example.net"', 'boundary="WRONG"'));
    expect(m.root.parts.map((p) => p.type)).toEqual(['text/plain', 'message/delivery-status', 'message/rfc822']);
    expect(m.problems.join()).toMatch(/guessed/);
  });

  it('keeps the body as text when no boundary can be found', () => {
    const m = parseMessage('Content-Type: multipart/mixed; boundary=zzz\n\nplain words only\n');
    expect(m.root.parts).toEqual([]);
    expect(m.root.body).toBe('plain words only\n');
  });

  it('decodes a base64 message/rfc822 and nested multiparts', () => {
    const inner = 'Subject: inner\nContent-Type: multipart/alternative; boundary=in\n\n--in\nContent-Type: text/plain\n\nplain\n--in\nContent-Type: text/html\n\n<p>html</p>\n--in--\n';
    const raw = `Content-Type: multipart/mixed; boundary=out\n\n--out\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n${Buffer.from(inner).toString('base64')}\n--out--\n`;
    const m = parseMessage(raw);
    const msg = m.root.parts[0]!;
    expect(msg.parts[0]!.headers.get('subject')).toBe('inner');
    expect(msg.parts[0]!.parts.map((p) => p.body)).toEqual(['plain', '<p>html</p>']);
  });

  it('bounds depth and part count', () => {
    let raw = 'Subject: deep\nContent-Type: multipart/mixed; boundary=b0\n\n';
    for (let i = 1; i < 40; i++) raw += `--b${i - 1}\nContent-Type: multipart/mixed; boundary=b${i}\n\n`;
    const deep = parseMessage(raw, { maxDepth: 8 });
    expect(deep.problems.join()).toMatch(/nesting deeper than 8/);
    let many = 'Content-Type: multipart/mixed; boundary=x\n\n';
    for (let i = 0; i < 100; i++) many += `--x\n\npart ${i}\n`;
    const wide = parseMessage(many + '--x--\n', { maxParts: 10 });
    expect(wide.root.parts.length).toBeLessThanOrEqual(10);
    expect(wide.problems.join()).toMatch(/more than 10 MIME parts/);
  });

  it('reads parts that follow a closing boundary (two reports in one file)', () => {
    const twice = REPORT + '\nFrom: again\n\n--B1/mx.example.net\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; bob@example.org\n\n--B1/mx.example.net--\n';
    const m = parseMessage(twice);
    expect(m.root.parts.filter((p) => p.type === 'message/delivery-status')).toHaveLength(2);
  });

  it('honours maxBytes', () => {
    const m = parseMessage(Buffer.from('Subject: big\n\n' + 'x'.repeat(1000)), { maxBytes: 100 });
    expect(m.root.body.length).toBeLessThanOrEqual(100);
    expect(m.problems.join()).toMatch(/larger than 100 bytes/);
  });
});

describe('Headers lookups (scan first, then an index)', () => {
  const raw = 'Received: one\nX-A: 1\nReceived: two\nSubject: s\nX-Empty:\n\nbody\n';
  it('answers the same before and after the index is built, in any case', () => {
    const h = parseMessage(raw).headers;
    const ask = (): unknown[] => [h.get('received'), h.get('RECEIVED'), h.getAll('Received'), h.get('x-a'), h.get('missing'), h.getAll('missing'), h.get('x-empty'), h.text('subject')];
    const first = ask(); // the first lookups scan the list
    for (let i = 0; i < 20; i++) ask(); // later ones use the index
    expect(ask()).toEqual(first);
    expect(first).toEqual(['one', 'one', ['one', 'two'], '1', undefined, [], '', 's']);
  });

  it('getAll returns a copy the caller may change', () => {
    const h = parseMessage(raw).headers;
    for (let i = 0; i < 20; i++) h.get('x-a');
    h.getAll('received').push('three');
    h.getAll('missing').push('x');
    expect(h.getAll('received')).toEqual(['one', 'two']);
    expect(h.getAll('missing')).toEqual([]);
  });
});
