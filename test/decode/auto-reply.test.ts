import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../src/decode/index.js';
import { parseMessage } from '../../src/parse/message.js';

function reply(headers: string, body = 'I am out of the office until Monday.'): string {
  return `From: "Doe, Jo" <jo@example.org>\nTo: news@example.com\n${headers}\n\n${body}\n`;
}

describe('auto-reply (RFC 3834)', () => {
  it.each([
    ['Auto-Submitted', 'Subject: Re: news\nAuto-Submitted: auto-replied'],
    ['X-Autoreply', 'Subject: Re: news\nX-Autoreply: yes'],
    ['Precedence', 'Subject: Re: news\nPrecedence: auto_reply'],
    ['Exchange subject', 'Subject: Automatic reply: news\nX-Auto-Response-Suppress: All'],
    ['Out of Office', 'Subject: Out of Office: news'],
    ['encoded subject', 'Subject: =?UTF-8?Q?R=C3=A9ponse_automatique?= : news'],
  ])('recognises %s', async (_name, headers) => {
    const r = decodeMessage(await parseMessage(reply(headers)));
    expect(r.type).toBe('autoreply');
    expect(r.findings.map((f) => [f.recipient, f.reasonHint])).toEqual([['jo@example.org', 'vacation']]);
  });

  it('says suspend when the reply says the mailbox is no longer in use, naming the dead address', async () => {
    const r = decodeMessage(await parseMessage(reply('Subject: AutoResponse: news\nAuto-Submitted: auto-replied', 'This inbox old@example.org is no longer in use.')));
    expect(r.findings.map((f) => [f.recipient, f.reasonHint])).toEqual([['old@example.org', 'suspend']]);
  });

  it('ignores ordinary replies and auto-submitted delivery notices', async () => {
    expect(decodeMessage(await parseMessage(reply('Subject: Re: news'))).type).toBe('not-bounce');
    const notice = decodeMessage(await parseMessage(reply('Subject: email bounce notification\nAuto-Submitted: auto-replied', 'Something happened.')));
    expect(notice.type).not.toBe('autoreply');
  });
});
