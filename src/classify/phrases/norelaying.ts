/**
 * phrases/norelaying - the receiving server refused to relay: our route or its configuration is wrong. Soft.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'norelaying' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  { pattern: /\brelay(?:ing)? (?:access )?(?:denied|not (?:permitted|allowed))\b/, seen: '554 5.7.1 <x@example.com>: Relay access denied' },
  { pattern: /\b(?:we )?do not relay\b/, seen: '550 we do not relay' },
  { pattern: /\bunable to relay\b/, seen: '550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain', note: 'Exchange 5.7.54' },
  { pattern: /\blist of allowed rcpthosts\b/, seen: "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)", note: 'qmail-smtpd' },
  { phrase: 'insecure mail relay', seen: '550 Insecure Mail Relay' },
  { pattern: /\brelay(?:ing)? (?:is )?prohibited\b/, seen: '550 relaying prohibited' },
  { pattern: /\bnot (?:a )?(?:local|accepted) domain\b/, seen: '550 not local domain' },
  { phrase: 'email address is not verified', seen: '554 Message rejected: Email address is not verified. The following identities failed the check', note: 'Amazon SES sandbox: the sending relay refuses our identity' },
  { pattern: /\bno relaying\b/, seen: 'Recipient address rejected: No relaying.' },
];

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /relay|rcpthosts|local domain|accepted domain|not verified/;

export const table: ReasonPhrases = { reason: 'norelaying', rules, keys };
