/**
 * amazonses - Amazon SES: its bounce notifications sent as JSON by Amazon SNS ("AWS Notification
 * Message" from no-reply@sns.amazonaws.com, or the raw SNS envelope with "Type": "Notification"),
 * its own text bounce, and its RFC 3464 DSNs (through `enrich`).
 * In: DecodeInput (the JSON or the text is in DecodeInput.text).
 * Out: JSON "Bounce" -> one Finding per bouncedRecipients[] entry; "Complaint" -> type 'feedback'
 *      with complaintFeedbackType; "Delivery" -> type 'delivered'. RFCs: 3463, 3464, 5965 (feedback
 *      types). Config keys: none.
 *
 *   {"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bounceSubType":"General",
 *    "bouncedRecipients":[{"emailAddress":"user@example.org","action":"failed","status":"5.1.1",
 *    "diagnosticCode":"smtp; 550 5.1.1 user unknown"}],"reportingMTA":"dsn; a27-23.smtp-out..."}}
 *
 * SES DSNs wrap the remote answer in SES's own words; `enrich` takes the remote server's code:
 *   Diagnostic-Code: smtp; 5.1.0 - Unknown address error 550-'5.2.2 <u@example.jp>... Mailbox Full'
 *   Diagnostic-Code: smtp; 554 4.4.7 Message expired: unable to deliver in 840 minutes.<421 4.4.2 Connection timed out>
 */
import type { Action, Finding, MessageType, Reason, Report } from '../../types.js';
import type { Decoder, DecodeInput, DecodeResult } from '../types.js';
import { newFinding } from './text-bounce.js';
import { bestStatusIn, addressFromField } from '../../parse/dsn.js';

const NAME = 'amazonses';

/** bounceSubType values whose name states the reason (SES developer guide, "bounce types"). */
const SUBTYPE_REASON: ReadonlyArray<{ subType: string; reason: Reason; seen: string }> = [
  { subType: 'noemail', reason: 'userunknown', seen: '"bounceType":"Permanent","bounceSubType":"NoEmail"' },
  { subType: 'suppressed', reason: 'suppressed', seen: '"bounceType":"Permanent","bounceSubType":"Suppressed"' },
  {
    subType: 'onaccountsuppressionlist',
    reason: 'suppressed',
    seen: '"bounceType":"Permanent","bounceSubType":"OnAccountSuppressionList"',
  },
  { subType: 'mailboxfull', reason: 'mailboxfull', seen: '"bounceType":"Transient","bounceSubType":"MailboxFull"' },
  { subType: 'messagetoolarge', reason: 'mesgtoobig', seen: '"bounceType":"Transient","bounceSubType":"MessageTooLarge"' },
  { subType: 'contentrejected', reason: 'contenterror', seen: '"bounceType":"Transient","bounceSubType":"ContentRejected"' },
];

// SES's own text part: "The following message to <user@example.jp> was undeliverable."
const TEXT_LEAD_RE = /The following message to <([^<>\s@]+@[^<>\s]+)> was undeliverable\./i;
// "The reason for the problem:\n5.1.0 - Unknown address error 550-'5.2.2 ... Mailbox Full'"
const TEXT_REASON_RE = /The reason for the problem:\s*\n([^]*?)(?:\n\s*\n|$)/i;
// "5.1.0 - Unknown address error 550-'5.7.1 <x@example.jp>... Access denied'": SES's code and words,
// then the remote server's reply in quotes.
const WRAPPED_RE = /^(?:[245]\d\d )?[245]\.\d{1,3}\.\d{1,3} - [^']*?\b([245]\d\d)[ -]'([^']*)'/;
// "Message expired: unable to deliver in 840 minutes.<421 4.4.2 Connection timed out>"
const EXPIRED_RE = /Message expired(?:(?!Message expired)[^<])*<\s*([245]\d\d)[ -]([^>]*)>/i;

export const amazonses: Decoder = {
  name: NAME,
  detect(input: DecodeInput): boolean {
    // From: SES-EM-B <no-reply@sns.amazonaws.com> ; Subject: AWS Notification Message
    // From: MAILER-DAEMON@email-bounces.amazonses.com ; MAILER-DAEMON@us-west-2.amazonses.com
    const h = input.msg.headers;
    return (
      (/amazon(?:ses|aws)\.com/i.test(input.from) && /@(?:[\w-]+\.)*(?:amazonses\.com|amazonaws\.com)\b/i.test(input.from)) ||
      /^AWS Notification Message/i.test(input.subject.trim()) ||
      h.get('x-amz-sns-message-type') !== undefined ||
      h.get('x-ses-outgoing') !== undefined
    );
  },
  structure(input: DecodeInput): boolean {
    // The notification's JSON (alone, or as the SNS envelope's escaped "Message"), or SES's own text.
    const t = input.text;
    if (!t.includes('notificationType') && !t.includes('was undeliverable')) return false;
    return /\\?"notificationType\\?"\s*:\s*\\?"(?:Bounce|Complaint|Delivery)\\?"/.test(t) || TEXT_LEAD_RE.test(t);
  },
  decode(input: DecodeInput): DecodeResult | null {
    return readNotification(input.text) ?? readSesText(input.text);
  },
  enrich(report: Report, input: DecodeInput): void {
    void input;
    for (const f of report.findings) unwrapSesDiagnostic(f);
  },
};

/** Replace SES's wrapper code by the remote server's own reply, when SES quotes it. */
function unwrapSesDiagnostic(f: Finding): void {
  const wrapped = WRAPPED_RE.exec(f.diagnostic);
  if (wrapped) {
    const inner = (wrapped[2] ?? '').trim();
    f.replyCode = wrapped[1] ?? f.replyCode;
    // SES's "Unknown address error" is its label for any rejection; keep the remote's words only.
    f.diagnostic = `${f.replyCode} ${inner}`.trim();
    const st = bestStatusIn(inner);
    if (st) f.status = st;
    return;
  }
  const expired = EXPIRED_RE.exec(f.diagnostic);
  if (expired) {
    // SES's own words say why it gave up; the quoted reply is the last remote answer.
    f.replyCode = expired[1] ?? f.replyCode;
    const st = bestStatusIn(expired[2] ?? '');
    if (st) f.status = st;
  }
}

interface SesRecipient {
  emailAddress?: unknown;
  action?: unknown;
  status?: unknown;
  diagnosticCode?: unknown;
}

/** Parse the SNS/SES JSON in the text; null when there is none. */
export function readNotification(text: string): DecodeResult | null {
  const obj = parseJsonBlock(text);
  if (!obj) return null;
  // The raw SNS envelope carries the SES notification as a JSON string in "Message".
  let note: Record<string, unknown> = obj;
  if (typeof obj['Message'] === 'string') {
    const inner = tryParse(obj['Message']);
    if (!inner) return null;
    note = inner;
  }
  const kind = String(note['notificationType'] ?? note['eventType'] ?? '').toLowerCase();
  const mail = asRecord(note['mail']);
  const original = mail ? originalOf(mail) : undefined;

  if (kind === 'bounce') {
    const bounce = asRecord(note['bounce']);
    if (!bounce) return null;
    const reportingMta = typed(String(bounce['reportingMTA'] ?? '')).value;
    const remoteMta = String(bounce['remoteMtaIp'] ?? '');
    const subType = String(bounce['bounceSubType'] ?? '').toLowerCase();
    const hint = SUBTYPE_REASON.find((r) => r.subType === subType)?.reason;
    const list = Array.isArray(bounce['bouncedRecipients']) ? (bounce['bouncedRecipients'] as SesRecipient[]) : [];
    const findings: Finding[] = list
      .filter((r) => typeof r?.emailAddress === 'string')
      .map((r) => {
        const diag = typed(String(r.diagnosticCode ?? ''));
        const reply = /^([245]\d\d)\b/.exec(diag.value);
        const status = String(r.status ?? '');
        // SES reports a bounce once it has given up, Transient ones included: 'failed' unless it says.
        const action = String(r.action ?? 'failed').toLowerCase();
        return {
          recipient: addressFromField(String(r.emailAddress)),
          action: (['failed', 'delayed', 'delivered', 'relayed', 'expanded'].includes(action) ? action : 'failed') as Action,
          status: bestStatusIn(`${status} ${diag.value}`) || status,
          replyCode: reply?.[1] ?? '',
          diagnostic: diag.value,
          diagnosticType: diag.type,
          remoteMta,
          reportingMta,
          lastCommand: '',
          ...(hint ? { reasonHint: hint } : {}),
          decodedBy: NAME,
        };
      });
    if (findings.length === 0) return null;
    return withOriginal({ findings, type: 'bounce' }, original);
  }

  if (kind === 'complaint') {
    const complaint = asRecord(note['complaint']);
    if (!complaint) return null;
    const feedbackType = String(complaint['complaintFeedbackType'] ?? 'abuse').toLowerCase() || 'abuse';
    const list = Array.isArray(complaint['complainedRecipients']) ? (complaint['complainedRecipients'] as SesRecipient[]) : [];
    const findings: Finding[] = list
      .filter((r) => typeof r?.emailAddress === 'string')
      .map((r) => ({
        ...empty(addressFromField(String(r.emailAddress)), ''),
        reasonHint: 'feedback' as const,
        feedbackType,
      }));
    if (findings.length === 0) return null;
    return withOriginal({ findings, type: 'feedback' }, original);
  }

  if (kind === 'delivery') {
    const delivery = asRecord(note['delivery']);
    if (!delivery) return null;
    const response = String(delivery['smtpResponse'] ?? '');
    const reply = /^([245]\d\d)\b/.exec(response);
    const reportingMta = typed(String(delivery['reportingMTA'] ?? '')).value;
    const list = Array.isArray(delivery['recipients']) ? (delivery['recipients'] as unknown[]) : [];
    const findings: Finding[] = list
      .filter((r): r is string => typeof r === 'string')
      .map((r) => ({
        ...empty(addressFromField(r), 'delivered'),
        status: bestStatusIn(response),
        replyCode: reply?.[1] ?? '',
        diagnostic: response,
        diagnosticType: response ? 'smtp' : '',
        reportingMta,
        reasonHint: 'delivered' as const,
      }));
    if (findings.length === 0) return null;
    return withOriginal({ findings, type: 'delivered' }, original);
  }
  return null;
}

/** SES's own plain-text bounce, when it arrives without its DSN part. */
function readSesText(text: string): DecodeResult | null {
  const lead = TEXT_LEAD_RE.exec(text);
  if (!lead) return null;
  const reason = (TEXT_REASON_RE.exec(text)?.[1] ?? '').replace(/\s+/g, ' ').trim();
  const f: Finding = { ...empty(addressFromField(lead[1] ?? ''), 'failed'), diagnostic: reason, diagnosticType: reason ? 'smtp' : '' };
  f.status = bestStatusIn(reason);
  f.replyCode = /^([245]\d\d)\b/.exec(reason)?.[1] ?? '';
  unwrapSesDiagnostic(f);
  return { findings: [f], type: 'bounce' };
}

function withOriginal(r: DecodeResult & { type: MessageType }, original: DecodeResult['original']): DecodeResult {
  return original ? { ...r, original } : r;
}

function originalOf(mail: Record<string, unknown>): DecodeResult['original'] {
  const common = asRecord(mail['commonHeaders']) ?? {};
  const first = (v: unknown): string => (Array.isArray(v) ? String(v[0] ?? '') : typeof v === 'string' ? v : '');
  return {
    messageId: String(common['messageId'] ?? mail['messageId'] ?? ''),
    to: Array.isArray(common['to']) ? (common['to'] as unknown[]).map(String).join(', ') : first(mail['destination']),
    from: first(common['from']) || String(mail['source'] ?? ''),
    subject: String(common['subject'] ?? ''),
    returnPath: String(common['returnPath'] ?? mail['source'] ?? ''),
  };
}

/**
 * The JSON object in the text. SNS e-mail notifications wrap long lines by inserting "!\n "
 * (e.g. `{"name":"!\n Content-Transfer-Encoding"`), and are followed by "--" and an unsubscribe link.
 */
function parseJsonBlock(text: string): Record<string, unknown> | null {
  // The notification is the whole body: do not go looking for braces inside ordinary bounces.
  const start = text.search(/\S/);
  if (start < 0 || text[start] !== '{') return null;
  const end = text.lastIndexOf('}');
  if (start < 0 || end <= start) return null;
  const raw = text.slice(start, end + 1);
  return tryParse(raw) ?? tryParse(raw.replace(/!\n /g, '')) ?? tryParse(raw.replace(/!?\n[ \t]?/g, ''));
}

function tryParse(s: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(s);
    return asRecord(v);
  } catch {
    return null;
  }
}

function asRecord(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/** "smtp; 550 5.1.1 user unknown" -> { type: 'smtp', value: '550 5.1.1 user unknown' } */
function typed(v: string): { type: string; value: string } {
  const m = /^\s*([\w-]+)\s*;\s*([^]*)$/.exec(v);
  return m ? { type: (m[1] ?? '').toLowerCase(), value: (m[2] ?? '').replace(/\s+/g, ' ').trim() } : { type: '', value: v.trim() };
}

function empty(recipient: string, action: Action): Finding {
  return newFinding(NAME, recipient, action);
}
