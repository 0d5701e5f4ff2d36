/**
 * Reports cut short (a relay that truncates, a disk that filled up, a size limit): every recipient
 * returned must look like an address; fragments are dropped or flagged, never reported as
 * recipients ("rfc822", "ty", ""). Fixtures written for these tests.
 */
import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../src/decode/index.js';
import { looksLikeAddress } from '../../src/parse/dsn.js';
import { parseMessage } from '../../src/parse/message.js';

async function decode(raw: string) {
  return decodeMessage(await parseMessage(raw));
}

/** A Postfix-style DSN whose delivery-status part is `fields`, cut wherever the test says. */
function dsn(fields: string, opts: { closed?: boolean; headers?: string } = {}): string {
  return `From: MAILER-DAEMON@mx.example.net (Mail Delivery System)
To: bounces@example.com
Subject: Undelivered Mail Returned to Sender
${opts.headers ?? ''}MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="CUT"

--CUT
Content-Type: text/plain

This is the mail system at host mx.example.net.

--CUT
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

${fields}${opts.closed ? '\n--CUT--\n' : ''}`;
}

const FIRST = `Final-Recipient: rfc822; alice@example.org
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <alice@example.org>: Recipient address rejected: User unknown

`;

describe('looksLikeAddress', () => {
  it.each([
    ['alice@example.org', true],
    ['"a b"@example.org', true],
    ['@relay.example.net:alice@host', true],
    ['alice@[192.0.2.1]', true],
    ['rfc822', false],
    ['ty', false],
    ['', false],
    ['alice@', false],
    ['@example.org', false],
    ['alice smith@example.org', false],
    ['alice@exa mple.org', false],
  ])('%j -> %s', (a, want) => {
    expect(looksLikeAddress(a)).toBe(want);
  });
});

describe('rfc3464: a DSN cut short', () => {
  it('drops a second record cut after its address type ("rfc822")', async () => {
    const r = await decode(dsn(FIRST + 'Final-Recipient: rfc822'));
    expect(r.decodedBy).toBe('rfc3464');
    expect(r.findings.map((f) => f.recipient)).toEqual(['alice@example.org']);
    expect(r.problems.join('\n')).toMatch(/cut short/);
  });

  it('drops a second record cut inside the address ("ty")', async () => {
    const r = await decode(dsn(FIRST + 'Final-Recipient: rfc822; ty'));
    expect(r.findings.map((f) => f.recipient)).toEqual(['alice@example.org']);
  });

  it('drops a record cut inside the domain part ("bob@")', async () => {
    const r = await decode(dsn(FIRST + 'Original-Recipient: rfc822; bob@'));
    expect(r.findings.map((f) => f.recipient)).toEqual(['alice@example.org']);
  });

  it('never reports a fragment when the only record is cut short', async () => {
    const r = await decode(dsn('Final-Recipient: rfc822; kijit'));
    for (const f of r.findings) expect(looksLikeAddress(f.recipient)).toBe(true);
    expect(r.findings.map((f) => f.recipient)).not.toContain('kijit');
  });

  it('keeps a complete record that was cut after Action, with its address', async () => {
    const r = await decode(dsn('Final-Recipient: rfc822; carol@example.org\nAction: failed\nStatus: 5.2'));
    expect(r.findings.map((f) => f.recipient)).toEqual(['carol@example.org']);
    expect(r.findings[0]!.action).toBe('failed');
  });

  it('flags (keeps) a non-address recipient that has Action and Status', async () => {
    const r = await decode(dsn('Final-Recipient: rfc822; /var/mail/dave\nAction: failed\nStatus: 5.0.0\n', { closed: true }));
    expect(r.findings.map((f) => f.recipient)).toEqual(['/var/mail/dave']);
    expect(r.problems.join('\n')).toMatch(/is not an address/);
  });

  it('still takes the address from X-Failed-Recipients for a pipe recipient', async () => {
    const r = await decode(
      dsn('Final-Recipient: rfc822; |/usr/bin/procmail\nAction: failed\nStatus: 5.0.0\n', {
        closed: true,
        headers: 'X-Failed-Recipients: erin@example.org\n',
      }),
    );
    expect(r.findings.map((f) => f.recipient)).toEqual(['erin@example.org']);
  });

  it('every prefix of a DSN yields only address-like recipients', async () => {
    const full = dsn(FIRST + 'Final-Recipient: rfc822; bob@example.net\nAction: failed\nStatus: 5.2.2\n', { closed: true });
    const start = full.indexOf('Reporting-MTA');
    for (let n = start; n <= full.length; n += 3) {
      const r = await decode(full.slice(0, n));
      for (const f of r.findings) expect(looksLikeAddress(f.recipient), `cut at ${n}: ${JSON.stringify(f.recipient)}`).toBe(true);
    }
  });
});

/** An Exim bounce as Mail.ru writes it (Russian part first), for these tests. */
function mailru(body: string, headers = ''): string {
  return `From: Mail Delivery System <mailer-daemon@corp.mail.ru>
To: sender@example.com
Subject: Mail failure.
${headers}MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Это письмо создано автоматически
сервером Mail.Ru.

К сожалению, Ваше письмо не может быть доставлено одному или нескольким получателям:

**********************

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

${body}`;
}

describe('exim / mail.ru: a bounce cut short in the address list', () => {
  it('returns no empty recipient when cut inside the address line', async () => {
    const r = await decode(mailru('  kijitora@'));
    for (const f of r.findings) {
      expect(f.recipient).not.toBe('');
      expect(looksLikeAddress(f.recipient)).toBe(true);
    }
  });

  it('takes the address from X-Failed-Recipients when the line is cut', async () => {
    const r = await decode(mailru('  kijitora@', 'X-Failed-Recipients: kijitora@example.ru\n'));
    expect(r.findings.map((f) => f.recipient)).toEqual(['kijitora@example.ru']);
  });

  it('keeps the complete addresses before the cut and drops the fragment', async () => {
    const r = await decode(mailru('  alice@example.ru\n    SMTP error from remote mail server after RCPT TO:<alice@example.ru>:\n    host mx.example.ru [192.0.2.7]: 550 5.1.1 user unknown\n  bo'));
    expect(r.findings.map((f) => f.recipient)).toEqual(['alice@example.ru']);
    expect(r.findings[0]!.diagnostic).toMatch(/user unknown/);
  });

  it('every prefix of an Exim bounce yields only address-like recipients', async () => {
    const full = mailru('  alice@example.ru\n    SMTP error from remote mail server after RCPT TO:<alice@example.ru>:\n    550 5.1.1 user unknown\n\n  bob@example.ru\n    Unrouteable address\n\n------ This is a copy of the message, including all the headers. ------\n');
    const start = full.indexOf('The following address');
    for (let n = start; n <= full.length; n += 2) {
      const r = await decode(full.slice(0, n));
      for (const f of r.findings) expect(looksLikeAddress(f.recipient), `cut at ${n}: ${JSON.stringify(f.recipient)} by ${f.decodedBy}`).toBe(true);
    }
  });
});
