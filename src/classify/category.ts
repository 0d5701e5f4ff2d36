/**
 * category - Marketo bounce category for a verdict (bounce-semantics.md §1.2-1.4, §2.6).
 * In: reason, hard, likelyFalsePositive. Out: 0 | 1 | 2 | 3 | 4 | 9. Config keys: none.
 *
 *   0  not a bounce           delivered, vacation, feedback
 *   1  spam / blocklist       blocked, spamdetected, badreputation, virusdetected, and any reason
 *                             carrying spam/blocklist false-positive evidence (Email Suspended 24 h,
 *                             never Invalid)
 *   2  invalid address        exactly the hard verdicts: userunknown, hasmoved, hostunknown (5xx),
 *                             notaccept (5xx) (Email Invalid)
 *   3  soft: mailbox/volume   mailboxfull, suspend, expired, toomanyconn, speeding, systemfull,
 *                             exceedlimit (Marketo 3001 MAILBOX FULL, 3004 TIMEOUT)
 *   4  soft: technical/policy mesgtoobig (4002), hostunknown/notaccept 4xx and delayed address
 *                             reasons (4003 DNS), networkerror, systemerror, mailererror, policyviolation
 *                             (4006), authfailure, requireptr, securityerror, failedstarttls,
 *                             norelaying, rejected, filtered, contenterror, notcompliantrfc,
 *                             syntaxerror, suppressed
 *   9  unknown                undefined, onhold
 * Decisions the brief left open: suspend is 3 (a mailbox-level state like "full", and Postmark files
 * "account disabled" with mailbox full); filtered and policyviolation are 4 unless false-positive
 * evidence makes them 1; virusdetected is 1 (a content scanner's verdict on our message);
 * mesgtoobig is 4 as in Marketo's 4002 MESSAGE TOO LARGE. Authentication and sender-policy failures
 * (authfailure, requireptr) are flagged as likely false positives - they say nothing about the address -
 * but stay 4 (Marketo 4006, bounce-semantics.md §4 step 2): a sender-side fault, not a block on us.
 */
import type { Category, Reason } from '../types.js';

const BY_REASON: Record<Reason, Category> = {
  delivered: 0,
  vacation: 0,
  feedback: 0,
  blocked: 1,
  spamdetected: 1,
  badreputation: 1,
  virusdetected: 1,
  userunknown: 2,
  hasmoved: 2,
  hostunknown: 2,
  notaccept: 2,
  mailboxfull: 3,
  suspend: 3,
  expired: 3,
  toomanyconn: 3,
  speeding: 3,
  systemfull: 3,
  exceedlimit: 3,
  mesgtoobig: 4,
  networkerror: 4,
  systemerror: 4,
  mailererror: 4,
  policyviolation: 4,
  authfailure: 4,
  requireptr: 4,
  securityerror: 4,
  failedstarttls: 4,
  norelaying: 4,
  rejected: 4,
  filtered: 4,
  contenterror: 4,
  notcompliantrfc: 4,
  syntaxerror: 4,
  suppressed: 4,
  undefined: 9,
  onhold: 9,
};

/**
 * Sender authentication and sender policy (SPF/DKIM/DMARC/ARC, PTR and HELO, our envelope sender):
 * likely false positives - they say nothing about the address - that stay category 4.
 */
export const AUTH_REASONS: ReadonlySet<Reason> = new Set<Reason>(['authfailure', 'requireptr', 'rejected']);

export function categoryOf(reason: Reason, hard: boolean, likelyFalsePositive: boolean): Category {
  const c = BY_REASON[reason];
  if (c === 0) return 0;
  if (likelyFalsePositive) return 1;
  if (c === 2) return hard ? 2 : 4; // an address reason that is not proven (4xx, delayed) is soft
  return c;
}
