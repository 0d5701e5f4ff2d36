/**
 * providers/kddi - KDDI au / ezweb / uqmobile (lsean.ezweb.ne.jp, msmx.au.com).
 * In: Context. Out: a reason or null. Config keys: none.
 *
 * au answers "550 <address>: User unknown" when the mailbox does not exist, and "550 : User unknown"
 * (no address) when the recipient's own domain/address filter refused the sender: the mailbox exists.
 */
import type { Context, Provider } from '../rules.js';

const SRC = 'KDDI au postmaster information (au.com: ezweb.ne.jp / au.com reception filter and unknown-user replies)';

export const provider: Provider = {
  name: 'kddi',
  hosts: /\b(?:ezweb\.ne\.jp|au\.com|uqmobile\.jp|kddi\.com)\b/,
  rules: [
    { pattern: /\bmailbox is full\b|\bmailbox full\b/, reason: 'mailboxfull', seen: 'As their mailbox is full.', variant: "552 5.2.2 <x@ezweb.ne.jp>: mailbox full", source: SRC },
    { pattern: /\baccount is disabled\b/, reason: 'suspend', seen: 'The user(s) account is disabled.', variant: "550 The recipient's account is disabled.", source: SRC },
  ],
  decideSource: SRC,
  decide(ctx: Context) {
    const i = ctx.text.indexOf('user unknown');
    if (i < 0) return null;
    // "550 : User unknown" / "550 :" directly before: the filter variant.
    if (/(?:^|\b[245]\d\d|;) ?: ?user unknown/.test(ctx.text)) return { reason: 'filtered', evidence: ': user unknown' };
    if (/<[^<>\s@]+@[^<>\s]+>:? ?user unknown/.test(ctx.text)) return { reason: 'userunknown', evidence: ctx.text.slice(Math.max(0, i - 40), i + 12) };
    return null;
  },
};
