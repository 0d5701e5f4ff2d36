/**
 * phrases/exceedlimit - the message exceeds a limit set for this mailbox or by this recipient, not
 * the system's own limit (RFC 3463 X.2.3). Soft; sender side.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'exceedlimit' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  {
    pattern: /\bmessage length exceeds (?:[^ :]{1,20} ){0,2}?limit\b/,
    seen: '552 5.2.3 Message length exceeds administrative limit',
    variant: '552-5.2.3 Message length\n552 5.2.3 exceeds the administrative limit',
    source: 'RFC 3463 §3.3 X.2.3 "message length exceeds administrative limit"',
  },
  {
    pattern: /\bexceeds? (?:the |a )?(?:[^ :]{1,20} ){0,2}?limit (?:set|configured|defined) (?:by|for) (?:the |this )?(?:recipient|mailbox|user)\b/,
    seen: '552 5.2.3 Message length exceeds limit set by recipient',
    variant: '552 5.2.3 message size exceeds the limit configured for this mailbox',
    source: 'RFC 3463 §3.3 X.2.3 (per-mailbox message length limit, less than the system limit)',
  },
  {
    pattern: /\bmessage (?:is )?too large for this recipient\b|\brecipsizelimit\b/,
    seen: '550 5.2.3 RESOLVER.RST.RecipSizeLimit; message too large for this recipient',
    variant: '552 5.2.3 RESOLVER.RST.RecipSizeLimit; the message is too large for this recipient',
    source: 'Microsoft Exchange NDR 5.2.3 RESOLVER.RST.RecipSizeLimit (Exchange Server: "message too large for this recipient")',
  },
  {
    pattern: /\bheader size exceeds (?:[^ :]{1,20} ){0,2}?limit\b/,
    seen: '552 5.2.3 Message header size exceeds limit',
    variant: '552 message header size exceeds the configured limit',
    source: 'Sisimai reason definition "exceedlimit" ("message header size exceeds limit")',
  },
];

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /exceed|too large|recipsizelimit/;

export const table: ReasonPhrases = { reason: 'exceedlimit', rules, keys };
