/**
 * providers/nttdocomo - NTT docomo (mfsmax.docomo.ne.jp). docomo answers "550 Unknown user" both for
 * a missing mailbox (at RCPT) and for its per-recipient sender filter (at DATA); the command and the
 * status tell them apart.
 * In: Context. Out: a reason or null. Config keys: none.
 */
import type { Context, Provider } from '../rules.js';

export const provider: Provider = {
  name: 'nttdocomo',
  hosts: /\bdocomo\.ne\.jp\b/,
  rules: [
    { pattern: /\btoo much mail data\b/, reason: 'mailboxfull', seen: '552 too much mail data' },
    { pattern: /\btoo many recipients\b/, reason: 'toomanyconn', seen: '552 Too many recipients' },
    { pattern: /\b(?:bad|improper) sequence of commands\b|\bcommand parameter not implemented\b/, reason: 'syntaxerror', seen: '504 Command parameter not implemented' },
  ],
  decide(ctx: Context) {
    if (ctx.text.indexOf('unknown user') < 0 && ctx.text.indexOf('user unknown') < 0) return null;
    if (/^[45]\.1\.1$/.test(ctx.status) || ctx.command === 'RCPT') return { reason: 'userunknown', evidence: 'unknown user' };
    if (/^[45]\.2\.0$/.test(ctx.status)) return { reason: 'filtered', evidence: 'unknown user' };
    return { reason: 'rejected', evidence: 'unknown user' };
  },
};
