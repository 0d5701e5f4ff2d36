/**
 * hardness - is this bounce proof that the address itself is bad? (Sisimai's hard/soft rule.)
 * In: reason, code class, action, false-positive flag. Out: boolean.
 * Hard only for userunknown, hostunknown, hasmoved, and notaccept with a 5xx code; never for a
 * delay (Action: delayed), never for a likely false positive (bounce-semantics.md §0.2, §4).
 * hostunknown with a 4xx code is a temporary DNS failure, so it is soft as well. With no code at all,
 * Action: failed stands for the permanent class.
 * Config keys: none.
 */
import type { Action, Reason } from '../types.js';

/**
 * Reasons that accuse the recipient address itself (they make a bounce hard, hostunknown only as
 * a permanent failure). notaccept is not among them: RFC 7504's 521 "does not accept mail" is about
 * the host and is sent at connection time by design.
 */
export const RECIPIENT_REASONS: ReadonlySet<Reason> = new Set<Reason>(['userunknown', 'hostunknown', 'hasmoved']);

export function isHard(reason: Reason, klass: string, action: Action, likelyFalsePositive: boolean): boolean {
  if (likelyFalsePositive || action === 'delayed') return false;
  // A 4xx hostunknown is a temporary DNS failure.
  if (RECIPIENT_REASONS.has(reason)) return reason !== 'hostunknown' || klass !== '4';
  // No code at all on a failed (not delayed) action: the reporter gave up for good.
  if (reason === 'notaccept') return klass === '5' || (klass === '' && action === 'failed');
  return false;
}
