/**
 * providers/nttdocomo - NTT docomo (mfsmax.docomo.ne.jp). docomo answers "550 Unknown user" both for
 * a missing mailbox (at RCPT) and for its per-recipient sender filter (at DATA); the command and the
 * status tell them apart.
 * In: Context. Out: a reason or null. Config keys: none.
 */
import type { Context, Provider } from '../rules.js';

const SRC = 'NTT docomo postmaster information (docomo.ne.jp: unknown user at RCPT, reception filter after DATA)';

export const provider: Provider = {
  name: 'nttdocomo',
  hosts: /\bdocomo\.ne\.jp\b/,
  rules: [
    { pattern: /\btoo much mail data\b/, reason: 'mailboxfull', seen: '552 too much mail data', variant: "552 5.2.2 <x@docomo.ne.jp>... too much mail data", source: SRC },
    { pattern: /\btoo many recipients\b/, reason: 'toomanyconn', seen: '552 Too many recipients', variant: "452 4.5.3 too many recipients", source: SRC },
    { pattern: /\b(?:bad|improper) sequence of commands\b|\bcommand parameter not implemented\b/, reason: 'syntaxerror', seen: '504 Command parameter not implemented', variant: "503 Improper sequence of commands", source: SRC },
  ],
  decideSource: SRC,
  decide(ctx: Context) {
    if (ctx.text.indexOf('unknown user') < 0 && ctx.text.indexOf('user unknown') < 0) return null;
    if (/^[45]\.1\.1$/.test(ctx.status) || ctx.command === 'RCPT') return { reason: 'userunknown', evidence: 'unknown user' };
    if (/^[45]\.2\.0$/.test(ctx.status)) return { reason: 'filtered', evidence: 'unknown user' };
    return { reason: 'rejected', evidence: 'unknown user' };
  },
};
