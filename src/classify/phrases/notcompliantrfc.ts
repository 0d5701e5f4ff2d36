/**
 * phrases/notcompliantrfc - the message breaks RFC 5322 (or RFC 5321's line rules) in a way the
 * receiver will not accept: duplicate, missing or malformed header fields, bare line feeds. Soft;
 * sender side.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'notcompliantrfc' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  {
    pattern: /\bmultiple (?:[^ :]{1,20} ){0,2}?(?:addresses|senders) in (?:the )?from:? header\b|\bmissing a valid address in the from:? header\b/,
    seen: '550-5.7.1 Messages with multiple addresses in From: header are not accepted.',
    variant: '550-5.7.1 Messages missing a valid address in the From: header, or having no From:\n550 5.7.1 header, are not accepted.',
    source: 'Google support.google.com/a/answer/3726730 (550 5.7.1 RfcMessageNonCompliant); RFC 5322 §3.6.2',
  },
  {
    pattern: /\bduplicate (?:\S{1,20} )?headers?\b|\bheaders? (?:[^ :]{1,20} ){0,2}?(?:are |is )?not rfc(?: ?\d{3,4})? compliant\b/,
    seen: "554 Transaction failed: Duplicate header 'DKIM-Signature'.",
    variant: '550 5.7.1 This message is not RFC 5322 compliant because it has duplicate headers.',
    source: 'RFC 5322 §3.6 (header fields that may occur at most once); Amazon SES "Duplicate header"; Yahoo Sender Hub "headers are not RFC compliant"',
  },
  {
    pattern: /\bnot (?:rfc ?5322|rfc ?2822|rfc ?822|rfc) compliant\b|\bnon[- ]compliant with rfc ?(?:5322|2822|822)\b|\bmust be rfc ?5322\b|\brfcmessagenoncompliant\b/,
    seen: '550 5.7.1 Message is not RFC 5322 compliant',
    variant: '550 5.7.512 Access denied, message must be RFC 5322 section 3.6.2 compliant',
    source: 'Microsoft Exchange Online NDR 5.7.512 "message must be RFC 5322 section 3.6.2 compliant"; Google RfcMessageNonCompliant',
  },
  {
    pattern: /\b(?:missing|invalid|malformed|bad|no|empty) (?:or (?:invalid|malformed|missing) )?(?:an? )?(?:valid )?(?:from|date|message-id|to|subject|sender)(?: header)?:? (?:header|field)\b|\bsyntax error in '?(?:from|to|cc|sender|reply-to)'? header\b|\bheader syntax (?:check )?(?:failed|error)\b/,
    seen: '550 5.7.1 Missing Date header',
    variant: "550 5.7.1 Messages missing a valid Message-ID: header are not accepted.",
    source: 'RFC 5322 §3.6 (required Date and From fields, §3.6.4 Message-ID); Exim ACL "verify = header_syntax" (doc/spec: syntax errors in address headers); Google 5.7.1 "missing a valid Message-ID: header"',
  },
  {
    pattern: /\bbare (?:<)?(?:lf|linefeed|line feed|cr)(?:>)?s?\b|\binvalid characters \(bare line feed/,
    seen: '550 5.6.0 bare LF received',
    variant: '550 5.6.11 SMTPSEND.BareLinefeedsAreIllegal; message contains bare linefeeds',
    source: 'RFC 5321 §2.3.8 (CR and LF only as CRLF); Postfix smtpd "bare <LF> received" (smtpd_forbid_bare_newline, src/smtpd/smtpd.c); Microsoft Exchange Online 5.6.11 bare line feeds',
  },
  {
    pattern: /\breject, id=\S{1,40} - bad[- ]header\b|\bmail message is malformed\b|\bencoded-word syntax is not permitted\b|\bunicode character in a disallowed header\b/,
    seen: '554 5.6.0 Mail message is malformed. Not accepted.',
    variant: '554 5.7.0 Reject, id=1234-05 - BAD HEADER: Non-encoded 8-bit data (char E9 hex) in message header',
    source: 'amavisd-new "Reject, id=%n - BAD HEADER" ($final_bad_header_destiny D_REJECT); Google 554 5.6.0 "Mail message is malformed" (support.google.com/a/answer/3726730)',
  },
];

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /header|rfc|bare|malformed|field|encoded-word/;

export const table: ReasonPhrases = { reason: 'notcompliantrfc', rules, keys };
