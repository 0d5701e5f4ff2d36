/**
 * amazonworkmail - Amazon WorkMail bounces (X-Mailer: Amazon WorkMail, sent through SES). The text
 * part lists the failed addresses, then pastes the DSN fields after "Technical report:" instead of
 * attaching a message/delivery-status part.
 * In: DecodeInput. Out: one Finding per listed recipient, in order, with the pasted DSN fields.
 * RFCs: 3464 (field syntax), 3463. Config keys: none.
 *
 *   An error occurred while trying to deliver the mail to the following recipients:
 *   user@example.jp
 *
 *   Technical report:
 *
 *   Reporting-MTA: dsn; a27-85.smtp-out.us-west-2.amazonses.com
 *
 *   Action: failed
 *   Final-Recipient: rfc822; user@example.jp
 *   Diagnostic-Code: smtp; 550 5.1.1 <user@example.jp>... User Unknown
 *   Status: 5.1.1
 */
import { bestStatusIn, addressFromField, parseDeliveryStatus, splitTyped } from '../../parse/dsn.js';
import type { Action, Finding } from '../../types.js';
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';

const NAME = 'amazonworkmail';

// "An error occurred while trying to deliver the mail to the following recipients:"
const LEAD_RE = /An error occurred while trying to deliver the mail to the following recipients:\s*\n/i;
// "Technical report:"
const REPORT_RE = /^Technical report:\s*$/im;
const ADDRESS_LINE_RE = /^\s*<?([^\s<>@]+@[^\s<>@]+?)>?\s*$/;
const ACTIONS: readonly Action[] = ['failed', 'delayed', 'delivered', 'relayed', 'expanded'];

export const amazonworkmail: Decoder = {
  name: NAME,
  detect(input: DecodeInput): boolean {
    // X-Mailer: Amazon WorkMail ; From: MAILER-DAEMON@us-west-2.amazonses.com
    return /^Amazon WorkMail/i.test(input.msg.headers.get('x-mailer')?.trim() ?? '');
  },
  structure(input: DecodeInput): boolean {
    // WorkMail's sentence and its "Technical report:" section.
    const t = input.text;
    if (!t.includes('Technical report:')) return false;
    return LEAD_RE.test(t) && REPORT_RE.test(t);
  },

  decode(input: DecodeInput): DecodeResult | null {
    const lead = LEAD_RE.exec(input.text);
    if (!lead) return null;
    const rest = input.text.slice(lead.index + lead[0].length);
    const report = REPORT_RE.exec(rest);
    const listText = report ? rest.slice(0, report.index) : rest.split(/\n\s*\n/)[0] ?? '';

    const recipients: string[] = [];
    for (const line of listText.split('\n')) {
      const m = ADDRESS_LINE_RE.exec(line);
      if (m) recipients.push(addressFromField(m[1] ?? ''));
    }

    // The pasted DSN: per recipient, by Final-Recipient.
    const ds = report ? parseDeliveryStatus(rest.slice(report.index + report[0].length)) : undefined;
    const reportingMta = ds ? splitTyped(ds.message['reporting-mta'] ?? '').value.trim() : '';
    const records = (ds?.recipients ?? []).map((r) => ({
      recipient: addressFromField(splitTyped(r['final-recipient'] ?? r['original-recipient'] ?? '').value),
      fields: r,
    }));
    for (const r of records) if (r.recipient.includes('@') && !recipients.includes(r.recipient)) recipients.push(r.recipient);
    if (recipients.length === 0) return null;

    const findings: Finding[] = recipients.map((recipient, i) => {
      const rec = records.find((r) => r.recipient === recipient) ?? (records.length === recipients.length ? records[i] : undefined);
      const fields = rec?.fields ?? {};
      const diag = splitTyped(fields['diagnostic-code'] ?? '');
      const diagnostic = diag.value.replace(/\s+/g, ' ').trim();
      const action = (fields['action'] ?? 'failed').trim().toLowerCase() as Action;
      const status = bestStatusIn(`${diagnostic} ${fields['status'] ?? ''}`);
      return {
        recipient,
        action: ACTIONS.includes(action) ? action : 'failed',
        status,
        replyCode: /^([245]\d\d)\b/.exec(diagnostic)?.[1] ?? '',
        diagnostic,
        diagnosticType: diag.type.toLowerCase(),
        remoteMta: splitTyped(fields['remote-mta'] ?? '').value.trim(),
        reportingMta,
        lastCommand: '',
        decodedBy: NAME,
      };
    });
    return { findings, type: findings.every((f) => f.action === 'delayed') ? 'delayed' : 'bounce' };
  },
};
