/**
 * outlook - Hotmail / Outlook.com (Windows SMTPSVC) delivery status notifications, sent by
 * postmaster@*.hotmail.com. They normally carry a message/delivery-status part, read by
 * rfc3464.ts; `enrich` adds Hotmail's own sentence when the DSN has no Diagnostic-Code, and
 * `decode` reads the text alone when the DSN part is missing.
 * In: DecodeInput. Out: one Finding per listed recipient. RFCs: 3464, 3463. Config keys: none.
 *
 *   This is an automatically generated Delivery Status Notification.
 *
 *   Unable to deliver message to the following recipients, due to being unable to connect
 *   successfully to the destination mail server.
 *
 *          user@example.com
 *
 * Other lead sentences: "Delivery to the following recipients failed." and (a warning)
 * "Delivery to the following recipients has been delayed."
 */
import type { Action, Finding, Report } from '../../types.js';
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import { newFinding } from './text-bounce.js';
import { addressFromField } from '../../parse/dsn.js';

const NAME = 'outlook';

// "This is an automatically generated Delivery Status Notification."
const MARK_RE = /This is an automatically generated Delivery Status Notification\./i;
// "Delivery to the following recipients failed." / "... has been delayed." /
// "Unable to deliver message to the following recipients, due to <reason>."
const LEAD_RE =
  /^(Delivery to the following recipients (failed|has been delayed)\.|Unable to deliver message to the following recipients,?\s*([^]*?)\.)\s*$/im;
const ADDRESS_LINE_RE = /^\s+<?([^\s<>@]+@[^\s<>@]+?)>?\s*$/;

export const outlook: Decoder = {
  name: NAME,
  detect(input: DecodeInput): boolean {
    // From: postmaster@mail.hotmail.com ; postmaster@hotmail.com ; postmaster@outlook.com
    return /postmaster@(?:[\w-]+\.)*(?:hotmail|outlook|live|msn)\.[a-z.]+/i.test(input.from);
  },
  structure(input: DecodeInput): boolean {
    // The Windows SMTP service's DSN text (Hotmail's legacy notices, IIS, Exchange 2003): its
    // mark sentence, its lead, and the recipients indented below it.
    const t = input.text;
    if (!t.includes('automatically generated Delivery Status Notification')) return false;
    const read = MARK_RE.test(t) ? readLead(t) : null;
    return read !== null && read.recipients.length > 0;
  },
  decode(input: DecodeInput): DecodeResult | null {
    const read = readLead(input.text);
    if (!read || read.recipients.length === 0) return null;
    const findings: Finding[] = read.recipients.map((recipient) => ({
      ...newFinding(NAME, recipient, read.action),
      status: '',
      replyCode: '',
      diagnostic: read.reason,
      diagnosticType: '',
    }));
    return { findings, type: read.action === 'delayed' ? 'delayed' : 'bounce' };
  },
  enrich(report: Report, input: DecodeInput): void {
    const read = readLead(input.text);
    if (!read || !read.reason) return;
    for (const f of report.findings) {
      if (f.diagnostic !== '' || !read.recipients.includes(f.recipient)) continue;
      f.diagnostic = read.reason;
    }
  },
};

function readLead(text: string): { action: Action; reason: string; recipients: string[] } | null {
  if (!MARK_RE.test(text)) return null;
  const lead = LEAD_RE.exec(text);
  if (!lead) return null;
  const action: Action = /delayed/i.test(lead[2] ?? '') ? 'delayed' : 'failed';
  const reason = (lead[3] ?? '').replace(/\s+/g, ' ').trim();
  const whole = (lead[1] ?? '').replace(/\s+/g, ' ');
  const recipients: string[] = [];
  for (const line of text.slice(lead.index + lead[0].length).split('\n')) {
    if (line.trim() === '') {
      if (recipients.length > 0) break;
      continue;
    }
    const m = ADDRESS_LINE_RE.exec(line);
    if (!m) break;
    recipients.push(addressFromField(m[1] ?? ''));
  }
  return { action, reason: reason ? whole : '', recipients };
}
