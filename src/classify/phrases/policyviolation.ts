/**
 * phrases/policyviolation - the receiver's policy refused the message (content rules, attachments,
 * list membership, organisation rules), not the address. Soft.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'policyviolation' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

const SISIMAI = 'Sisimai reason definition "policyviolation" (policy violation on the destination host)';

export const rules: PhraseRule[] = [
  {
    pattern: /\b(?:not accepted|rejected|denied|refused|blocked|bounced)(?: [^ :]{1,20}){0,2}? (?:for|due to|by|because of) (?:the |our |local |organi[sz]ation(?:al)? |security )?(?:polic(?:y|ies)|settings)(?: reasons?)?\b/,
    seen: '554 5.7.9 Message not accepted for policy reasons.',
    variant: '550 5.7.1 The message was rejected by organization policy',
    source: `Yahoo Sender Hub SMTP error codes (554 5.7.9 "not accepted for policy reasons"); Mimecast "Email rejected due to security policies"; ${SISIMAI}`,
  },
  {
    pattern: /\b(?:local |email |e-mail |mail |content )?policy (?:violation|reasons?|rejection|restriction)\b|\bviolat(?:es|ed|ion of) (?:our |the |your |[a-z0-9.-]{1,60}(?:'s)? )?(?:local |email |e-mail |mail |site )?polic(?:y|ies)\b|\bdenied by policy\b/,
    seen: '554 5.7.7 Email policy violation detected',
    variant: '550 5.7.1 This message violates example.com email policy. - gcdp',
    source: `${SISIMAI} ("local policy violation", "denied by policy", "rejected for policy reasons"); Google 550 5.7.1 "This message violates %s email policy" (support.google.com/a/answer/3726730, compliance rules)`,
  },
  {
    pattern: /\bcontent presents a potential\b|\bhas a policy that prohibit|\billegal attachment\b|\bdo not accept messages containing (?:images|attachments)\b/,
    seen: '552-5.7.0 This message was blocked because its content presents a potential security issue.',
    variant: '550-5.7.1 The user or domain that you are sending to (or from) has a policy that prohibited the mail that you sent.',
    source: 'Google support.google.com/a/answer/3726730 (552 5.7.0 "potential security issue", 550 5.7.1 "has a policy that prohibited the mail", "illegal attachment")',
  },
  {
    pattern: /\breject, id=\S{1,40} - banned\b|\bbanned (?:file|attachment|content)\b|\battachments? (?:type )?(?:\S{1,20} )?(?:not allowed|rejected|blocked|prohibited|forbidden)\b/,
    seen: '554 5.7.0 Reject, id=12345-01 - BANNED: P=p003,L=1,M=multipart/mixed | P=p002,L=1/2,T=exe,N=setup.exe',
    variant: '552 5.7.0 attachment type not allowed (.exe)',
    source: 'amavisd-new "Reject, id=%n - BANNED: %F" ($final_banned_destiny D_REJECT, banned file types)',
  },
  {
    pattern: /\bclosed mailing list\b|\bnon-member to a members-only list\b|\bnot subscribed to this group\b|\busing a mass mailer\b|\bmessage given low priority\b|\bheader error\b|\bheader are not accepted\b/,
    seen: '554 5.7.0 Header error (state 18).',
    variant: '550 5.7.1 posting by non-member to a members-only list is not allowed',
    source: `${SISIMAI} ("header error", "closed mailing list", "by non-member to a members-only list", "you're using a mass mailer")`,
  },
];

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /polic|settings|potential|illegal attachment|attachment|banned|mailing list|members-only|subscribed|mass mailer|low priority|header|images/;

export const table: ReasonPhrases = { reason: 'policyviolation', rules, keys };
