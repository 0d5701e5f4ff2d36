/**
 * phrases/mesgtoobig - the message (or one of its lines) is larger than the receiving system accepts
 * (RFC 3463 X.3.4; RFC 5321 §4.5.3.1 size limits). Soft; sender side.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'mesgtoobig', or 'exceedlimit'
 * when the status says the limit is the mailbox's own (X.2.3), or 'contenterror' for the header
 * section's size. Config keys: none.
 */
import type { Reason } from '../../types.js';
import type { Context, PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  {
    pattern: /\b(?:message|mail|email|e-mail)(?: file)? (?:is )?too (?:large|big)\b/,
    seen: '552 5.3.4 Message too big for system',
    variant: '552 5.3.4 Error: message file too big',
    source: 'RFC 3463 §3.4 X.3.4 "message too big for system"; Postfix cleanup "message file too big" (src/cleanup/cleanup_out.c via smtpd 552 5.3.4)',
  },
  {
    pattern: /\b(?:message |mail |email )?(?<!header )size (?:\d{1,12} )?(?:[^ :]{1,20} ){0,2}?(?:exceeds|exceeded|is over|too large|greater than)\b/,
    seen: '552 5.3.4 Message size exceeds fixed maximum message size',
    variant: 'message size 30512345 exceeds size limit 10240000 of server mx.example.org[192.0.2.1]',
    source: 'Postfix smtp client "message size %lu exceeds size limit %.0f of server %s" (src/smtp/smtp_proto.c); Postfix smtpd "552 5.3.4 Message size exceeds fixed limit" (src/smtpd/smtpd.c); Exim "552 Message size exceeds maximum permitted" (src/smtp_in.c)',
  },
  {
    pattern: /\bexceed(?:s|ed)? (?:the |its |our |google's )?(?:[^ :]{1,20} ){0,2}?(?:message )?size (?:limit|maximum)s?\b|\bexceeds? (?:the )?(?:fixed |allowed |permitted )?max(?:imum)? (?:[^ :]{1,20} ){0,2}?(?:size|value|permitted)\b|\bmax(?:imum)? message size exceeded\b/,
    seen: "552-5.2.3 Your message exceeded Google's message size limits.",
    variant: '552 5.2.3 Message exceeds maximum fixed size (10485760)',
    source: 'Sendmail "Message exceeds maximum fixed size (%ld)" (sendmail/collect.c); Google support.google.com/a/answer/3726730 (552 5.3.4 "exceeded Google\'s message size limits")',
  },
  {
    pattern: /\blines? too long for (?:[^ :]{1,20} ){0,2}?transport\b|\bline (?:length )?limit exceeded\b|\bline length exceeded\b/,
    seen: 'message has lines too long for transport',
    variant: '554 5.3.4 line length limit exceeded (more than 998 characters)',
    source: 'Exim "message has lines too long for transport" (src/transport.c, message_linelength_limit); RFC 5322 §2.1.1 and RFC 5321 §4.5.3.1.6 line length limits',
  },
  {
    pattern: /\btaille (?:[^ :]{1,20} ){0,2}?message (?:[^ :]{1,20} ){0,2}?(?:atteinte|d[ée]pass[ée]e)\b/,
    seen: '552 Taille limite du message atteinte',
    variant: '552 5.3.4 taille limite du message atteinte, message refused',
    source: 'Sisimai reason definition "mesgtoobig" ("taille limite du message atteinte")',
  },
];

/**
 * RFC 3463 keeps two size failures apart: X.3.4 (the system's limit) and X.2.3 (a limit set for this
 * mailbox). The same words with X.2.3 are the mailbox's own limit; about the header section they are
 * a format limit (contenterror, as Sisimai's reason definition files "header size exceeds maximum").
 */
export function refine(ctx: Context): Reason {
  if (/\bheaders? (?:section )?size\b/.test(ctx.text)) return 'contenterror';
  return /^[45]\.2\.3$/.test(ctx.status) ? 'exceedlimit' : 'mesgtoobig';
}

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /too large|too big|size|exceed|max|line|taille/;

export const table: ReasonPhrases = { reason: 'mesgtoobig', rules, refine, keys };
