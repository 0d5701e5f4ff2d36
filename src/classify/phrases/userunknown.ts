/**
 * phrases/userunknown - the recipient mailbox does not exist (RFC 3463 X.1.1; Sisimai "userunknown").
 * In: normalised diagnostic. Out: 'userunknown', or 'filtered' / 'rejected' when the text came back
 * to a command other than RCPT TO (see refine). Config keys: none.
 */
import type { Context, PhraseRule, ReasonPhrases } from '../rules.js';
import type { Reason } from '../../types.js';

const SISIMAI = 'Sisimai reason definition "userunknown" (local part of the recipient address does not exist)';

export const rules: PhraseRule[] = [
  {
    pattern: /\b(?:user|recipient|mailbox|addressee|account|address|local ?part|e-?mail address|user ?name|alias)(?: (?!is\b|not\b|was\b|domain\b|host\b|server\b|system\b|mx\b)[^ :]{1,40}){0,2}? (?:is |was )?(?:unknown|non-?existent)\b(?! (?:domain|host)\b)/,
    seen: '550 5.1.1 <x@example.jp>... User Unknown',
    variant: '550 5.1.1 <x@example.org>: Recipient address rejected: User unknown in virtual mailbox table',
    source: `Sendmail "User unknown" (sendmail/recipient.c, 550 5.1.1); Postfix smtpd "Recipient address rejected: User unknown in %s table" (src/smtpd/smtpd_check.c); ${SISIMAI}`,
  },
  {
    pattern: /\b(?:unknown|non-?existent|nonexisting|invalid|bad) (?:local[- ]?)?(?:user|recipient|mailbox|local[- ]part|addressee|e-?mail address|e-?mail account|account|alias|user ?name|final delivery userid|address(?! error))\b/,
    seen: '550 Unknown user x@example.ne.jp',
    variant: '550 5.1.1 <x@example.org>: unknown local-part "x" in domain example.org',
    source: `Postfix local(8) "unknown user: \\"%s\\"" (src/local/unknown.c); Exim "unknown local-part" (acl verify = recipient); ${SISIMAI} ("unknown recipient", "unknown local-part", "invalid recipient")`,
  },
  {
    pattern: /\bno such (?:\S{1,20} )?(?:user|recipient|mailbox|account|address|local user|person|addressee)\b|\bno (?:mailbox|mail box|account) (?:here |found |available )?(?:by|with|for) (?:that|this) (?:name|user)\b|\bno mailbox (?:here|found|available)\b/,
    seen: '550 - Requested action not taken: no such user here',
    variant: "550 5.1.1 Sorry, no mailbox here by that name. (#5.1.1)",
    source: `qmail-local/qmail-send "Sorry, no mailbox here by that name. (#5.1.1)"; Courier "No such user"; ${SISIMAI} ("no such user", "no mailbox by that name is currently available")`,
  },
  {
    pattern: /\b(?:user|recipient|mailbox|account|address|addressee|e-?mail address|destination address)(?: (?!is\b|was\b|domain\b|host\b|server\b|system\b|mx\b)[^ :]{1,40}){0,2}? (?:was |is )?not (?:found|known|present|recogni[sz]ed|exists?)\b/,
    seen: '550 5.1.1 <x@privaterelay.appleid.com>: user not found',
    variant: '550 5.1.1 Recipient x@example.org was not found in the directory',
    source: `Exchange "550 5.1.1 RESOLVER.ADR.RecipNotFound; not found"; ${SISIMAI} ("user not found", "recipient not found", "user not known", "mailbox not present")`,
  },
  {
    pattern: /\b(?:user|recipient|mailbox|account|e-?mail address|address|addressee|user account|local ?part|destination mailbox)(?: (?!is\b|domain\b|host\b|server\b|system\b|mx\b)[^ :]{1,40}){0,2}? (?:does not|doesn't|doesnt|did not|do not) exists?\b/,
    seen: '550 5.1.1 Mailbox does not exist',
    variant: '550 5.1.1 <x@example.org>: the user account you addressed does not exist here',
    source: `RFC 3463 §3.2 X.1.1 ("the mailbox specified in the address does not exist"); ${SISIMAI} ("mailbox does not exist", "user does not exist", "recipient does not exist")`,
  },
  {
    pattern: /\b(?:the )?email account that you tried to reach does not exist\b|\bthis user doesn't have an? \S{1,60} account\b/,
    seen: "550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address",
    variant: "554 delivery error: dd This user doesn't have a yahoo.co.jp account (x@yahoo.co.jp) [0]",
    source: 'Google support.google.com/a/answer/3726730 (550 5.1.1 "The email account that you tried to reach does not exist"); Yahoo Sender Hub SMTP error codes ("This user doesn\'t have a yahoo.com account")',
  },
  {
    pattern: /\b(?:recipient|address|mailbox|user) (?:(?!domain\b|host\b|sender\b)[^ :]{1,20} ){0,2}?(?:is )?(?:invalid|not valid|no longer valid)\b|\bnot (?:a )?valid (?:recipient|mailbox|user|address|e-?mail address)\b|\bis not an? (?:known user|active address)\b/,
    seen: '550 5.1.1 Recipient address is invalid',
    variant: '550 5.1.1 <x@example.com> is not a valid mailbox here',
    source: `${SISIMAI} ("is not a valid mailbox", "is not a known user", "is not an active address at this host", "this email address is wrong or no longer valid")`,
  },
  {
    pattern: /\b(?:ex)?recip(?:ient)? ?notfound\b|\brecipient not found by smtp address lookup\b|\bwasn't found at the destination domain\b|\(000c05a6\)/,
    seen: '#550 5.1.1 RESOLVER.ADR.ExRecipNotFound; not found ##',
    variant: '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup',
    source: 'Microsoft: Email non-delivery reports and SMTP errors in Exchange Online (5.1.1 RESOLVER.ADR.RecipNotFound / ExRecipNotFound, 5.1.10 RecipientNotFound); Exchange 2000/2003 IMS "MSEXCH:IMS:... (000C05A6) Unknown Recipient" (Sisimai lhost/exchange2003 error codes)',
  },
  {
    pattern: /\baddress (?:you entered )?(?:couldn't|could not|can't|cannot) be found\b|(?<!\bip )\b(?:e-?mail )?address (?:\S{1,20} )?(?:was )?not found\b/,
    seen: "Your message wasn't delivered to x@example.it because the address couldn't be found.",
    variant: '** Address not found ** Your message was not delivered because the address could not be found.',
    source: 'Google Workspace / Gmail bounce text "Address not found ... because the address couldn\'t be found" (support.google.com/mail/answer/7720); Exchange Online NDR text',
  },
  {
    pattern: /\bnot listed in (?:the |our )?(?:domino directory|public name (?:&|and) address book|address book|(?:\S{1,20} )?directory)\b|\bdirectory lookup failed\b/,
    seen: 'User someone (someone@example.com) not listed in Domino Directory',
    variant: 'User x (x@example.com) is not listed in public Name & Address Book',
    source: 'HCL/IBM Domino router "User %s not listed in Domino Directory" / "not listed in public Name & Address Book"',
  },
  {
    pattern: /\brequested action not taken: mailbox unavailable\b|\bmailbox (?:is )?unavailable\b/,
    seen: '550 Requested action not taken: mailbox unavailable',
    variant: '550 5.1.1 Requested action not taken:\n mailbox unavailable (S2017062302)',
    source: `RFC 5321 §4.2.2 550 "Requested action not taken: mailbox unavailable (e.g., mailbox not found ...)"; Outlook.com answers it for a missing mailbox; ${SISIMAI}`,
    note: 'the RFC text also covers "no access" and policy; only a permanent code at RCPT makes it an address verdict (refine)',
  },
  {
    pattern: /\brecipient address rejected: access denied\b|\bas\(201806281\)/,
    seen: '550 5.4.1 Recipient address rejected: Access denied. AS(201806281)',
    variant: '550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [x.prod.outlook.com]',
    source: 'Microsoft Exchange Online directory-based edge blocking (550 5.4.1 "Recipient address rejected: Access denied", the recipient is not in the tenant)',
  },
  {
    pattern: /\badresse (?:d au moins un )?destinataire invalide\b|\butilisateur inconnu\b|\bno existe (?:dicha persona|ese usuario)\b|\bnessun utente simile\b|\bweil die adresse nicht gefunden wurde\b/,
    seen: '550 5.5.0 Adresse destinataire invalide. Invalid recipient. LPN007_416',
    variant: '550 5.1.1 Utilisateur inconnu ! Unknown user',
    source: `La Poste/Orange postmaster (LPN007_416 "Adresse destinataire invalide"); ${SISIMAI} ("utilisateur inconnu !", "no existe dicha persona", "nessun utente simile in questo indirizzo")`,
  },
  {
    pattern: /\bunknown or illegal alias\b|\bbadrcptto\b|\bbad ?recipient\b|\bvdeliver: invalid or unknown virtual user\b|\bthere is no one at this address\b/,
    seen: '550 unknown or illegal alias: x@example.jp',
    variant: '553 sorry, your envelope recipient is in my badrcptto list (#5.7.1)',
    source: `Apple iCloud "unknown or illegal alias" (support.apple.com/en-us/102322); qmail badrcptto patch; ${SISIMAI}`,
  },
  {
    pattern: /\b(?:account|mailbox|address)(?: [^ :]{1,30}){0,2}? (?:has been |is |was )?(?:closed|deleted|removed|marked as invalid|no longer exists)\b|\b(?:closed|deleted) (?:account|mailbox)\b/,
    seen: '550 <x@example.com>: Recipient address rejected: Account Closed',
    variant: '550 5.1.1 <x@example.ch>: Recipient address rejected: User email address is marked as invalid',
    source: 'German provider survey of unknown-user replies (sitepackage.de: "Recipient address rejected: Account Closed"); Spambrella email delivery error codes (spambrella.com/faq/email-delivery-error-codes: "User email address is marked as invalid", its valid-recipient list); RFC 3463 §3.2 X.1.1',
    note: 'the account was closed or listed as invalid by its owner: the address is gone',
  },
  {
    pattern: /\bmailbox (?:name )?not allowed\b/,
    seen: '553 mailbox name not allowed',
    variant: '553 5.1.3 Requested action not taken: mailbox name not allowed',
    source: 'RFC 5321 §4.2.2 553 "Requested action not taken: mailbox name not allowed"',
  },
  // The reporting MTA's own sentences about its own delivery attempt (decoder-qualified).
  {
    phrase: 'ディレクトリのリストにありません',
    seen: 'ディレクトリのリストにありません',
    variant: 'ユーザー x (x@example.jp) はディレクトリのリストにありません',
    source: 'HCL/IBM Notes router, Japanese localisation of "not listed in Domino Directory" (Sisimai lhost/notes MessagesOf "userunknown")',
    mta: ['notes', 'domino'],
  },
  {
    pattern: /\bunknown user\b|\buser unknown\b|\bno such user\b/,
    seen: 'Unknown user: alice@example.com',
    variant: 'no such user (local delivery)',
    source: 'Ipswitch IMail "Unknown user:" (Sisimai lhost/imailserver MessagesOf); BIGLOBE "User unknown" (Sisimai lhost/biglobe); DragonFly dma local delivery "no such user" (libexec/dma/local.c)',
    note: "the reporting server's own mailbox lookup, not a relayed reply: no SMTP stage needed",
    mta: ['imailserver', 'biglobe', 'dragonfly'],
  },
  {
    pattern: /^unknown user: "|\bunknown user: "[^"]{1,64}"/,
    seen: 'unknown user: "bob"',
    variant: '<bob@example.org>: unknown user: "bob"',
    source: 'Postfix local(8) "unknown user: \"%s\"" (src/local/unknown.c)',
    mta: ['postfix'],
  },
  {
    pattern: /\bcheck if (?:the )?address is correct\b/,
    seen: 'Unable to deliver message to <x@example.jp> (and other recipients in the same domain). Please check if address is correct.',
    variant: 'Unable to deliver message to <x@example.org>. Please check if the address is correct.',
    source: 'Trend Micro InterScan Messaging Security bounce text (Sisimai lhost/trendmicro)',
    mta: ['trendmicro'],
  },
  {
    pattern: /\binvalid user address\b|\bno valid recipients\b/,
    seen: 'Error: Invalid user address',
    variant: 'Error: No valid recipients',
    source: 'Verizon Online mail system bounce text (Sisimai lhost/verizon)',
    mta: ['verizon'],
  },
];

/**
 * The reporting system's own lookup failed (Gmail's and Exchange's directory resolution, qmail's
 * local delivery): a statement about the address itself, whatever the SMTP stage. Replies relayed
 * from a remote server ("user unknown", Gmail's and Yahoo's SMTP texts included) depend on the
 * command they answered, which the text alone does not tell.
 */
const EXPLICIT =
  /address (?:you entered )?(?:couldn't|could not) be found|wasn't found at the destination domain|recip(?:ient)? ?notfound|recipient not found by smtp address lookup|no mailbox here by that name|not listed in (?:the )?(?:domino directory|public name)|as\(201806281\)|recipient name is not recognized|invalid final delivery userid|\(000c05a6\)/;

/** Status details that name the mailbox itself (RFC 3463 X.1.0/1/3/4, Exchange's X.1.10). */
const ADDRESS_STATUS = /^[45]\.1\.(?:0|1|3|4|10)$/;

/**
 * "User unknown" only proves a bad address when it answered RCPT TO or carries an X.1.x code.
 * Answered to DATA (or with no command and no such code) it is a per-recipient filter after the
 * address was accepted (Sisimai "filtered"); answered to MAIL FROM it is about our sender.
 */
export function refine(ctx: Context, evidence: string): Reason | null {
  // RFC 5321's 450 "mailbox unavailable" is "busy, try later": not about existence.
  if (/mailbox (?:is )?unavailable/.test(evidence) && ctx.klass === '4') return null;
  if (ADDRESS_STATUS.test(ctx.status) || EXPLICIT.test(evidence)) return 'userunknown';
  switch (ctx.command) {
    case 'RCPT':
      return 'userunknown';
    case 'MAIL':
      return 'rejected';
    case 'DATA':
      return 'filtered';
    default:
      // No command known: trust the text unless the code says nothing (X.0.0) or "mailbox status".
      return ctx.status === '' || /^[45]\.(?:0\.0|2\.\d+)$/.test(ctx.status) ? 'filtered' : 'userunknown';
  }
}

export const table: ReasonPhrases = { reason: 'userunknown', rules, refine };
