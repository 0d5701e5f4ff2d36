import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../src/decode/index.js';
import { parseMessage } from '../../src/parse/message.js';

const ARF = `From: Feedback Loop <fbl@isp.example>
To: abuse@example.com
Subject: FW: Weekly news
Auto-Submitted: auto-replied
Content-Type: multipart/report; report-type=feedback-report; boundary="F"

--F
Content-Type: text/plain

This is an email abuse report for an email message received from IP 192.0.2.7.

--F
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: SomeGenerator/1.0
Version: 1
Original-Mail-From: <bounces@example.com>
Original-Rcpt-To: <reader@isp.example>
Original-Rcpt-To: <other@isp.example>
Reporting-MTA: dns; mail.isp.example

--F
Content-Type: message/rfc822

From: news@example.com
To: reader@isp.example
Subject: Weekly news
Message-ID: <w-7@example.com>

Hello
--F--
`;

describe('arf', () => {
  it('reads RFC 5965 reports: one finding per Original-Rcpt-To, with the Feedback-Type', async () => {
    const r = decodeMessage(await parseMessage(ARF));
    expect(r.type).toBe('feedback');
    expect(r.decodedBy).toBe('arf');
    expect(r.findings.map((f) => [f.recipient, f.feedbackType, f.reasonHint])).toEqual([
      ['reader@isp.example', 'abuse', 'feedback'],
      ['other@isp.example', 'abuse', 'feedback'],
    ]);
    expect(r.findings[0]!.reportingMta).toBe('mail.isp.example');
    expect(r.original?.messageId).toBe('w-7@example.com');
  });

  it('uses the returned message To: when the report names no recipient', async () => {
    const raw = ARF.replace(/^Original-Rcpt-To:.*\n/gm, '').replace('Feedback-Type: abuse', 'Feedback-Type: opt-out');
    const r = decodeMessage(await parseMessage(raw));
    expect(r.findings.map((f) => [f.recipient, f.feedbackType])).toEqual([['reader@isp.example', 'opt-out']]);
  });

  it('reads a Hotmail-style complaint that only attaches the original', async () => {
    const raw = `From: staff@hotmail.com
To: fbl@example.com
Subject: complaint about message from 192.0.2.9
Content-Type: multipart/mixed; boundary="H"

--H
Content-Type: message/rfc822

X-HmXmrOriginalRecipient: someone@hotmail.example
From: news@example.com
To: someone@hotmail.example
Subject: news

body
--H--
`;
    const r = decodeMessage(await parseMessage(raw));
    expect(r.type).toBe('feedback');
    expect(r.findings.map((f) => [f.recipient, f.feedbackType])).toEqual([['someone@hotmail.example', 'abuse']]);
  });

  it('reads an Apple Mail unsubscribe as opt-out from the sender', async () => {
    const raw = 'From: reader@icloud.example\nTo: opt-out-123@example.com\nSubject: unsubscribe\nX-Apple-Unsubscribe: true\nAuto-Submitted: auto-replied\n\nApple Mail sent this email to unsubscribe.\n';
    const r = decodeMessage(await parseMessage(raw));
    expect(r.type).toBe('feedback');
    expect(r.findings.map((f) => [f.recipient, f.feedbackType])).toEqual([['reader@icloud.example', 'opt-out']]);
  });
});
