/**
 * phrases/rejected - the receiver refused our envelope sender (the MAIL FROM address or its domain),
 * not the recipient. Soft; sender side.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'rejected' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

const SISIMAI = 'Sisimai reason definition "rejected" (rejected due to the envelope sender)';

export const rules: PhraseRule[] = [
  {
    pattern: /\bsender (?:e-?mail )?(?:address |domain )?(?:was |is |has been )?(?:rejected|denied|refused|not allowed|unknown|blacklisted|not pre-approved|is spammer)\b|\bsender (?:address )?verif(?:y|ication) failed\b/,
    seen: '501 5.1.8 Sender address rejected',
    variant: '550 5.1.0 <bounce@example.com> sender rejected: sender verify failed',
    source: 'Postfix smtpd "Sender address rejected: ..." (reject_unknown_sender_domain, reject_unlisted_sender, src/smtpd/smtpd_check.c); Exim callout "Sender verify failed" (src/verify.c); qmail "sender was rejected"',
  },
  {
    pattern: /\bdomain of sender address \S{1,255} (?:does not exist|does not resolve)\b|\bsender (?:address |domain )?(?:\S{1,20} )?(?:must exist|does not exist|is invalid|not found|has null mx|domain is empty|must resolve)\b|\b(?:unroutable|unrouteable|invalid|unknown|bad|bogus|unverified) (?:envelope )?sender\b|\bbogus mail from\b/,
    seen: '553 5.1.8 <root@host.example>... Domain of sender address root@host.example does not exist',
    variant: '550 5.1.8 <bounce@example.com>: Sender address rejected: Domain not found; sender domain must exist',
    source: 'Sendmail "Domain of sender address %s does not exist" (cf/m4/proto.m4 check_mail); Postfix smtpd reject_unknown_sender_domain "Sender address rejected: Domain not found"; RFC 7505 §4.2 X.7.27 sender null MX',
  },
  {
    pattern: /\b(?:null|empty) (?:envelope )?senders? (?:is |are )?not allowed\b|\breturned mail not accepted here\b|\bno third-party dsns\b|\bunsigned dsn\b|\bbatv (?:failed|validation|defense)\b|\bbatv: no tag\b/,
    seen: '550 5.7.1 Empty envelope senders not allowed',
    variant: '553 null sender is not allowed here - returned mail not accepted here',
    source: `${SISIMAI} ("empty envelope senders not allowed", "null sender is not allowed", "returned mail not accepted here", BATV)`,
  },
  {
    pattern: /\bpurported responsible address\b|\bmail from not owned by user\b|\bnot a registered gateway user\b|\bfully qualified e-?mail address required\b|\bneed fully-qualified address\b(?=(?:(?!\bneed fully-qualified address\b).)*\bsender\b)/,
    seen: "550 5.7.1 can't determine Purported Responsible Address",
    variant: '553 5.7.1 <bounce@example.com>: Sender address rejected: not owned by user; mail from not owned by user x@example.com',
    source: `RFC 4407 §2 (Sender ID purported responsible address); Postfix reject_sender_login_mismatch "not owned by user"; ${SISIMAI}`,
  },
  {
    pattern: /\bfrom:? domain is invalid\b|\bprovide a valid from\b/,
    seen: '550 5.2.0 <x@example.com> From: Domain is invalid. Please provide a valid From:',
    variant: '550 5.2.0 From domain is invalid. Please provide a valid From: address (IB501)',
    source: `GoDaddy bounce texts ("From: Domain is invalid. Please provide a valid From:"); ${SISIMAI}`,
  },
  {
    pattern: /\bgroup you tried to contact (?:\S{1,80} )?may not exist\b|\bnot have permission to post\b|\bnot allowed to post to this (?:mailing )?list\b|\bnot a member of\b|\bare not member\b/,
    seen: 'the group you tried to contact (x) may not exist, or you may not have permission to post messages to the group',
    variant: '550 5.7.1 You are not allowed to post to this mailing list',
    source: `Google Groups bounce text (support.google.com/groups); fml "You are not a member of this mailing list"; ${SISIMAI} ("you are not allowed to post to this mailing list")`,
  },
  {
    pattern: /\bsending this from a different address or alias using the\b|\bcustomfromdenied\b|\bmail sending denied\b/,
    seen: "You're sending this from a different address or alias using the 'Send mail as' feature.",
    variant: "550 5.7.0 Mail Sending denied. You're sending this from a different address or alias using the 'Send mail as' feature.",
    source: 'Google Workspace SMTP relay errors (support.google.com/a/answer/6140680: "Mail Sending denied", "Send mail as")',
  },
  {
    pattern: /'send mail as'/,
    seen: "You're sending this from a different address or alias using the 'Send mail as' feature.",
    variant: "The settings for your 'Send mail as' account are misconfigured or out of date.",
    source: 'Google Workspace bounce text for custom From via "Send mail as" (support.google.com/mail/answer/22370)',
    mta: ['googleworkspace'],
  },
];

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /sender|senders|mail from|dsn|batv|returned mail|purported|registered gateway|fully|from|group|post|member|customfrom|sending/;

export const table: ReasonPhrases = { reason: 'rejected', rules, keys };
