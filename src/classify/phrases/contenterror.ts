/**
 * phrases/contenterror - the receiver cannot handle the message's content, encoding or MIME
 * structure (RFC 3463 X.6.x). Soft; sender side.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'contenterror' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

const SISIMAI = 'Sisimai reason definition "contenterror" (header or content format of the email)';

export const rules: PhraseRule[] = [
  {
    pattern: /\bimproper use of 8-bit data\b|\b8-?bit (?:data|content|characters?),?(?: [^ :]{1,20}){0,3}? (?:not allowed|not permitted|without 8bitmime|but server does not support)\b|\bnon-encoded 8-bit data\b/,
    seen: '550 5.6.9 improper use of 8-bit data in message header',
    variant: 'message has 8-bit content, but server does not support 8BITMIME',
    source: `Postfix smtp client "message has 8-bit content, but server does not support 8BITMIME" (src/smtp/smtp_proto.c); RFC 6152 (8BITMIME); ${SISIMAI} ("improper use of 8-bit data in message header")`,
  },
  {
    pattern: /\bmedia (?:\S{1,20} )?(?:error|type not supported|not supported)\b|\b(?:content|mime) type (?:\S{1,20} )?not (?:supported|allowed)\b/,
    seen: 'Recipient address rejected: Media error.',
    variant: '554 5.6.1 Media type not supported by this mail system',
    source: 'RFC 3463 §3.7 X.6.1 "media not supported"',
  },
  {
    pattern: /\b(?:encoding|conversion)(?: [^ :]{1,20}){0,2}? (?:error|failed|required|not possible|prohibited|not supported)\b|\bunnecessary base64 encoding\b/,
    seen: '554 5.6.5 conversion failed',
    variant: '554 5.6.3 Conversion required but not supported',
    source: 'RFC 3463 §3.7 X.6.2 "conversion required and prohibited", X.6.3, X.6.5 "conversion failed"',
  },
  {
    pattern: /\bheaders? (?:line |size |section )?(?:too long|too large|exceeds (?:[^ :]{1,20} ){0,2}?(?:maximum|limit))\b|\bheader size exceeds maximum permitted\b/,
    seen: '552 5.6.0 Headers too long',
    variant: '552 5.6.0 Message header size exceeds maximum permitted',
    source: `${SISIMAI} ("header size exceeds maximum permitted", "message header size, or recipient list, exceeds policy limit")`,
  },
  {
    pattern: /\btoo many "?received"? headers?\b|\btoo many received: headers\b/,
    seen: 'Too many "Received" headers - suspected mail loop',
    variant: '554 5.4.6 routing loop detected -- too many received: headers',
    source: 'Exim "Too many \\"Received\\" headers - suspected mail loop" (src/receive.c, received_headers_max); Sisimai reason definition "contenterror"',
  },
  {
    pattern: /\binvalid mime\b|\bmime complexity\b|\bimproperly-formatted binary content\b|\bmalformed mime\b/,
    seen: '554 5.6.0 This message contain invalid MIME headers.',
    variant: '554 5.6.0 message MIME complexity exceeds the policy maximum',
    source: `${SISIMAI} ("this message contain invalid mime headers", "message mime complexity exceeds the policy maximum")`,
  },
];

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /8-?bit|media|type|encoding|conversion|header|received|mime|binary/;

export const table: ReasonPhrases = { reason: 'contenterror', rules, keys };
