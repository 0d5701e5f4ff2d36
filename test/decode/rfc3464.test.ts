import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../src/decode/index.js';
import { parseMessage } from '../../src/parse/message.js';

/** A Postfix-style DSN written for these tests (not from any corpus). */
function dsn(opts: { recipients: string; text?: string; reportType?: string; dsType?: string; original?: string }): string {
  return `From: MAILER-DAEMON@mx.example.net (Mail Delivery System)
To: bounces+alice=example.org@example.com
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=${opts.reportType ?? 'delivery-status'}; boundary="BND"

--BND
Content-Type: text/plain

${opts.text ?? 'This is the mail system at host mx.example.net.'}

--BND
Content-Type: ${opts.dsType ?? 'message/delivery-status'}

Reporting-MTA: dns; mx.example.net
Arrival-Date: Mon,  3 Mar 2025 10:00:00 +0000

${opts.recipients}
--BND
Content-Type: ${opts.original ? 'message/rfc822' : 'text/rfc822-headers'}

Return-Path: <bounces+alice=example.org@example.com>
From: News <news@example.com>
To: alice@example.org
Subject: Our news
Message-ID: <n-1@example.com>
${opts.original ?? ''}
--BND--
`;
}

async function decode(raw: string) {
  return decodeMessage(await parseMessage(raw));
}

describe('rfc3464 decoder', () => {
  it('reads every recipient field, in report order', async () => {
    const r = await decode(dsn({
      recipients: `Final-Recipient: rfc822; alice@example.org
Original-Recipient: rfc822; alice@example.org
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.org
Diagnostic-Code: smtp; 550 5.1.1 <alice@example.org>: Recipient address
    rejected: User unknown in virtual mailbox table
Last-Attempt-Date: Mon,  3 Mar 2025 10:00:01 +0000

Final-Recipient: rfc822; bob@Example.ORG
Action: failed
Status: 5.0.0
Diagnostic-Code: smtp; 550 5.7.606 Access denied, banned sending IP [192.0.2.1]
`,
      text: '<alice@example.org>: host mx.example.org[192.0.2.25] said: 550 5.1.1\n    <alice@example.org>: Recipient address rejected (in reply to RCPT TO command)',
    }));
    expect(r.type).toBe('bounce');
    expect(r.decodedBy).toBe('rfc3464');
    expect(r.findings.map((f) => [f.recipient, f.action, f.status, f.replyCode])).toEqual([
      ['alice@example.org', 'failed', '5.1.1', '550'],
      ['bob@example.org', 'failed', '5.7.606', '550'],
    ]);
    const a = r.findings[0]!;
    expect(a.diagnostic).toBe('550 5.1.1 <alice@example.org>: Recipient address rejected: User unknown in virtual mailbox table');
    expect(a.diagnosticType).toBe('smtp');
    expect(a.remoteMta).toBe('mx.example.org');
    expect(a.reportingMta).toBe('mx.example.net');
    expect(a.lastCommand).toBe('RCPT');
    expect(r.original).toEqual({ messageId: 'n-1@example.com', to: 'alice@example.org', from: 'News <news@example.com>', subject: 'Our news', returnPath: 'bounces+alice=example.org@example.com' });
  });

  it('fills the diagnostic and remote MTA from the human text when the DSN has none', async () => {
    const r = await decode(dsn({
      recipients: 'Final-Recipient: rfc822; carol@example.org\nAction: failed\nStatus: 5.0.0\n',
      text: '<carol@example.org>: host mx.example.org[192.0.2.25] said: 552 5.2.2\n    Mailbox full (in reply to end of DATA command)',
    }));
    const f = r.findings[0]!;
    expect([f.status, f.replyCode, f.remoteMta, f.lastCommand]).toEqual(['5.2.2', '552', 'mx.example.org', 'DATA']);
    expect(f.diagnostic).toBe('552 5.2.2 Mailbox full');
  });

  it('takes the sentence naming the address when there is no diagnostic anywhere else', async () => {
    const r = await decode(dsn({
      recipients: 'Final-Recipient: rfc822; m@example.org\nAction: failed\nStatus: 5.0.0\n',
      text: "** Address not found **\n\nYour message wasn't delivered to m@example.org because the address couldn't be found.",
    }));
    expect(r.findings[0]!.diagnostic).toBe("Your message wasn't delivered to m@example.org because the address couldn't be found.");
  });

  it('takes the transcript reply line for a single recipient without diagnostic', async () => {
    const r = await decode(dsn({
      recipients: 'Final-Recipient: rfc822; n@example.org\nAction: failed\nStatus: 5.0.0\n',
      text: '   ----- Transcript of session follows -----\n554 5.3.0 unknown mailer error 75',
    }));
    expect([r.findings[0]!.diagnostic, r.findings[0]!.status, r.findings[0]!.replyCode]).toEqual(['554 5.3.0 unknown mailer error 75', '5.3.0', '554']);
  });

  it('takes the last command from a Sendmail transcript', async () => {
    const r = await decode(dsn({
      recipients: 'Final-Recipient: rfc822; o@example.org\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 unknown\n',
      text: '... while talking to mx.example.org.:\n>>> MAIL From:<s@example.com>\n<<< 250 ok\n>>> RCPT To:<o@example.org>\n<<< 550 5.1.1 unknown\n',
    }));
    expect(r.findings[0]!.lastCommand).toBe('RCPT');
  });

  it('completes a multi-line reply a Sendmail Diagnostic-Code cut after its first line', async () => {
    const r = await decode(dsn({
      recipients: 'Final-Recipient: rfc822; p@gmx.net\nAction: failed\nStatus: 5.0.0\nDiagnostic-Code: SMTP; 554-gmx.net (mxgmx104) Nemesis ESMTP Service not available\n',
      text: '... while talking to [192.0.2.9]:\n>>> MAIL From:<s@example.com> SIZE=356\n<<< 554-gmx.net (mxgmx104) Nemesis ESMTP Service not available\n<<< 554-No SMTP service\n<<< 554-IP address is block listed.\n<<< 554 For explanation visit https://postmaster.gmx.net/en/case?c=r0201\n',
    }));
    expect(r.findings[0]!.diagnostic).toBe('554-gmx.net (mxgmx104) Nemesis ESMTP Service not available No SMTP service IP address is block listed. For explanation visit https://postmaster.gmx.net/en/case?c=r0201');
  });

  it('replaces a success reply on a failed recipient with its "Deferred:" line from the transcript', async () => {
    const r = await decode(dsn({
      recipients: 'Final-Recipient: rfc822; q@yahoo.com\nAction: failed\nStatus: 4.4.7\nDiagnostic-Code: SMTP; 250 2.0.0 Ok: stored\n',
      text: '   ----- Transcript of session follows -----\n<q@yahoo.com>... Deferred: 421 4.7.0 [TSS04] Messages from 192.0.2.25 temporarily deferred\nMessage could not be delivered for 5 days\n',
    }));
    expect([r.findings[0]!.diagnostic, r.findings[0]!.replyCode, r.findings[0]!.status]).toEqual(['421 4.7.0 [TSS04] Messages from 192.0.2.25 temporarily deferred', '421', '4.4.7']);
  });

  it('gives each recipient with no Diagnostic-Code the reply of the deferral line that lists it (Sendmail after a 421)', async () => {
    const r = await decode(dsn({
      recipients: 'Final-Recipient: rfc822; b@comcast.net\nAction: failed\nStatus: 4.4.7\n\nFinal-Recipient: rfc822; a@comcast.net\nAction: failed\nStatus: 4.4.7\nDiagnostic-Code: SMTP; \n',
      text: '   ----- The following addresses had permanent fatal errors -----\n<b@comcast.net>\n<a@comcast.net>\n\n   ----- Transcript of session follows -----\n... while talking to [192.0.2.9]:\n>>> MAIL From:<bounces@example.org> SIZE=544\n<<< 421 4.7.0 Comcast block for spam.\n<a@comcast.net>,<b@comcast.net>... Deferred: 421 4.7.0 Comcast block for spam.\nMessage could not be delivered for 5 days\n',
    }));
    expect(r.findings.map((f) => [f.recipient, f.diagnostic, f.replyCode])).toEqual([
      ['b@comcast.net', '421 4.7.0 Comcast block for spam.', '421'],
      ['a@comcast.net', '421 4.7.0 Comcast block for spam.', '421'],
    ]);
    // A recipient the deferral line does not list keeps its empty diagnostic.
    const other = await decode(dsn({
      recipients: 'Final-Recipient: rfc822; c@comcast.net\nAction: failed\nStatus: 4.4.7\n\nFinal-Recipient: rfc822; a@comcast.net\nAction: failed\nStatus: 4.4.7\n',
      text: '   ----- The following addresses had permanent fatal errors -----\n<c@comcast.net>\n<a@comcast.net>\n\n   ----- Transcript of session follows -----\n<a@comcast.net>... Deferred: 421 4.7.0 Comcast block for spam.\n',
    }));
    expect(other.findings.map((f) => f.diagnostic)).toEqual(['', '421 4.7.0 Comcast block for spam.']);
  });

  it('reads RCPT, not the pipelined DATA, from Sendmail\'s own "<addr>... User unknown" line', async () => {
    const r = await decode(dsn({
      recipients: 'Final-Recipient: rfc822; t@example.ch\nAction: failed\nStatus: 5.2.0\nDiagnostic-Code: SMTP; 550 5.2.0 No such mailbox\n',
      text: '... while talking to [192.0.2.9]:\n>>> DATA\n<<< 550 5.2.0 No such mailbox\n550 5.1.1 <t@example.ch>... User unknown\n<<< 554 5.5.1 Error: no valid recipients\n',
    }));
    expect(r.findings[0]!.lastCommand).toBe('RCPT');
  });

  it("hands each recipient's own paragraph to the classifier, not the next recipient's (Exim)", async () => {
    const r = await decode(dsn({
      recipients: 'Final-Recipient: rfc822; u@example.org\nAction: failed\nStatus: 5.0.0\n\nFinal-Recipient: rfc822; v@example.org\nAction: failed\nStatus: 5.0.0\n',
      text: 'This message was created automatically by mail delivery software.\n\n  u@example.org\n    host mx.example.org [192.0.2.1]\n    SMTP error from remote mail server after RCPT TO:<u@example.org>:\n    552 5.2.2 over quota\n  v@example.org\n    host mx.example.org [192.0.2.1]\n    SMTP error from remote mail server after RCPT TO:<v@example.org>:\n    550 5.2.1 account disabled\n',
    }));
    expect(r.findings[0]!.human).toContain('over quota');
    expect(r.findings[0]!.human).not.toContain('disabled');
  });

  it('types delayed and delivered reports', async () => {
    const delayed = await decode(dsn({ recipients: 'Final-Recipient: rfc822; d@example.org\nAction: delayed\nStatus: 4.4.1\nWill-Retry-Until: Tue, 4 Mar 2025 10:00:00 +0000\n' }));
    expect(delayed.type).toBe('delayed');
    expect(delayed.findings[0]!.action).toBe('delayed');
    const ok = await decode(dsn({ recipients: 'Final-Recipient: rfc822; e@example.org\nAction: delivered\nStatus: 2.0.0\n' }));
    expect(ok.type).toBe('delivered');
    const mixed = await decode(dsn({ recipients: 'Final-Recipient: rfc822; e@example.org\nAction: delivered\nStatus: 2.0.0\n\nFinal-Recipient: rfc822; f@example.org\nAction: failed\nStatus: 5.1.1\n' }));
    expect(mixed.type).toBe('bounce');
  });

  it('reads message/global-delivery-status with utf-8 addresses (RFC 6533)', async () => {
    const r = await decode(dsn({
      dsType: 'message/global-delivery-status',
      recipients: 'Final-Recipient: utf-8; \\x{7530}\\x{4E2D}@example.jp\nAction: failed\nStatus: 5.1.1\n',
    }));
    expect(r.findings[0]!.recipient).toBe('田中@example.jp');
  });

  it('prefers Original-Recipient, the address we sent to, over what it expanded to', async () => {
    const r = await decode(dsn({ recipients: 'Original-Recipient: rfc822; team@example.org\nFinal-Recipient: rfc822; carol@mail.example.org\nAction: failed\nStatus: 5.2.2\n' }));
    expect(r.findings[0]!.recipient).toBe('team@example.org');
  });

  it('decodes runs of xtext-escaped bytes in an ORCPT as UTF-8', async () => {
    const r = await decode(dsn({ recipients: 'Original-Recipient: rfc822; j+C3+BCrgen@example.de\nFinal-Recipient: rfc822; j+C3+BCrgen@example.de\nAction: failed\nStatus: 5.1.1\n' }));
    expect(r.findings[0]!.recipient).toBe('jürgen@example.de');
  });

  it('falls back to Original-Recipient when Final-Recipient is not an address', async () => {
    const r = await decode(dsn({ recipients: 'Original-Recipient: rfc822; g@example.org\nFinal-Recipient: X-Unix; |/usr/bin/procmail\nAction: failed\nStatus: 5.3.0\n' }));
    expect(r.findings[0]!.recipient).toBe('g@example.org');
  });

  it('reads DSN fields from text when the report has no parts', async () => {
    const raw = `From: MAILER-DAEMON@old.example.net
Subject: Returned mail: see transcript
Content-Type: multipart/report; report-type=delivery-status; boundary="missing"

The original message was received.

Reporting-MTA: dns; old.example.net

Final-Recipient: RFC822; h@example.org
Action: failed
Status: 5.1.1

Return-Path: <x@example.com>
Subject: hi
`;
    const r = await decode(raw);
    expect(r.decodedBy).toBe('rfc3464');
    expect(r.findings.map((f) => [f.recipient, f.status])).toEqual([['h@example.org', '5.1.1']]);
  });

  it('reads a free-text bounce as a last resort', async () => {
    const raw = 'From: MAILER-DAEMON@old.example.net\nTo: sender@example.com\nSubject: Returned mail: failure\n\nUser\'s mailbox is full: <i@example.org>\nUnable to deliver mail.\n';
    const r = await decode(raw);
    expect(r.findings.map((f) => [f.recipient, f.action])).toEqual([['i@example.org', 'failed']]);
    expect(r.findings[0]!.diagnostic).toContain('mailbox is full');
  });
});

// The labelled corpus: RFC 3464 samples must give the right recipient count and status.
const SHARED = '/work/shared/sisimai';
describe.skipIf(!existsSync(`${SHARED}/labels.json`))('rfc3464 corpus samples (needs /work/shared/sisimai)', () => {
  interface Entry { deliverystatus: string }
  interface Sample { path: string; entries: Entry[] }
  const samples: Sample[] = existsSync(`${SHARED}/labels.json`)
    ? (JSON.parse(readFileSync(`${SHARED}/labels.json`, 'utf8')) as { samples: Sample[] }).samples.filter((s) => /\/rfc3464-/.test(s.path))
    : [];
  const placeholder = (s: string): boolean => /^\d\.0\.9\d\d$|^5\.9\.2\d\d$/.test(s);
  it.each(samples.map((s) => [s.path.split('/').pop()!, s] as const))('%s', async (_name, s) => {
    const r = decodeMessage(await parseMessage(readFileSync(`${SHARED}/corpus/${s.path}`)));
    expect(r.findings.length, `recipients: got ${r.findings.length}, want ${s.entries.length}`).toBe(s.entries.length);
    s.entries.forEach((e, i) => {
      if (e.deliverystatus && !placeholder(e.deliverystatus)) {
        expect(r.findings[i]!.status, `status #${i}`).toBe(e.deliverystatus);
      }
    });
  });
});

describe('fillFromText: Postfix statements whose folded lines lost their indentation', () => {
  const blank = (recipient: string) =>
    ({
      recipient,
      action: 'failed',
      status: '5.2.1',
      replyCode: '550',
      diagnostic: '550 5.2.1 <a@example.net>... User Unknown',
      diagnosticType: 'smtp',
      remoteMta: '',
      reportingMta: '',
      lastCommand: '',
      decodedBy: 'rfc3464',
    }) as const;

  it('reads the command from an unindented continuation line', async () => {
    const { fillFromText } = await import('../../src/decode/rfc3464.js');
    const text = 'The mail system\n\n<a@example.net>: host mx.example.net[192.0.2.22] said: 550 5.2.1\n<a@example.net>... User Unknown (in reply to RCPT TO command)\n\n-- \n';
    const f = { ...blank('a@example.net') };
    fillFromText(f, text);
    expect(f.lastCommand).toBe('RCPT');
    expect(f.remoteMta).toBe('mx.example.net');
  });

  it("stops at the next recipient's entry and at a blank line", async () => {
    const { fillFromText } = await import('../../src/decode/rfc3464.js');
    const text =
      '<a@example.net>: host mx.example.net[192.0.2.22] said: 550 5.2.1 nope\n<b@example.net>: host mx.example.net[192.0.2.22] said: 550 no (in reply to DATA command)\n';
    const f = { ...blank('a@example.net') };
    fillFromText(f, text);
    expect(f.lastCommand).toBe('');
    const g = { ...blank('a@example.net') };
    fillFromText(g, '<a@example.net>: host mx.example.net[192.0.2.22] said: 550 nope\n\nlater text (in reply to DATA command)\n');
    expect(g.lastCommand).toBe('');
  });
});
