/**
 * phrases/failedstarttls - TLS was required (by either side) and could not be used: the receiver
 * demands STARTTLS, our client demands TLS and the receiver does not offer it, the handshake or the
 * certificate check (MTA-STS, DANE) failed. Soft; a configuration problem, not an address verdict.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'failedstarttls' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  {
    pattern: /\bmust issue a starttls command first\b|\bstarttls (?:is )?required\b|\btls (?:is )?(?:required|mandatory),?(?: [^ :]{1,20}){0,3}? (?:but|for|to)\b|\b(?:encryption|tls) required for (?:rcpt|this) domain\b|\brequiretls\b/,
    seen: '530 5.7.0 Must issue a STARTTLS command first',
    variant: 'TLS is required, but was not offered by host mx.example.org[192.0.2.1]',
    source: 'RFC 3207 §4 ("530 5.7.0 Must issue a STARTTLS command first"); Postfix smtp client "TLS is required, but was not offered by host %s" (src/smtp/smtp_proto.c); RFC 8689 §5 (REQUIRETLS)',
  },
  {
    pattern: /\ba tls session is required\b|\bstarttls (?:\S{1,20} )?(?:failed|failure|not supported|not offered)\b|\btls (?:handshake|negotiation)(?: [^ :]{1,20}){0,1}? (?:failed|failure|error)\b|\bcannot start tls\b|\bcannot (?:negotiate|establish) tls\b/,
    seen: 'TLS negotiation failed with error: certificate verify failed',
    variant: 'a TLS session is required, but an attempt to start TLS failed',
    source: 'Exim smtp transport "a TLS session is required, but the server did not offer TLS support" / "... an attempt to start TLS failed" (src/transports/smtp.c, hosts_require_tls); Postfix "Cannot start TLS: handshake failure" (src/smtp/smtp_proto.c)',
  },
  {
    pattern: /\bserver certificate (?:not (?:verified|trusted)|verification failed)\b|\bcertificate (?:verify|verification) failed\b|\bfailed mta-sts validation\b|\bcertificate-expired\b|\bdane (?:\S{1,20} )?(?:validation )?fail/,
    seen: '4.7.5 Server certificate not verified',
    variant: '451 4.4.8 MX hosts of example.org failed MTA-STS validation',
    source: 'Postfix smtp client "Server certificate not verified" / "not trusted" (src/smtp/smtp_proto.c, smtp_tls_security_level=verify/secure); RFC 8461 (MTA-STS); Microsoft Exchange Online 4.4.8/5.4.8 "failed MTA-STS validation"',
  },
];

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /starttls|tls|encryption|certificate|mta-sts|dane/;

export const table: ReasonPhrases = { reason: 'failedstarttls', rules, keys };
