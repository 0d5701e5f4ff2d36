/**
 * exchange2003 - non-delivery reports of Microsoft Exchange 5.5 - 2003 (Internet Mail Service /
 * Internet Mail Connector): plain text, no message/delivery-status part.
 * In: DecodeInput. Out: one Finding per "<address> on <date>" entry, in order.
 * RFCs: none (pre-RFC 3464 layout). Config keys: none.
 *
 *   Your message
 *     To:      user@example.jp
 *     Subject: Hello
 *   did not reach the following recipient(s):
 *
 *   user@example.jp on Thu, 29 Apr 2010 00:00:00 -0000
 *       The recipient name is not recognized
 *       The MTS-ID of the original message is: c=jp;a= ;p=org
 *   ;l=EXCHANGE000000000000000000
 *       MSEXCH:IMS:ORG:SITE:SERVER 0 (000C05A6) Unknown Recipient
 */
import type { Finding } from '../../types.js';
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import { addressFromField } from '../../parse/dsn.js';

const NAME = 'exchange2003';

// "did not reach the following recipient(s):" / "The following recipient(s) could not be reached:"
const LEAD_RE = /(?:did not reach the following recipient\(s\)|following recipient\(s\) could not be reached)\s*:/i;
// "user@example.jp on Thu, 29 Apr 2010 00:00:00 -0000" / "user@example.com on 4/29/01 11:34:45 PM"
const RCPT_RE = /^\s*<?([^\s<>@]+@[^\s<>@]+?)>? on (.+)$/;
// "The MTS-ID of the original message is: c=jp;a= ;p=org" and its wrapped ";l=..." line
const MTS_RE = /^The MTS-ID of the original message is:|;l=/i;
// "<mx.example.org #5.1.1>" or "<mx.example.org #5.0.0 smtp;550 ...>" (Exchange 2000/2003 SMTP)
const SMTP_TAIL_RE = /<([A-Za-z0-9][A-Za-z0-9.-]*) #(\d\.\d{1,3}\.\d{1,3})\b[^<>]*>\s*$/;
export const exchange2003: Decoder = {
  name: NAME,
  detect(input: DecodeInput): boolean {
    // X-Mailer: Internet Mail Service (5.5.1960.3)
    // X-Mailer: Microsoft Exchange Server Internet Mail Connector Version 4.0.994.63
    const mailer = input.msg.headers.get('x-mailer') ?? '';
    return (
      /Internet Mail (?:Service|Connector)|Microsoft Exchange/i.test(mailer) ||
      input.msg.headers.get('x-ms-embedded-report') !== undefined ||
      /^Undeliverable:/i.test(input.subject.trim())
    );
  },
  structure(input: DecodeInput): boolean {
    // "did not reach the following recipient(s):" with its "addr on date" lines.
    const t = input.text;
    if (!t.includes('did not reach the following recipient') && !t.includes('could not be reached')) return false;
    return LEAD_RE.test(t) && /^[^\S\r\n]*<?[^\s<>@]+@[^\s<>@]+?>? on .*\d.*$/m.test(t);
  },

  decode(input: DecodeInput): DecodeResult | null {
    const lead = LEAD_RE.exec(input.text);
    if (!lead) return null;
    const body = input.text.slice(lead.index + lead[0].length);

    const blocks: Array<{ recipient: string; lines: string[]; closed: boolean }> = [];
    for (const line of body.split('\n')) {
      const m = RCPT_RE.exec(line);
      if (m) {
        blocks.push({ recipient: addressFromField(m[1] ?? ''), lines: [], closed: false });
        continue;
      }
      const current = blocks[blocks.length - 1];
      if (!current || current.closed) continue;
      if (line.trim() === '') {
        // A blank line after some detail ends the entry (the rest is footer or the returned message).
        if (current.lines.length > 0) current.closed = true;
        continue;
      }
      if (!MTS_RE.test(line.trim())) current.lines.push(line.trim());
    }
    if (blocks.length === 0) return null;

    const findings: Finding[] = blocks.map(({ recipient, lines }) => {
      let diagnostic = lines.join(' ').replace(/\s+/g, ' ').trim();
      // Exchange 2000/2003 over SMTP ends the entry with the host and code that refused it:
      //   "The e-mail account does not exist at the organization this message was sent to. ...
      //    <mx.example.org #5.1.1>"
      const tail = SMTP_TAIL_RE.exec(diagnostic);
      let status = '';
      let remoteMta = '';
      if (tail) {
        remoteMta = (tail[1] ?? '').toLowerCase();
        status = tail[2] ?? '';
        diagnostic = diagnostic.slice(0, tail.index).trim() || diagnostic;
      }
      return {
        recipient,
        action: 'failed',
        status,
        replyCode: '',
        diagnostic,
        diagnosticType: '',
        remoteMta,
        reportingMta: '',
        lastCommand: '',
        decodedBy: NAME,
      };
    });
    return { findings, type: 'bounce' };
  },
};
