/**
 * gmail - Gmail's legacy plain-text bounce (mailer-daemon@googlemail.com, no message/delivery-status).
 * In: DecodeInput (From/Subject/X-Failed-Recipients headers, the human-readable text).
 * Out: one Finding per listed recipient, in the order Gmail lists them; 'delayed' for the
 * "has been delayed" warning. Newer Gmail bounces ("** Address not found **") carry an RFC 3464
 * part and go to rfc3464.ts; when that part is empty googleworkspace.ts reads them.
 * RFCs: 3463 (enhanced codes), 5321 (reply codes). Config keys: none.
 *
 * Shape of the message (text/plain only):
 *   Delivery to the following recipient failed permanently:
 *        user@example.jp
 *   Technical details of permanent failure:
 *   Google tried to deliver your message, but it was rejected by the server for the recipient
 *   domain example.jp by mx.example.jp. [192.0.2.1].
 *   The error that the other server returned was:
 *   550 5.1.1 <user@example.jp>... User Unknown (state 14).
 *   ----- Original message -----
 */
import type { Action, Finding } from '../../types.js';
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import { bestStatusIn, addressFromField } from '../../parse/dsn.js';
import { joinReply } from './text-bounce.js';

const NAME = 'gmail';

/**
 * Gmail appends "(state N)": the stage of its SMTP client when the remote server answered.
 *   "550 550 5.7.1 <sender@gmail.com>... Access denied (state 13)."   the sender, so MAIL FROM
 *   "550 550 5.1.1 <user@example.jp>... User Unknown (state 14)."     RCPT TO
 *   "554 554 5.7.0 Header error (state 18)."                           after DATA
 * Other states (TLS, AUTH) have no command of our own to name.
 */
const STATE_COMMAND: Record<string, string> = {
  '13': 'MAIL',
  '14': 'RCPT',
  '15': 'DATA',
  '17': 'DATA',
  '18': 'DATA',
};

// "Delivery to the following recipient failed permanently:" / "...recipients have been delayed:"
const LEAD_RE = /^Delivery to the following recipients? (failed permanently|(?:has|have) been delayed)\s*:/im;
// "Technical details of permanent failure:" / "Technical details of temporary failure:"
const DETAILS_RE = /^Technical details of (?:permanent|temporary) failure:[ \t]*/im;
// "----- Original message -----" / "----- Message header follows -----"
const END_RE = /^-{3,} ?(?:Original message|Message header follows) ?-{3,}/im;
const ADDRESS_RE = /^\s*<?([^\s<>@]+@[^\s<>@]+?)>?\s*$/;

export const gmail: Decoder = {
  name: NAME,
  detect(input: DecodeInput): boolean {
    // From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
    return (
      /mailer-daemon@(?:google|googlemail|gmail)\.com/i.test(input.from) &&
      /Delivery Status Notification/i.test(input.subject)
    );
  },
  structure(input: DecodeInput): boolean {
    // Gmail's list sentence, with its "Technical details of ... failure:" heading, its "----- Original
    // message -----" separator or its retry sentence.
    const t = input.text;
    if (!t.includes('Delivery to the following recipient')) return false;
    return LEAD_RE.test(t) && (DETAILS_RE.test(t) || END_RE.test(t) || /^Message will be retried for /m.test(t));
  },

  decode(input: DecodeInput): DecodeResult | null {
    return decodeGmailText(input.text, input.msg.headers.getAll('x-failed-recipients'));
  },
};

/** Exported for tests: read the legacy Gmail text. */
export function decodeGmailText(text: string, failedHeader: string[] = []): DecodeResult | null {
  const lead = LEAD_RE.exec(text);
  if (!lead) return null;
  const action: Action = /delayed/i.test(lead[1] ?? '') ? 'delayed' : 'failed';
  const afterLead = text.slice(lead.index + lead[0].length);
  const endMatch = END_RE.exec(afterLead);
  const block = endMatch ? afterLead.slice(0, endMatch.index) : afterLead;

  // Recipients: indented address lines right after the lead, up to the first other text.
  const recipients: string[] = [];
  for (const line of block.split('\n')) {
    if (line.trim() === '') {
      if (recipients.length > 0) break;
      continue;
    }
    const m = ADDRESS_RE.exec(line);
    if (!m) break;
    recipients.push(addressFromField(m[1] ?? ''));
  }
  if (recipients.length === 0) {
    for (const v of failedHeader) for (const a of v.split(',')) if (a.trim()) recipients.push(addressFromField(a));
  }
  if (recipients.length === 0) return null;

  // The technical details, when present, hold the remote server's answer or Gmail's own reason.
  const details = DETAILS_RE.exec(block);
  const detailText = details ? block.slice(details.index + details[0].length) : '';
  const parsed = readDetails(detailText);

  const findings: Finding[] = recipients.map((recipient) => ({
    recipient,
    action,
    status: parsed.status,
    replyCode: parsed.replyCode,
    diagnostic: parsed.diagnostic,
    diagnosticType: parsed.diagnostic ? 'smtp' : '',
    remoteMta: parsed.remoteMta,
    reportingMta: '',
    lastCommand: parsed.lastCommand,
    decodedBy: NAME,
  }));
  return { findings, type: action === 'delayed' ? 'delayed' : 'bounce' };
}

interface Details {
  status: string;
  replyCode: string;
  diagnostic: string;
  remoteMta: string;
  lastCommand: string;
}

function readDetails(raw: string): Details {
  const text = raw.replace(/\s+/g, ' ').trim();
  const out: Details = { status: '', replyCode: '', diagnostic: '', remoteMta: '', lastCommand: '' };
  if (!text) return out;

  // "... rejected by the server for the recipient domain example.jp by mx.example.jp. [192.0.2.1]."
  const mta = /\bby ([A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9])\.? \[[0-9A-Fa-f:.]+\]/.exec(text);
  if (mta) out.remoteMta = (mta[1] ?? '').toLowerCase();
  // "[(0) mx.example.jp. [192.0.2.1]:25: socket error]" / "[example.org 192.0.2.1: socket error]"
  const conn = mta ? null : /\[(?:\(\d+\) )?([A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9])\.? \[?[0-9A-Fa-f:.]+\]?(?::\d+)?: [^\]]*\]/.exec(text);
  if (conn) out.remoteMta = (conn[1] ?? '').toLowerCase();

  // "The error that the other server returned was: 550 550 5.1.1 user unknown (state 14)."
  const said = /The error that the other server returned was:\s*(.*)$/i.exec(text);
  if (said) {
    let diag = (said[1] ?? '').trim();
    // A multi-line reply keeps its code on every line; join it once, as the server meant it:
    //   550-5.1.1 The email account that you tried to reach does not exist. Please try
    //   550 5.1.1 double-checking the recipient's email address for typos ...
    const rawSaid = /The error that the other server returned was:[ \t]*\n?([^]*)$/i.exec(raw);
    const replyLines = (rawSaid?.[1] ?? '').split('\n').filter((l) => l.trim() !== '');
    if (replyLines.length > 1 && replyLines.every((l) => /^\s*[245]\d\d[ -]/.test(l))) diag = joinReply(replyLines);
    const state = /\(state (\d+)\)\.?\s*$/.exec(diag);
    if (state) {
      out.lastCommand = STATE_COMMAND[state[1] ?? ''] ?? '';
      diag = diag.slice(0, state.index).trim();
    }
    // Gmail repeats the reply code: "554 554 5.7.0 Header error".
    diag = diag.replace(/^([245]\d\d)[ -]\1\b/, '$1').replace(/\.$/, '').trim();
    out.diagnostic = diag;
  } else {
    // Gmail's own explanation: drop its "Learn more at <url>" boilerplate.
    out.diagnostic = text.replace(/(?<!\s)\s*Learn more at \S+/gi, '').trim();
  }

  const reply = /^([245]\d\d)\b/.exec(out.diagnostic);
  if (reply) out.replyCode = reply[1] ?? '';
  out.status = bestStatusIn(out.diagnostic);

  return out;
}
