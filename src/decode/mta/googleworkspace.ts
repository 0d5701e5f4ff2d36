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
import type { Action, Finding, Reason } from '../../types.js';
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import { bestStatusIn, normalizeAddress } from '../../parse/dsn.js';

const NAME = 'googleworkspace';

// "** Address not found **", "** Message not delivered **", "** Message blocked **",
// "** Delivery incomplete **" (a delay warning)
const BANNER_RE = /^\s*\*\* ?([A-Za-z][A-Za-z ]+?) ?\*\*\s*$/m;
// "The response was:" / "The response from the remote server was:"
const RESPONSE_RE = /^The response (?:from the remote server )?was:[ \t]*$/im;
// "Your message wasn't delivered to kijitora@example.de because ..."
// "There was a problem delivering your message to kijitora@example.com."
// "There was a temporary problem delivering your message to kijitora@example.com."
const TO_RE = /(?:wasn't delivered to|delivering your message to|has not been delivered to)\s+<?([^\s<>@]+@[A-Za-z0-9.-]*[A-Za-z0-9])>?(?=[\s.,]|$)/i;

/** Google's own words that state the reason (not the remote server's). */
const OWN_PHRASES: ReadonlyArray<{ phrase: RegExp; reason: Reason; seen: string; sample: string }> = [
  {
    phrase: /'Send mail as'|\bCustomFromDenied\b/i,
    reason: 'rejected',
    seen: "You're sending this from a different address or alias using the 'Send mail as' feature.",
    sample: 'lhost-googleworkspace-01',
  },
  {
    phrase: /because the domain \S+ couldn't be found|Domain name not found/i,
    reason: 'hostunknown',
    seen: "Your message wasn't delivered to x@example.jp because the domain example.jp couldn't be found.",
    sample: 'mta/googleworkspace/02-domain-not-found',
  },
];

export const googleworkspace: Decoder = {
  name: NAME,
  detect(input: DecodeInput): boolean {
    // From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
    return /mailer-daemon@(?:google|googlemail|gmail)\.com/i.test(input.from);
  },
  decode(input: DecodeInput): DecodeResult | null {
    const text = input.text;
    const banner = BANNER_RE.exec(text);
    if (!banner) return null;
    const action: Action = /incomplete|delayed/i.test(banner[1] ?? '') ? 'delayed' : 'failed';

    // Recipients: the sentence naming the address, else X-Failed-Recipients.
    const recipients: string[] = [];
    const to = TO_RE.exec(text);
    if (to) recipients.push(normalizeAddress(to[1] ?? ''));
    for (const v of input.msg.headers.getAll('x-failed-recipients')) {
      for (const a of v.split(',')) {
        const r = normalizeAddress(a);
        if (r.includes('@') && !recipients.includes(r)) recipients.push(r);
      }
    }
    if (recipients.length === 0) return null;

    // The remote (or Google's) answer: the paragraph after "The response was:".
    let diagnostic = '';
    const resp = RESPONSE_RE.exec(text);
    if (resp) {
      const rest = text.slice(resp.index + resp[0].length).replace(/^\s*\n/, '');
      const para = rest.split(/\n\s*\n/)[0] ?? '';
      diagnostic = para.replace(/\s+/g, ' ').trim();
    }
    const reply = /^([245]\d\d)\b/.exec(diagnostic);
    const status = bestStatusIn(diagnostic);
    let reasonHint: Reason | undefined;
    for (const rule of OWN_PHRASES) {
      if (rule.phrase.test(text)) {
        reasonHint = rule.reason;
        break;
      }
    }

    const findings: Finding[] = recipients.map((recipient) => ({
      recipient,
      action,
      status,
      replyCode: reply?.[1] ?? '',
      diagnostic,
      diagnosticType: diagnostic ? 'smtp' : '',
      remoteMta: '',
      reportingMta: '',
      lastCommand: '',
      ...(reasonHint ? { reasonHint } : {}),
      decodedBy: NAME,
    }));
    return { findings, type: action === 'delayed' ? 'delayed' : 'bounce' };
  },
};
