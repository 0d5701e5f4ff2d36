/**
 * phrases/authfailure - the message failed the receiver's sender-authentication checks: SPF, DKIM,
 * DMARC, ARC (RFC 7372 X.7.20-26, RFC 8617 X.7.29). Soft, and a likely false positive: it says
 * nothing about the address; the cause is our DNS or signing.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'authfailure' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

const SISIMAI = 'Sisimai reason definition "authfailure" (SPF, DKIM, DMARC failure)';

export const rules: PhraseRule[] = [
  {
    pattern: /\b(?:rejected|blocked|denied|refused|not accepted)(?: [^ :]{1,30}){0,3}? (?:by|due to|per|because of|under) (?:the |our |its |\S{1,60}'s? )?(?:spf|dkim|dmarc|arc|sender policy framework)\b/,
    seen: '554 5.7.1 <x@example.com>: Recipient address rejected: Rejected by SPF policy',
    variant: "554 5.7.5 Message not accepted due to example.org's DMARC policy (p=reject)",
    source: `RFC 7208 §8.4 (SPF "fail": reject with 550 5.7.23); RFC 7489 §6.3 (DMARC p=reject); ${SISIMAI}`,
  },
  {
    pattern: /\bdmarc (?:[^ :]{1,20} ){0,2}?(?:policy|fail(?:ed|ure)?|verification|check|reject(?:ion|ed)?|record)\b|\bdoes not pass dmarc\b/,
    seen: "550-5.7.26 Unauthenticated email from example.org is not accepted due to domain's DMARC policy.",
    variant: '550 5.7.509 Access denied, sending domain [EXAMPLE.ORG] does not pass DMARC verification and has a DMARC policy of reject.',
    source: 'RFC 7489 §6.3; Google support.google.com/a/answer/3726730 (5.7.26 "DMARC policy"); Microsoft Exchange Online NDR 5.7.509 "does not pass DMARC verification"',
  },
  {
    pattern: /\b(?:spf|sender policy framework)(?: \(sender policy framework\))?(?: [^ :]{1,30}){0,3}? (?:check:? )?(?:fail(?:ed|ure|s)?|hard ?fail|validation|violation|error|record|domain authentication fail)/,
    seen: '550 5.7.23 SPF validation failed',
    variant: '550 5.7.1 The message was rejected because of Sender Policy Framework violation',
    source: 'RFC 7372 §3.2 X.7.23 "SPF validation failed", X.7.24 "SPF validation error"; Microsoft 5.7.23 "Sender Policy Framework violation"',
  },
  {
    pattern: /\b(?:bad|invalid|no|missing|suspicious) (?:\S{1,20} )?spf\b|\bspf (?:record|settings)\b|\bper (?:it'?s|its|the) spf\b|\bhas an spf record\b|\bspf\.pobox\.com\b/,
    seen: '550 Bad SPF records for [example.org:192.0.2.2]',
    variant: '550 5.7.24 The SPF record of the sending domain has one or more suspicious entries',
    source: `Google 5.7.24 "The SPF record of the sending domain has one or more suspicious entries" (support.google.com/a/answer/3726730); ${SISIMAI} ("bad spf records for", "//spf.pobox.com")`,
  },
  {
    pattern: /\bdkim(?: [^ :]{1,30}){0,3}? (?:fail(?:ed|ure|s)?|verification|check|validation|did not pass|does not pass|not (?:pass|signed|valid))\b|\bno (?:\S{1,20} )?(?:passing |acceptable |valid )(?:\S{1,20} )?dkim\b/,
    seen: '550 5.7.20 DKIM verification failed',
    variant: '550 5.7.20 No passing DKIM signature found',
    source: 'RFC 7372 §3.1 X.7.20 "no passing DKIM signature found", X.7.21, X.7.22',
  },
  {
    pattern: /\b(?:fails?|failed|failing|did not pass|does not pass) (?:to pass )?(?:both |either )?(?:\S{1,20} )?(?:spf|dkim|arc|authentication)\b|\bauthentication checks? fail(?:ed|ure)?\b|\bauthentication information\b|\barc (?:validation|verification) fail/,
    seen: '550-5.7.26 This message does not have authentication information or fails to pass authentication checks',
    variant: '554 5.7.1 [HME1] This message was blocked for failing both SPF and DKIM authentication checks.',
    source: 'RFC 7372 §3.4 X.7.26 "multiple authentication checks failed"; RFC 8617 §5.2 X.7.29 ARC; Apple iCloud [HME1] (support.apple.com/en-us/102322)',
  },
  {
    pattern: /\bunauthenticated (?:e-?mail|mail|message)s?\b|\bsender is unauthenticated\b|\bsenders? (?:is |are )?(?:required )?to authenticate (?:with|their)\b|\bmust pass either spf or dkim\b/,
    seen: '550 5.7.9 This mail has been blocked because the sender is unauthenticated.',
    variant: '421-4.7.26 This mail has been rate limited because it is unauthenticated. Gmail requires all\n421-4.7.26 senders to authenticate with either SPF or DKIM.',
    source: 'Yahoo Sender Hub SMTP error codes (5.7.9 "sender is unauthenticated"); Google support.google.com/a/answer/3726730 (4.7.26/5.7.26)',
  },
  {
    pattern: /\b(?:doesn't|does not) meet the (?:required )?authentication (?:level|requirements)\b|\baligned with either the authenticated spf or dkim\b|\bmultiple authentication checks failed\b/,
    seen: '550 5.7.515 Access denied, sending domain EXAMPLE.JP doesn\'t meet the required authentication level.',
    variant: '421 4.7.32 Your email has been rate limited because the From: header (RFC5322) in this message isn\'t aligned with either the authenticated SPF or DKIM organizational domain.',
    source: 'Microsoft Exchange Online NDR 5.7.515; Google support.google.com/a/answer/3726730 (4.7.32)',
  },
];

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /spf|dkim|dmarc|arc|authenticat|sender policy framework/;

export const table: ReasonPhrases = { reason: 'authfailure', rules, keys };
