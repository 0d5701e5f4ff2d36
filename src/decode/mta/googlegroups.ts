/**
 * googlegroups - Google Groups' refusal to accept a post ("the group you tried to contact may not
 * exist, or you may not have permission to post"), sent by mailer-daemon@googlemail.com in the
 * sender's language, without a message/delivery-status part.
 * In: DecodeInput. Out: one Finding per address in X-Failed-Recipients, reasonHint 'rejected'
 * (the group refused the sender; the group address itself is not said to be bad).
 * RFCs: none beyond RFC 5322 headers. Config keys: none.
 */
import type { Finding } from '../../types.js';
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import { newFinding } from './text-bounce.js';
import { addressFromField } from '../../parse/dsn.js';

const NAME = 'googlegroups';

// Every language version ends with this link and signature:
//   "If you have questions ... visit the Help Center at https://groups.google.com/support/."
//   "Google Groups"
const GROUPS_MARK_RE = /https?:\/\/groups\.google\.com\/|^Google Groups/im;
// "----- Original message -----"
const END_RE = /^-{3,} ?Original message ?-{3,}/im;

export const googlegroups: Decoder = {
  name: NAME,
  detect(input: DecodeInput): boolean {
    // From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
    // X-Failed-Recipients: libsisimai@googlegroups.com (custom-domain groups use their own domain)
    return (
      /mailer-daemon@(?:google|googlemail|gmail)\.com/i.test(input.from) &&
      input.msg.headers.getAll('x-failed-recipients').length > 0
    );
  },
  structure(input: DecodeInput): boolean {
    // Google Groups' link or signature in the notice, and X-Failed-Recipients naming the group.
    const t = input.text;
    if (!t.includes('groups.google.com') && !t.includes('Google Groups')) return false;
    return input.msg.headers.get('x-failed-recipients') !== undefined && GROUPS_MARK_RE.test(t);
  },
  decode(input: DecodeInput): DecodeResult | null {
    const end = END_RE.exec(input.text);
    const own = end ? input.text.slice(0, end.index) : input.text;
    if (!GROUPS_MARK_RE.test(own)) return null;

    const recipients: string[] = [];
    for (const v of input.msg.headers.getAll('x-failed-recipients')) {
      for (const a of v.split(',')) {
        const r = addressFromField(a);
        if (r.includes('@') && !recipients.includes(r)) recipients.push(r);
      }
    }
    if (recipients.length === 0) return null;

    // The diagnostic is Google's first paragraph after the greeting: "We're writing to let you know
    // that the group you tried to contact (libsisimai) may not exist, or you may not have permission..."
    const paragraphs = own
      .split(/\n\s*\n/)
      .map((p) => p.replace(/\s+/g, ' ').trim())
      .filter((p) => p !== '');
    const diagnostic = paragraphs.find((p, i) => i > 0 && p.length > 40 && !p.startsWith('*')) ?? paragraphs[0] ?? '';

    const findings: Finding[] = recipients.map((recipient) => ({
      ...newFinding(NAME, recipient, 'failed'),
      status: '',
      replyCode: '',
      diagnostic,
      diagnosticType: '',
      reasonHint: 'rejected',
    }));
    return { findings, type: 'bounce' };
  },
};
