/**
 * phrases/requireptr - the sending host has no (matching) reverse DNS, the receiver wants one. Soft; sender side.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'requireptr' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  { pattern: /\b(?:no|missing|invalid|bad|without|lacks?) (?:a )?(?:valid )?(?:ptr|rdns|reverse dns|reverse-dns|reverse lookup)\b/, seen: '571 No PTR Record found. Reverse DNS required' },
  { pattern: /\b(?:ptr|rdns|reverse dns) (?:record )?(?:required|failed|lookup failed|check failed|mismatch)\b/, seen: '554 5.7.1 Reverse DNS failed.' },
  { pattern: /\bfix reverse dns\b/, seen: '550 5.7.1 Connections not accepted from servers without a valid sender domain. Fix reverse DNS for 203.0.113.2' },
  { pattern: /\bcannot find your (?:reverse )?hostname\b/, seen: '450 4.7.1 Client host rejected: cannot find your hostname, [192.0.2.1]', note: 'Postfix reject_unknown_client_hostname' },
  { pattern: /\bdoes not have a ptr record\b/, seen: '550-5.7.25 The IP address sending this message does not have a PTR record setup' },
  { pattern: /\bmismatches client ip\b/, seen: '550 domain [example.com] mismatches client ip 192.0.2.225.' },
  { pattern: /\bforbidden by invalid rdns\b/, seen: '551 Server access x forbidden by invalid RDNS record of your mail server' },
  { pattern: /\bip name (?:lookup|possibly forged)\b/, seen: '550 IP name possibly forged' },
];

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /ptr|rdns|reverse|hostname|mismatches client ip|ip name/;

export const table: ReasonPhrases = { reason: 'requireptr', rules, keys };
