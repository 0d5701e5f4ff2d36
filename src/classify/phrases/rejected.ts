/**
 * phrases/rejected - the receiver refused our envelope sender (MAIL FROM domain or address), not the recipient. Soft; sender side.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'rejected' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  { pattern: /\bsender (?:address |domain )?(?:rejected|denied|refused|not allowed|blocked|unknown|verify failed|verification failed)\b/, seen: '501 5.1.8 Sender address rejected' },
  { pattern: /\bdomain of sender address \S+ does not exist\b/, seen: '553 5.1.8 <root@host.example>... Domain of sender address root@host.example does not exist' },
  { pattern: /\b(?:unroutable|unrouteable|invalid|unknown|bad) sender\b/, seen: '550 Unroutable sender address' },
  { pattern: /\bsender (?:address|domain) (?:must exist|does not exist|is invalid|not found|has null mx)\b/, seen: '553 sender domain does not exist' },
  { pattern: /\bpurported responsible address\b/, seen: "550 5.7.1 can't determine Purported Responsible Address", note: 'Sender ID: the PRA is our sender' },
  { pattern: /\bno such domain (?:at|for) sender\b/, seen: '550 no such domain for sender' },
  { pattern: /\bfrom:? domain is invalid\b|\bdomain is invalid\. please provide a valid from\b/, seen: '550 5.2.0 <x@example.com> From: Domain is invalid. Please provide a valid From:', note: 'GoDaddy' },
  { pattern: /\btemporarily deferred due to (?:unexpected volume or )?user complaints\b/, seen: '421 4.7.0 [TSS04] Messages from 192.0.2.192 temporarily deferred due to unexpected volume or user complaints', note: 'Yahoo; also a reputation signal (false-positive evidence)' },
  { pattern: /\bgroup you tried to contact \S+ may not exist\b|\bnot have permission to post\b/, seen: "the group you tried to contact (x) may not exist, or you may not have permission to post messages to the group", note: 'Google Groups' },
];

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /sender|purported|domain is invalid|deferred|may not exist|permission to post/;

export const table: ReasonPhrases = { reason: 'rejected', rules, keys };
