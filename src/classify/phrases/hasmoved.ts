/**
 * phrases/hasmoved - the mailbox moved and no forwarding is set (RFC 3463 X.1.6, RFC 7293 X.7.17/18,
 * RFC 5321 551). Hard.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'hasmoved' when a rule matches.
 * Config keys: none.
 */
import type { Reason } from '../../types.js';
import type { Context, PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  {
    pattern: /\b(?:recipient|user|mailbox|address)(?: [^ :]{1,30}){0,2}? no longer (?:on|at|with|hosted (?:on|at)) (?:this |the |our )?(?:server|domain|host|system|site)\b/,
    seen: '550 5.1.6 recipient no longer on server: x@example.jp',
    variant: '550 5.1.6 <x@example.org>: this user is no longer hosted on this system',
    source: 'Apple iCloud Mail postmaster (support.apple.com/en-us/102322: "recipient no longer on server"); RFC 3463 §3.2 X.1.6',
  },
  {
    pattern: /\b(?:mailbox|address|user|recipient)(?: [^ :]{1,30}){0,2}? has (?:been )?moved\b|\bhas moved,? (?:and |with )?no forwarding\b/,
    seen: '550 5.1.6 Destination mailbox has moved, No forwarding address',
    variant: '550-5.1.6 The destination mailbox for this user\n550 5.1.6 has moved; no forwarding address is known',
    source: 'RFC 3463 §3.2 X.1.6 "destination mailbox has moved, no forwarding address"',
  },
  {
    pattern: /\b(?:mailbox|domain) owner has changed\b/,
    seen: '550 5.7.17 Mailbox owner has changed',
    variant: '550 5.7.18 Domain owner has changed since the date in Require-Recipient-Valid-Since',
    source: 'RFC 7293 §4 X.7.17 "mailbox owner has changed", X.7.18 "domain owner has changed"',
  },
  {
    pattern: /\buser not local[;,]? (?:please )?try\b|\bhas been replaced by\b/,
    seen: '551 User not local; please try <someone@example.net>',
    variant: '551 5.1.6 user not local, try <new@example.net> instead',
    source: 'RFC 5321 §3.4 and §4.2.2: 551 "User not local; please try <forward-path>"; Sisimai reason definition "hasmoved" ("has been replaced by")',
  },
];

/**
 * RFC 5321's 551 "User not local; please try <forward-path>" is a moved address when it comes with
 * X.1.6; with an X.7 code ("delivery not authorized") the server refuses to relay for a user who is
 * not its own.
 */
export function refine(ctx: Context): Reason {
  return /^[45]\.7\./.test(ctx.status) ? 'norelaying' : 'hasmoved';
}

export const table: ReasonPhrases = { reason: 'hasmoved', rules, refine };
