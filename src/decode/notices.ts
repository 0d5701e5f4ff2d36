/**
 * notices - automatic messages that are not bounces and must never be read as failures:
 *  - auto-replies: decode/auto-reply's RFC 3834 signals (Auto-Submitted, X-Autoreply, Precedence)
 *    and vacation subjects, plus the subject prefixes more clients and servers write ("Auto:",
 *    localized out-of-office prefixes);
 *  - mailing-list command replies (Majordomo, LISTSERV, Mailman, Sympa, ezmlm: "The results of
 *    your email commands", "Output of your job", confirmations, moderation notices).
 * In: DecodeInput. Out: an auto-reply finding (type 'autoreply', the replying address, reasonHint
 * vacation/suspend) or an empty not-bounce result. No config keys. RFC 3834, RFC 2369 (List-*),
 * RFC 2919 (List-Id).
 */
import { autoReply } from './auto-reply.js';
import { addressList } from './arf.js';
import type { Finding } from '../types.js';
import { findDeliveryStatusParts } from './rfc3464.js';
import type { DecodeInput, DecodeResult, Decoder } from './types.js';

/**
 * Subject prefixes of automatic replies that decode/auto-reply does not know, at the start of the
 * subject only: "Auto: ..." (Lotus Notes/Domino), "AutoReply:", and the out-of-office prefixes of
 * localized Exchange/Outlook, Gmail, Zimbra and Domino installations.
 */
const AUTO_SUBJECT =
  /^\s*(?:auto|auto-?reply|auto-?response|autosvar|automatisk svar|automaattinen vastaus|automatyczna odpowied[zź]|automatick[aá] odpov[eě][dď]|automatikus v[aá]lasz|automatisches? antwort|resposta autom[aá]tica|автоматический ответ|αυτόματη απάντηση|자동 응답|自動返信|自動回覆|otomatik yan[ıi]t|out of (?:the )?office(?: auto-?reply)?|absence|absent du bureau|hors du bureau|fuera de la oficina|fuori sede|niet aanwezig|au[sß]er haus|abwesend)\s*[:：]/i;

function isAutoReply(input: DecodeInput): boolean {
  if (autoReply.detect(input)) return true;
  // A delivery report never is one, whatever its subject.
  if (findDeliveryStatusParts(input.msg.root).length > 0) return false;
  return AUTO_SUBJECT.test(input.subject);
}

export const autoReplies: Decoder = {
  name: 'auto-reply',
  detect: isAutoReply,
  decode(input: DecodeInput): DecodeResult | null {
    if (autoReply.detect(input)) return autoReply.decode(input);
    if (!isAutoReply(input)) return null;
    const f: Finding = {
      recipient: addressList(input.from)[0] ?? '',
      action: '',
      status: '',
      replyCode: '',
      diagnostic: input.text.replace(/\s+/g, ' ').trim().slice(0, 500),
      diagnosticType: '',
      remoteMta: '',
      reportingMta: '',
      lastCommand: '',
      reasonHint: 'vacation',
      decodedBy: 'auto-reply',
    };
    return { type: 'autoreply', findings: [f] };
  },
};

/** The robots that answer list commands: their local parts. */
const LIST_ROBOT = /^(?:majordomo|listserv|listproc|mailman|sympa|ecartis|lyris|smartlist|minimalist|mlmmj|.+-request|.+-bounces|.+-owner|owner-.+|.+-help|.+-ctl)@/i;

/** Subjects of list command replies and list administrivia (at the start). */
const LIST_SUBJECT =
  /^\s*(?:majordomo results|output of your job|(?:the )?results? of your (?:e-?mail |mail )?commands?|mailman results|command results|your message to .{1,200} awaits moderator approval|welcome to the .{1,200} (?:mailing )?list|confirm(?:ation)?(?: of)? (?:your )?(?:un)?subscri|subscription (?:request|confirmation|notice)|your (?:un)?subscription|confirm [0-9a-f]{8,}|listserv|request for list|list (?:help|information))/i;

/** A reply of a mailing-list robot to commands or a posting it holds: not a bounce. */
export function isListCommandReply(input: DecodeInput): boolean {
  const h = input.msg.headers;
  // Mailman marks its administrative messages.
  if (/^\s*yes\b/i.test(h.get('x-list-administrivia') ?? '')) return true;
  if (!LIST_SUBJECT.test(input.subject)) return false;
  const robot = addressList(input.from).some((a) => LIST_ROBOT.test(a)) || addressList(h.get('sender') ?? '').some((a) => LIST_ROBOT.test(a));
  const listHeaders = h.get('list-id') !== undefined || h.get('x-mailman-version') !== undefined || h.get('x-listserver') !== undefined || h.get('x-mlserver') !== undefined;
  return robot || listHeaders;
}
