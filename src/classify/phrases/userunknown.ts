/**
 * phrases/userunknown - the recipient mailbox does not exist (Sisimai "userunknown"; RFC 3463 X.1.1).
 * In: normalised diagnostic. Out: 'userunknown', or 'filtered' / 'rejected' when the text came back
 * to a command other than RCPT TO (see refine). Config keys: none.
 */
import type { Context, PhraseRule, ReasonPhrases } from '../rules.js';
import type { Reason } from '../../types.js';

export const rules: PhraseRule[] = [
  { pattern: /\b(?:user|recipient|mailbox|addressee|account|address) (?:is )?unknown\b/, seen: '550 5.1.1 <x@example.jp>... User Unknown' },
  { pattern: /\bunknown (?:user|recipient|mailbox|local[- ]part|address(?:ee)?(?! error)|e-?mail address)\b/, seen: '550 Unknown user x@example.ne.jp' },
  { pattern: /\bno such (?:user|recipient|mailbox|account|address|local user|person)\b/, seen: '550 - Requested action not taken: no such user here' },
  { pattern: /\b(?:user|recipient|mailbox|account|address|addressee) (?:was )?not found\b/, seen: '550 5.1.1 <x@privaterelay.appleid.com>: user not found' },
  { pattern: /\b(?:user|recipient|mailbox|account|e-?mail address|address|addressee|user account)(?: \S+)? (?:does not|doesn't|doesnt|did not|no longer) exists?\b/, seen: '550 5.1.1 Mailbox does not exist' },
  { pattern: /\b(?:user|mailbox|recipient|address) not exists?\b/, seen: '550 <x@example.co.jp>... User not exist' },
  { phrase: 'the email account that you tried to reach does not exist', seen: "550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address", note: 'Gmail; a counter-example to the spam patterns' },
  { pattern: /\bdoesn't have an? [a-z0-9.-]+ account\b/, seen: "554 delivery error: dd This user doesn't have a yahoo.com account (x@yahoo.com) [0]", note: 'Yahoo' },
  { pattern: /\binvalid (?:recipient|mailbox|user|address|e-?mail address|final delivery userid)\b/, seen: '553 Invalid recipient x@example.org (Mode: normal)' },
  { pattern: /\brecipient (?:address )?(?:is )?invalid\b/, seen: '550 5.1.1 Recipient address is invalid' },
  { phrase: 'adresse destinataire invalide', seen: '550 5.5.0 Adresse destinataire invalide. Invalid recipient. LPN007_416', note: 'La Poste' },
  { pattern: /\b(?:ex)?recip(?:ient)?notfound\b/, seen: '#550 5.1.1 RESOLVER.ADR.ExRecipNotFound; not found ##', note: 'Exchange' },
  { phrase: 'recipient address rejected: access denied', seen: '550 5.4.1 Recipient address rejected: Access denied. AS(201806281)', note: 'Microsoft 365 directory-based edge blocking: the address is not in the tenant' },
  { phrase: 'no mailbox here by that name', seen: "Sorry, no mailbox here by that name. (#5.1.1)", note: 'qmail' },
  { phrase: 'mailbox unavailable', seen: '550 Requested action not taken: mailbox unavailable', note: 'Outlook.com and Amazon SES inbound use it for a missing mailbox' },
  { pattern: /\bunknown or illegal alias\b/, seen: '550 unknown or illegal alias: x@example.jp' },
  { pattern: /\bnot (?:a )?valid (?:recipient|mailbox|user)\b/, seen: '550 x@example.com is not a valid mailbox' },
  { pattern: /\bno (?:such )?mailbox (?:here|for|by)\b/, seen: '550 No mailbox for x@example.org' },
  { pattern: /\b(?:user|mailbox|recipient) (?:name )?is not (?:known|recognized|recognised)\b/, seen: '550 mailbox is not known here' },
  { pattern: /\b(?:address|user|recipient) (?:lookup|rejected) (?:failed|: user unknown)\b/, seen: '550 5.1.1 Address lookup failed' },
  { pattern: /\bnot (?:our|a local) (?:user|customer)\b/, seen: '550 not our customer', note: 'sendmail-style "not our user"; 551 with 5.1.6 is handled as hasmoved first' },
  { pattern: /\b(?:this|the) (?:user|recipient|mailbox) (?:is )?(?:does not|doesn't) exist\b/, seen: '550 This user does not exist' },
  { pattern: /\bmailbox (?:name )?not allowed\b/, seen: '553 mailbox name not allowed' },
  { phrase: 'address not found', seen: '** Address not found **', note: 'Gmail/G Suite human-readable bounce' },
  { pattern: /\b(?:email |e-mail )?address (?:you entered )?(?:couldn't|could not) be found\b/, seen: "Your message wasn't delivered to x@example.it because the address couldn't be found.", note: 'Gmail, Exchange Online' },
  { phrase: "wasn't found at the destination domain", seen: "The email address wasn't found at the destination domain.", note: 'Exchange Online' },
  { pattern: /\bnot listed in (?:the )?(?:domino directory|public name & address book|address book|directory)\b/, seen: 'User someone (someone@example.com) not listed in Domino Directory', note: 'Lotus Domino' },
  { pattern: /\binactive (?:e-?mail )?address\b/, seen: '550 5.1.1 <x@icloud.com>: inactive email address', note: 'iCloud: the address is gone (a counter-example in spam-block-patterns.tsv)' },
];

/**
 * The reporting system's own lookup failed (Gmail's and Exchange's directory resolution, qmail's
 * local delivery): a statement about the address itself, whatever the SMTP stage. Replies relayed
 * from a remote server ("user unknown", Gmail's and Yahoo's SMTP texts included) depend on the
 * command they answered, which the text alone does not tell.
 */
const EXPLICIT =
  /address (?:you entered )?(?:couldn't|could not) be found|wasn't found at the destination domain|recip(?:ient)?notfound|no mailbox here by that name/;

/** Status details that name the mailbox itself (RFC 3463 X.1.0/1/3/4). */
const ADDRESS_STATUS = /^[45]\.1\.(?:0|1|3|4)$/;

/**
 * "User unknown" only proves a bad address when it answered RCPT TO or carries an X.1.x code.
 * Answered to DATA (or with no command and no such code) it is a per-recipient filter after the
 * address was accepted (Sisimai "filtered"); answered to MAIL FROM it is about our sender.
 */
export function refine(ctx: Context, evidence: string): Reason | null {
  // RFC 5321's 450 "mailbox unavailable" is "busy, try later": not about existence.
  if (evidence === 'mailbox unavailable' && ctx.klass === '4') return null;
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
