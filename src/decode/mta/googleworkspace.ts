/**
 * googleworkspace - Google's current bounce layout ("** Address not found **", "** Message not
 * delivered **", "** Delivery incomplete **") when it arrives without a usable
 * message/delivery-status part (Workspace "Send mail as" failures carry an empty one).
 * A complete RFC 3464 part is read by rfc3464.ts first; this decoder only sees the rest.
 * In: DecodeInput. Out: one Finding per failed recipient. RFCs: 3463, 5321. Config keys: none.
 *
 *   ** Message not delivered **
 *   You're sending this from a different address or alias using the 'Send mail as' feature. ...
 *   Learn more here: https://support.google.com/mail/?p=CustomFromDenied
 *   The response was:
 *   Unspecified Error (SENT_SECOND_EHLO): Smtp server does not advertise AUTH capability
 */
import type { Action, Finding, Report } from '../../types.js';
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import { bestStatusIn, addressFromField } from '../../parse/dsn.js';
import { joinReply, newFinding, squeeze } from './text-bounce.js';

const NAME = 'googleworkspace';

// "** Address not found **", "** Message not delivered **", "** Message blocked **",
// "** Delivery incomplete **" (a delay warning)
const BANNER_RE = /^[^\S\r\n]*\*\* ?([A-Za-z][A-Za-z ]+?) ?\*\*\s*$/m;
// "The response was:" / "The response from the remote server was:"
const RESPONSE_RE = /^The response (?:from the remote server )?was:[ \t]*$/im;
// "Your message wasn't delivered to kijitora@example.de because ..."
// "There was a problem delivering your message to kijitora@example.com."
// "There was a temporary problem delivering your message to kijitora@example.com."
const TO_RE = /(?:wasn't delivered to|delivering your message to|has not been delivered to)\s+<?([^\s<>@]+@[A-Za-z0-9.-]*[A-Za-z0-9])>?(?=[\s.,]|$)/i;

// Where the sentence around TO_RE's match begins (sentenceAround).
const SENTENCE_START = /Your message|There was/i;

export const googleworkspace: Decoder = {
  name: NAME,
  detect(input: DecodeInput): boolean {
    // From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
    return /mailer-daemon@(?:google|googlemail|gmail)\.com/i.test(input.from);
  },
  structure(input: DecodeInput): boolean {
    // "** Address not found **" banner line, and "The response was:" or the sentence naming the address.
    const t = input.text;
    if (!t.includes('**\n') && !t.includes('** \n')) return false;
    return BANNER_RE.test(t) && (RESPONSE_RE.test(t) || TO_RE.test(t));
  },

  decode(input: DecodeInput): DecodeResult | null {
    const read = readGoogleText(input);
    if (!read || read.recipients.length === 0) return null;
    const findings: Finding[] = read.recipients.map((recipient) => ({
      ...newFinding(NAME, recipient, read.action),
      status: read.status,
      replyCode: read.replyCode,
      diagnostic: read.diagnostic,
      diagnosticType: read.diagnostic ? 'smtp' : '',
      ...(read.human ? { human: read.human } : {}),
    }));
    return { findings, type: read.action === 'delayed' ? 'delayed' : 'bounce' };
  },
  /**
   * Google's DSN part sometimes has no Diagnostic-Code. The remote's answer is then only in the
   * text ("The response was:"), and Google's own sentence says what it made of it.
   */
  enrich(report: Report, input: DecodeInput): void {
    // Every finding has its own diagnostic already: nothing to fill, skip reading the text.
    if (report.findings.every((f) => f.diagnostic !== '' && !/^(?:Your message|There was a)\b/i.test(f.diagnostic))) return;
    const read = readGoogleText(input);
    if (!read) return;
    for (const f of report.findings) {
      if (!read.recipients.includes(f.recipient) && report.findings.length !== 1) continue;
      // Empty, or only Google's sentence copied from the text ("Your message wasn't delivered to ...").
      const ownWords = f.diagnostic === '' || /^(?:Your message|There was a)\b/i.test(f.diagnostic);
      if (!ownWords) continue;
      if (read.diagnostic) {
        f.diagnostic = read.diagnostic;
        if (!f.diagnosticType) f.diagnosticType = 'smtp';
        if (!f.replyCode) f.replyCode = read.replyCode;
        if (read.status && (f.status === '' || /^\d\.0\.0$/.test(f.status))) f.status = read.status;
      } else if (f.diagnostic === '') {
        f.diagnostic = read.sentence;
      }
      if (read.human && !f.human) f.human = read.human;
    }
  },
};

interface GoogleText {
  action: Action;
  recipients: string[];
  diagnostic: string;
  status: string;
  replyCode: string;
  /** Google's sentence naming the recipient ("Your message wasn't delivered to x because ..."). */
  sentence: string;
  /** Google's own explanation above "The response was:" (read by the classifier). */
  human: string;
}

/**
 * The sentence around the recipient phrase at `at`: from "Your message" / "There was" before it
 * (in the 200 characters before, same line, no full stop between) to the first full stop after
 * it that ends the sentence (followed by a blank or the end), on the same line; '' when either is
 * missing. By index: as one lazy pattern it rescanned the rest of the line from every "Your message".
 */
function sentenceAround(text: string, at: number): string {
  const from = Math.max(0, at - 200);
  const before = text.slice(from, at);
  const cut = Math.max(before.lastIndexOf('.'), before.lastIndexOf('\n')) + 1;
  const lead = SENTENCE_START.exec(before.slice(cut));
  if (!lead) return '';
  const lineEnd = text.indexOf('\n', at);
  const limit = lineEnd < 0 ? text.length : lineEnd;
  for (let dot = text.indexOf('.', at); dot >= 0 && dot < limit; dot = text.indexOf('.', dot + 1)) {
    if (dot + 1 === text.length || /\s/.test(text[dot + 1]!)) return text.slice(from + cut + lead.index, dot + 1);
  }
  return '';
}

function readGoogleText(input: DecodeInput): GoogleText | null {
  const text = input.text;
  const banner = BANNER_RE.exec(text);
  if (!banner) return null;
  const action: Action = /incomplete|delayed/i.test(banner[1] ?? '') ? 'delayed' : 'failed';

  // Recipients: the sentence naming the address, else X-Failed-Recipients.
  const recipients: string[] = [];
  const to = TO_RE.exec(text);
  if (to) recipients.push(addressFromField(to[1] ?? ''));
  for (const v of input.msg.headers.getAll('x-failed-recipients')) {
    for (const a of v.split(',')) {
      const r = addressFromField(a);
      if (r.includes('@') && !recipients.includes(r)) recipients.push(r);
    }
  }

  // The remote (or Google's) answer: the paragraph after "The response was:".
  let diagnostic = '';
  const resp = RESPONSE_RE.exec(text);
  if (resp) {
    const rest = text.slice(resp.index + resp[0].length).replace(/^\s*\n/, '');
    const para = rest.split(/\n\s*\n/)[0] ?? '';
    // "550-5.7.26 This mail has been blocked because ..." / "550 5.7.26 ...": one reply over lines.
    const lines = para.split('\n').filter((l) => l.trim() !== '');
    diagnostic =
      lines.length > 1 && lines.every((l) => /^\s*[245]\d\d[ -]/.test(l)) ? joinReply(lines) : para.replace(/\s+/g, ' ').trim();
  }
  const human = squeeze(text.slice(banner.index, resp ? resp.index : banner.index + 2000)).slice(0, 2000);
  const sentence = to ? sentenceAround(text, to.index).replace(/\s+/g, ' ').trim() : '';
  return {
    action,
    recipients,
    diagnostic,
    sentence,
    status: bestStatusIn(diagnostic),
    replyCode: /^([245]\d\d)\b/.exec(diagnostic)?.[1] ?? '',
    human,
  };
}
