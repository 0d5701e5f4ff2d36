/**
 * decode/auto-reply - recognise automatic replies (RFC 3834: vacation, out-of-office, "no longer in use"
 * notices), which must never count as bounces.
 * In: DecodeInput. Out: one Finding for the replying address (From), reasonHint 'vacation', or
 * 'suspend' when the reply says the mailbox is no longer in use; type 'autoreply'.
 * Signals: Auto-Submitted: auto-replied, X-Autoreply / X-Autorespond, Precedence: auto_reply,
 * X-Auto-Response-Suppress with an "Automatic reply:" subject, vacation subjects.
 * The registry tries this only after every bounce format: Exim (and others) mark their own DSNs
 * auto-replied. No config keys.
 */
import type { DecodeInput, DecodeResult, Decoder } from './types.js';
import type { Finding, Reason } from '../types.js';
import { addressList } from './arf.js';
import { squeeze } from '../parse/dsn.js';

const NAME = 'auto-reply';

/**
 * Vacation subjects, as written by common clients and servers:
 *   "Automatic reply: Nyaan" (Exchange/Outlook), "Auto reply: Nyaan" (Apple), "Out of Office: ...",
 *   "Away until May 5", "AutoResponse: ...", "Abwesenheitsnotiz", "Réponse automatique", "自動応答".
 */
const VACATION_SUBJECT =
  /^(?:re:\s*)?(?:auto(?:matic|mated)?[ -]?(?:reply|response|respons|answer)|autoreply|out of (?:the )?office|away until|on vacation|vacation|abwesenheit|automatische antwort|r[ée]ponse automatique|respuesta autom[áa]tica|risposta automatica|automatisch antwoord|afwezig|不在|自動応答|自动回复)/i;

/** Replies that say the address is dead, not away: "This email inbox x@y is no longer in use." */
const GONE = /\b(?:no longer (?:in use|active|valid|monitored|being monitored|exists?)|is (?:not|no longer) (?:monitored|in use|active)|has been (?:closed|deactivated|disabled|deleted))\b/i;

/** Subjects of delivery notices: auto-submitted, but not a person's auto-reply. */
const NOTICE_SUBJECT = /\b(?:bounce|undeliver|undelivered|delivery (?:status|failure|notification)|returned mail|failure notice|mail delivery failed|non-delivery)/i;

function isAutoReply(input: DecodeInput): boolean {
  const h = input.msg.headers;
  if (NOTICE_SUBJECT.test(input.subject)) return false;
  const as = (h.get('auto-submitted') ?? '').toLowerCase();
  if (as.startsWith('auto-replied')) return true;
  if (h.get('x-autoreply') !== undefined || h.get('x-autorespond') !== undefined || h.get('x-autoreply-from') !== undefined) return true;
  if (/auto[_-]?reply/i.test(h.get('precedence') ?? '')) return true;
  if (/^(?:yes|true)$/i.test(h.get('x-auto-reply') ?? '')) return true;
  if (VACATION_SUBJECT.test(input.subject.trim())) return true;
  return false;
}

export const autoReply: Decoder = {
  name: NAME,
  detect: isAutoReply,
  decode(input: DecodeInput): DecodeResult | null {
    if (!isAutoReply(input)) return null;
    const from = addressList(input.from)[0] ?? '';
    const text = squeeze(input.text).slice(0, 500);
    const gone = GONE.test(text);
    const reasonHint: Reason = gone ? 'suspend' : 'vacation';
    // "This email inbox a@example.org is no longer in use" from noreply@example.org: the dead
    // address is the one the text names, not the robot that answered.
    const named = gone ? addressList(text).find((a) => a.toLowerCase() !== from.toLowerCase()) : undefined;
    const f: Finding = {
      recipient: named ?? from,
      action: '',
      status: '',
      replyCode: '',
      diagnostic: text,
      diagnosticType: '',
      remoteMta: '',
      reportingMta: '',
      lastCommand: '',
      reasonHint,
      decodedBy: NAME,
    };
    return { type: 'autoreply', findings: [f] };
  },
};
