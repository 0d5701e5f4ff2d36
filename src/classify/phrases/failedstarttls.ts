/**
 * phrases/failedstarttls - STARTTLS failed or was required and not possible. Soft.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'failedstarttls' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  { pattern: /\bstarttls (?:failed|failure|negotiation failed|handshake failed)\b|\btls (?:handshake|negotiation) (?:failed|failure)\b/, seen: 'TLS negotiation failed with error: certificate verify failed' },
  { pattern: /\bcannot (?:negotiate|establish) tls\b/, seen: 'Cannot establish TLS with remote host' },
];

export const table: ReasonPhrases = { reason: 'failedstarttls', rules };
