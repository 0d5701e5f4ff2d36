/**
 * phrases/norelaying - the receiving server refused to relay: it is not the destination for the
 * recipient's domain, so our route or its configuration is wrong. Soft; never about the address.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'norelaying' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

const SISIMAI = 'Sisimai reason definition "norelaying" (connected host did not accept relaying)';

export const rules: PhraseRule[] = [
  {
    pattern: /\brelay(?:ing)? (?:access )?(?:denied|refused|rejected|not (?:permitted|allowed|authori[sz]ed)|prohibited|forbidden)\b/,
    seen: '554 5.7.1 <x@example.com>: Relay access denied',
    variant: '550 5.7.1 <x@example.net>... Relaying denied. Proper authentication required.',
    source: 'Postfix smtpd reject_unauth_destination "Relay access denied" (src/smtpd/smtpd_check.c); Sendmail "Relaying denied" (cf/m4/proto.m4 check_rcpt); Exim "relay not permitted" (default ACL, src/configure.default)',
  },
  {
    pattern: /\b(?:we |i )?(?:do not|don't|does not) relay\b|\bnot (?:a |an )?(?:open )?relay\b(?!:)|\b(?:is )?not (?:permitted|allowed|authori[sz]ed) to relay\b|\bno relaying\b|\brelaying mail to \S{1,60} is not allowed\b|\bnot configured to relay\b/,
    seen: '550 we do not relay',
    variant: '550 5.7.1 x@example.org is not permitted to relay through this server without authentication',
    source: `${SISIMAI} ("not permitted to relay through this server without authentication", "this system is not configured to relay mail", "no relaying")`,
  },
  {
    pattern: /\bunable to relay\b|\brelay access denied\b|\btenantattribution\b/,
    seen: '550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain',
    variant: '550 5.7.64 TenantAttribution; Relay Access Denied',
    source: 'Microsoft: Email non-delivery reports and SMTP errors in Exchange Online (5.7.54 "Unable to relay recipient in non-accepted domain", 5.7.64 "TenantAttribution; Relay Access Denied")',
  },
  {
    pattern: /\b(?:list|set) of allowed rcpthosts\b/,
    seen: "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)",
    variant: "553 sorry, that domain isn't in my\n list of allowed rcpthosts; no valid cert for gatewaying (#5.7.1)",
    source: 'qmail-smtpd "sorry, that domain isn\'t in my list of allowed rcpthosts (#5.7.1)" (qmail-smtpd.c err_nogateway)',
  },
  {
    pattern: /\binsecure mail relay\b|\bnot (?:a |an )?(?:local|accepted|hosted) domain\b|\bwe don't handle mail for\b|\bnot a gateway\b/,
    seen: '550 Insecure Mail Relay',
    variant: '550 5.7.1 example.net is not a hosted domain here',
    source: `${SISIMAI} ("insecure mail relay", "not local host", "we don't handle mail for", "not a gateway")`,
  },
  {
    pattern: /\bemail address is not verified\b/,
    seen: '554 Message rejected: Email address is not verified. The following identities failed the check',
    variant: '554 Message rejected: Email address is not verified. The following identities failed the check in region US-WEST-2: x@example.com',
    source: 'Amazon SES error "Email address is not verified" (docs.aws.amazon.com/ses: sandbox, unverified identity): the relay refuses our identity',
  },
];

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /relay|rcpthosts|domain|handle mail|gateway|not verified|tenantattribution/;

export const table: ReasonPhrases = { reason: 'norelaying', rules, keys };
