/**
 * phrases/authfailure - the message failed SPF, DKIM or DMARC (RFC 7372 X.7.20-26). Soft; sender side.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'authfailure' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  { pattern: /\b(?:rejected|blocked|denied|refused) (?:by|due to|per) (?:the |our |its )?(?:spf|dkim|dmarc)\b/, seen: '554 5.7.1 <x@example.com>: Recipient address rejected: Rejected by SPF policy' },
  { pattern: /\bdmarc\b/, seen: "550-5.7.26 Unauthenticated email from example.org is not accepted due to domain's DMARC policy." },
  { pattern: /\bspf (?:check )?(?:fail|failed|failure|record|validation|error|hard ?fail)/, seen: '550 Bad SPF records for [example.org:192.0.2.2]' },
  { pattern: /\b(?:bad|invalid|no) spf\b/, seen: '550 Bad SPF records for [example.org:192.0.2.2]' },
  { pattern: /\bper (?:it'?s|its|the) spf\b/, seen: "550 5.1.0 192.0.2.222 is not allowed to send from <example.net> per it's SPF Record." },
  { pattern: /\bhas an spf record\b/, seen: '550-5.7.26 The MAIL FROM domain [x] has an SPF record with a hard fail policy' },
  { pattern: /\bdkim (?:signature )?(?:fail|failed|failure|verification|check|validation)/, seen: '550 5.7.20 DKIM verification failed' },
  { pattern: /\b(?:fails?|failed|failing) (?:to pass )?(?:both )?(?:spf|dkim|authentication)/, seen: '550-5.7.26 This message does not have authentication information or fails to pass authentication checks' },
  { pattern: /\bunauthenticated (?:email|mail|message)\b/, seen: '550-5.7.1 Unauthenticated email from example.com is not accepted' },
  { phrase: 'multiple authentication checks failed', seen: 'Recipient address rejected: Multiple authentication checks failed' },
  { pattern: /\bsenders? (?:is |are )?(?:required )?to authenticate with\b/, seen: 'Gmail requires all senders to authenticate with either SPF or DKIM.' },
  { pattern: /\bsender is unauthenticated\b/, seen: '550 5.7.9 This mail has been blocked because the sender is unauthenticated.', note: 'Yahoo' },
];

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /spf|dkim|dmarc|authenticat/;

export const table: ReasonPhrases = { reason: 'authfailure', rules, keys };
