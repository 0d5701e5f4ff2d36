/**
 * phrases/securityerror - the receiver's security checks refused us (authentication required, TLS, not authorised). Soft.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'securityerror' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  { pattern: /\bauthentication (?:is )?required\b|\bsmtp auth(?:entication)? (?:is )?required\b|\bturn on smtp authentication\b/, seen: '530 5.7.0 Authentication required' },
  { pattern: /\bunauthenticated senders? not allowed\b|\bsender not authenticated\b/, seen: '550 Unauthenticated senders not allowed' },
  { pattern: /\bdelivery not authori[sz]ed\b|\bnot authori[sz]ed to send\b|\bresolver\.rst\.(?:notauthorized|authrequired)\b/, seen: '551 5.7.1 Recipient address rejected: Delivery not authorized.' },
  { pattern: /\b(?:tls|starttls|encryption) (?:is )?(?:required|needed)\b|\bmust issue a starttls\b/, seen: '530 5.7.0 Must issue a STARTTLS command first' },
  { pattern: /\bsmtp server does not advertise auth\b|\bcustomfromdenied\b/, seen: 'Unspecified Error (SENT_SECOND_EHLO): Smtp server does not advertise AUTH capability', note: 'Google Workspace custom From' },
];

export const table: ReasonPhrases = { reason: 'securityerror', rules };
