/**
 * phrases/securityerror - the receiver's security checks refused us: SMTP authentication required or
 * failed, not authorised to send (RFC 3463 X.7.x, RFC 4954). Soft; sender side.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'securityerror' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

const SISIMAI = 'Sisimai reason definition "securityerror" (security violation detected on the destination host)';

export const rules: PhraseRule[] = [
  {
    pattern: /\b(?:smtp )?auth(?:entication)? (?:is )?required\b|\bturn on smtp authentication\b|\bauthentication turned on in your email client\b/,
    seen: '530 5.7.0 Authentication required',
    variant: '550-Please turn on SMTP Authentication in your mail client.',
    source: 'RFC 4954 §6 ("530 5.7.0 Authentication required"); MessageLabs "Please turn on SMTP Authentication in your mail client"',
  },
  {
    pattern: /\b(?:sasl )?authentication (?:credentials invalid|failed|failure)\b|\busername and password not accepted\b|\bapplication-specific password required\b|\bplease log in (?:with|through) your web browser\b/,
    seen: '535 5.7.8 Authentication credentials invalid',
    variant: 'SASL authentication failed; server smtp.example.org[192.0.2.1] said: 535 5.7.8 Error: authentication failed',
    source: 'RFC 4954 §6 ("535 5.7.8 Authentication credentials invalid"); Postfix smtp client "SASL authentication failed; server %s said: %s" (src/smtp/smtp_sasl_glue.c); Google 535 5.7.8 "Username and Password not accepted"',
  },
  {
    pattern: /\bunauthenticated senders? not allowed\b|\bsender not authenticated\b|\bnot authenticated to send anonymous mail\b|\bnot authori[sz]ed to send mail,? authentication is required\b/,
    seen: '550 Unauthenticated senders not allowed',
    variant: '530 5.7.57 SMTP; Client was not authenticated to send anonymous mail during MAIL FROM',
    source: `Microsoft Exchange Online NDR 5.7.57 ("Client was not authenticated to send anonymous mail during MAIL FROM"); ${SISIMAI}`,
  },
  {
    pattern: /\bdelivery not authori[sz]ed\b|\bnot authori[sz]ed to send\b|\bresolver\.rst\.(?:notauthorized|authrequired)\b/,
    seen: '551 5.7.1 Recipient address rejected: Delivery not authorized.',
    variant: '550 5.7.1 RESOLVER.RST.NotAuthorized; not authorized to send to this recipient',
    source: 'RFC 3463 §3.8 X.7.1 "delivery not authorized, message refused"; Microsoft Exchange "RESOLVER.RST.NotAuthorized", "RESOLVER.RST.AuthRequired"',
  },
  {
    pattern: /\bsmtp server does not advertise auth\b|\bexecutable files are not allowed in compressed files\b|\bis not authorized to perform ses:sendrawemail\b|\baccount not subscribed to ses\b/,
    seen: 'Unspecified Error (SENT_SECOND_EHLO): Smtp server does not advertise AUTH capability',
    variant: '554 Access denied: User x is not authorized to perform ses:SendRawEmail on resource arn:aws:ses:us-east-1:1:identity/x@example.com',
    source: `Google Workspace "Smtp server does not advertise AUTH capability"; Amazon SES authorization errors; ${SISIMAI}`,
  },
];

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /auth|password|web browser|not allowed|anonymous|executable|ses/;

export const table: ReasonPhrases = { reason: 'securityerror', rules, keys };
