/**
 * mimecast - Mimecast's "[Postmaster] Email Delivery Failure" notice. The text part lists the
 * address, Mimecast's summary and the remote server's words, each on a "-- " line. Some copies
 * also carry a message/delivery-status part with "Field : value" lines; rfc3464.ts reads those
 * when it can, this decoder reads the text otherwise.
 * In: DecodeInput. Out: one Finding (Mimecast sends one notice per failed recipient).
 * RFCs: 3463. Config keys: none.
 *
 *   An email that you attempted to send to the following address could not be delivered:
 *   -- user@example.org
 *
 *   The problem appears to be :
 *   -- Recipient email address is possibly incorrect
 *
 *   Additional information follows :
 *   -- 5.4.1 Recipient address rejected: Access denied. [HOST.prod.outlook.com 2024-02-19T09:30:25Z ...]
 */
import type { Finding } from '../../types.js';
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import { newFinding } from './text-bounce.js';
import { bestStatusIn } from '../../parse/dsn.js';

const NAME = 'mimecast';

// "... to the following address could not be delivered:" / "an email you addressed to email address :"
const LEAD_RE = /(?:following address could not be delivered|addressed to (?:the )?email address)\s*:/i;
// "-- user@example.org"
const ADDRESS_RE = /^[ \t]*--\s+<?([^\s<>@]+@[^\s<>@]+?)>?\s*$/m;
// "The problem appears to be :" / "Additional information follows :"
const PROBLEM_RE = /The problem appears to be\s*:\s*\n\s*--\s*([^\n]*(?:\n(?!\s*\n)[^\n]*)*)/i;
const MORE_RE = /Additional information follows\s*:\s*\n\s*--\s*([^\n]*(?:\n(?!\s*\n)[^\n]*)*)/i;

export const mimecast: Decoder = {
  name: NAME,
  detect(input: DecodeInput): boolean {
    // Subject: [Postmaster] Email Delivery Failure ; X-Mimecast-Originator / X-MC-System headers
    return (
      /^\[Postmaster\] Email Delivery Failure/i.test(input.subject.trim()) ||
      input.msg.headers.get('x-mimecast-originator') !== undefined ||
      input.msg.headers.get('x-mc-system') !== undefined
    );
  },
  structure(input: DecodeInput): boolean {
    // Mimecast's "-- address" line under its sentence, and "The problem appears to be :".
    const t = input.text;
    if (!t.includes('The problem appears to be')) return false;
    return LEAD_RE.test(t) && ADDRESS_RE.test(t) && /The problem appears to be\s*:/i.test(t);
  },

  decode(input: DecodeInput): DecodeResult | null {
    const text = input.text;
    const lead = LEAD_RE.exec(text);
    if (!lead) return null;
    const rest = text.slice(lead.index + lead[0].length);
    const address = ADDRESS_RE.exec(rest);
    if (!address) return null;

    const more = MORE_RE.exec(rest);
    const problem = PROBLEM_RE.exec(rest);
    // The remote server's words when Mimecast quotes them, else Mimecast's own summary.
    // "-- 5.7.54 SMTP; Unable to relay recipient in non-accepted domain"
    let diagnostic = ((more ?? problem)?.[1] ?? '').replace(/\s+/g, ' ').trim();
    diagnostic = diagnostic.replace(/^(\d\.\d{1,3}\.\d{1,3}) SMTP;\s*/i, '$1 ');
    const reply = /(?:^|\s)([245]\d\d)[ -](?=[245]\.\d)/.exec(diagnostic) ?? /^([245]\d\d)\b/.exec(diagnostic);

    const finding: Finding = {
      ...newFinding(NAME, address[1] ?? '', 'failed'),
      status: bestStatusIn(diagnostic),
      replyCode: reply?.[1] ?? '',
      diagnostic,
      diagnosticType: more ? 'smtp' : '',
    };
    return { findings: [finding], type: 'bounce' };
  },
};
