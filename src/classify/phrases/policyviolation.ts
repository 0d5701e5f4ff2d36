/**
 * phrases/policyviolation - the receiver's policy refused the message (content or sender policy, not the address). Soft.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'policyviolation' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  { pattern: /\b(?:not accepted|rejected|denied|refused|blocked) (?:for|due to|by) (?:local )?polic(?:y|ies)(?: reasons?)?\b/, seen: '554 5.7.9 Message not accepted for policy reasons.', note: 'Yahoo/AOL/Verizon: reputation or content policy' },
  { pattern: /\bpolicy (?:violation|reasons?|rejection)\b/, seen: '554 5.7.7 Email policy violation detected' },
  { pattern: /\bdenied by policy\b/, seen: '550 Denied by policy' },
  { pattern: /\bviolat(?:es|ed|ion of) (?:our |the )?(?:local |email |e-mail |mail )?polic(?:y|ies)\b/, seen: '550 This message violates our email policy' },
  { pattern: /\bcontent presents a potential\b/, seen: '552-5.7.0 This message was blocked because its content presents a potential security issue.', note: 'Gmail' },
  { pattern: /\bhas a policy that prohibit/, seen: '550-5.7.1 The user or domain that you are sending to (or from) has a policy that prohibited the mail that you sent.', note: 'Gmail: recipient organisation policy' },
  { pattern: /\b(?:local )?policy violation\b/, seen: '550 5.7.0 Local Policy Violation' },
];

export const table: ReasonPhrases = { reason: 'policyviolation', rules };
