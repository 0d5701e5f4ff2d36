import { describe, expect, it } from 'vitest';
import { analyzeMessage } from '../../src/pipeline/analyze.js';
import { REASONS } from '../../src/types.js';

const DSN = `From: MAILER-DAEMON@mx.example.net
To: bounces@example.com
Subject: Undelivered Mail Returned to Sender
Content-Type: multipart/report; report-type=delivery-status; boundary="Z"

--Z
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; first@example.org
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.org
Diagnostic-Code: smtp; 550 5.1.1 <first@example.org>: User unknown

Final-Recipient: rfc822; second@example.org
Action: failed
Status: 5.2.2
Diagnostic-Code: smtp; 552 5.2.2 Mailbox full

--Z
Content-Type: text/rfc822-headers

Message-ID: <abc@example.com>
To: first@example.org

--Z--
`;

describe('analyzeMessage', () => {
  it('turns a DSN into one result per recipient, in report order, with every field', async () => {
    const a = await analyzeMessage(DSN);
    expect(a.type).toBe('bounce');
    expect(a.decodedBy).toBe('rfc3464');
    expect(a.recipients).toHaveLength(2);
    const [r1, r2] = a.recipients;
    expect(r1).toMatchObject({ address: 'first@example.org', action: 'failed', status: '5.1.1', replyCode: '550', remoteMta: 'mx.example.org', feedbackType: '' });
    expect(r1!.diagnostic).toBe('550 5.1.1 <first@example.org>: User unknown');
    expect(r2).toMatchObject({ address: 'second@example.org', status: '5.2.2', replyCode: '552' });
    for (const r of a.recipients) {
      expect(REASONS).toContain(r.reason);
      expect([0, 1, 2, 3, 4, 9]).toContain(r.category);
      expect(typeof r.hard).toBe('boolean');
      expect(typeof r.likelyFalsePositive).toBe('boolean');
      expect(typeof r.evidence).toBe('string');
    }
    expect(a.original?.messageId).toBe('abc@example.com');
  });

  it('accepts a Buffer with CRLF endings and gives the same answer', async () => {
    const a = await analyzeMessage(Buffer.from(DSN.replace(/\n/g, '\r\n')));
    expect(a.recipients.map((r) => [r.address, r.status])).toEqual([
      ['first@example.org', '5.1.1'],
      ['second@example.org', '5.2.2'],
    ]);
  });

  it('reports a non-bounce with no recipients', async () => {
    const a = await analyzeMessage('From: friend@example.org\nSubject: hi\n\nhello\n');
    expect(a).toMatchObject({ type: 'not-bounce', recipients: [] });
  });

  it('carries the feedback type of a complaint', async () => {
    const arf = `From: fbl@isp.example\nSubject: complaint\nContent-Type: multipart/report; report-type=feedback-report; boundary=F\n\n--F\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nOriginal-Rcpt-To: reader@isp.example\n--F--\n`;
    const a = await analyzeMessage(arf);
    expect(a.type).toBe('feedback');
    expect(a.recipients.map((r) => [r.address, r.feedbackType])).toEqual([['reader@isp.example', 'abuse']]);
  });

  it('never throws: empty and binary input', async () => {
    expect((await analyzeMessage('')).type).toBe('not-bounce');
    expect((await analyzeMessage(Buffer.from([0, 255, 13, 10, 0xc3]))).type).toBe('not-bounce');
  });
});
