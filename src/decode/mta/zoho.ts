/**
 * zoho - Zoho Mail bounces (mailer-daemon@mail.zoho.com, X-Mailer: Zoho Mail).
 * In: DecodeInput. Out: one Finding per failed address, in order; 'delayed' for the
 * "THIS IS A WARNING MESSAGE ONLY" notice. RFCs: 3463, 5321. Config keys: none.
 *
 * Failure (one line per recipient):
 *   user@example.jp Invalid Address, ERROR_CODE :550, ERROR_CODE :5.1.1 <user@example.jp>... User Unknown
 *   user@example.jp Error, ERROR_CODE :421, ERROR_CODE :, Host not reachable.
 * Delay:
 *   ----- The following addresses had fatal errors -----
 *   [Status: Error, Address: <user@example.jp>, ResponseCode 421, , Host not reachable.]
 *   Message will be retried for 4 more day(s)
 */
import type { Action, Finding, Reason } from '../../types.js';
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import { newFinding, unfoldIndented } from './text-bounce.js';
import { bestStatusIn } from '../../parse/dsn.js';

const NAME = 'zoho';

// "user@example.jp Invalid Address, ERROR_CODE :550, ERROR_CODE :5.1.1 <user@example.jp>... User Unknown"
// "user@example.jp Error, ERROR_CODE :421, ERROR_CODE :, Host not reachable."
// "user@example.jp, ERROR CODE :550 - 5.1.1 <user@example.jp>: Recipient address rejected" (newer)
const FAIL_LINE_RE =
  /^[ \t]*<?([^\s<>@,]+@[^\s<>@,]+?)>?,?[ \t]+(?:([^,\n]*?),[ \t]*)?ERROR[_ ]CODE[ \t]*:[ \t]*([245]\d\d)?[ \t]*(?:,[ \t]*ERROR[_ ]CODE[ \t]*:|-)[ \t]*(.*)$/gm;
// "[Status: Error, Address: <user@example.jp>, ResponseCode 421, , Host not reachable.]"
const DELAY_LINE_RE = /^[ \t]*\[Status:\s*[^,\]]*,\s*Address:\s*<?([^\s<>@]+@[^\s<>@,]+?)>?,\s*ResponseCode\s*(\d{3})?\s*,([^\]]*)\]/gm;
// "THIS IS A WARNING MESSAGE ONLY." / "Message will be retried for 4 more day(s)"
const WARNING_RE = /THIS IS A WARNING MESSAGE ONLY|Message will be retried for/i;
// "This is a permanent error."
const PERMANENT_RE = /This is a permanent error/i;

export const zoho: Decoder = {
  name: NAME,
  detect(input: DecodeInput): boolean {
    // From: mailer-daemon@mail.zoho.com ; X-Mailer: Zoho Mail
    return (
      (/zoho/i.test(input.from) && /mailer-daemon@[\w.-]*\bzoho(?:mail)?\.[a-z.]+/i.test(input.from)) ||
      /^Zoho Mail/i.test(input.msg.headers.get('x-mailer')?.trim() ?? '')
    );
  },
  structure(input: DecodeInput): boolean {
    // Zoho's "addr Reason, ERROR_CODE :550, ERROR_CODE :text" lines (or its "[Status: ...]" ones).
    if (!input.text.includes('ERROR_CODE') && !input.text.includes('ERROR CODE') && !input.text.includes('[Status:')) return false;
    const t = unfoldIndented(input.text);
    return new RegExp(FAIL_LINE_RE.source, 'm').test(t) || new RegExp(DELAY_LINE_RE.source, 'm').test(t);
  },
  decode(input: DecodeInput): DecodeResult | null {
    // Zoho indents nothing: an indented line is the one above it, re-wrapped.
    const text = unfoldIndented(input.text);
    const delayed = WARNING_RE.test(text);
    const action: Action = delayed ? 'delayed' : 'failed';
    const findings: Finding[] = [];

    for (const m of text.matchAll(FAIL_LINE_RE)) {
      const reply = (m[3] ?? '').trim();
      const rest = (m[4] ?? '').replace(/^[\s,]+/, '').trim();
      findings.push(make(m[1] ?? '', action, reply, rest, PERMANENT_RE.test(text) && !delayed));
    }
    if (findings.length === 0) {
      for (const m of text.matchAll(DELAY_LINE_RE)) {
        const rest = (m[3] ?? '').replace(/^[\s,]+/, '').trim();
        findings.push(make(m[1] ?? '', action, m[2] ?? '', rest, false));
      }
    }
    if (findings.length === 0) return null;
    return { findings, type: delayed ? 'delayed' : 'bounce' };
  },
};

function make(address: string, action: Action, reply: string, rest: string, permanent: boolean): Finding {
  const replyCode = /^[245]\d\d$/.test(reply) ? reply : '';
  const diagnostic = [replyCode, rest].filter((s) => s !== '').join(' ');
  // Zoho calls the failure permanent although the server only ever answered 4xx: it stopped
  // retrying, so the format itself says the retry period ran out.
  //   "This is a permanent error." ... "user@example.jp Error, ERROR_CODE :421, ERROR_CODE :, Host not reachable."
  const reasonHint: Reason | undefined = permanent && replyCode.startsWith('4') ? 'expired' : undefined;
  return {
    ...newFinding(NAME, address, action),
    status: bestStatusIn(rest),
    replyCode,
    diagnostic,
    diagnosticType: diagnostic ? 'smtp' : '',
    ...(reasonHint ? { reasonHint } : {}),
  };
}
