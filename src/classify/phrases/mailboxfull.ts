/**
 * phrases/mailboxfull - the recipient's mailbox is over its quota (RFC 3463 X.2.2). Soft.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'mailboxfull' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  { pattern: /\bmailbox (?:is )?(?:full|over ?quota|exceeded)\b/, seen: '550 5.2.2 <x@example.jp>... Mailbox Full' },
  { pattern: /\bover ?quota\b/, seen: '552 5.2.2 <x@icloud.com>: user is over quota' },
  { pattern: /\bquota (?:exceeded|full|violation)\b/, seen: 'Disk quota exceeded' },
  { pattern: /\b(?:storage|disk|mailbox|mail) quota\b/, seen: 'Storage quota exceeded' },
  { pattern: /\b(?:mailbox|mail ?box|inbox|mailfolder|mail folder) (?:is )?(?:currently )?full\b/, seen: "The e-mail message could not be delivered because the user's mailfolder is full." },
  { pattern: /\b(?:user|recipient|account)(?:'s)? (?:mailbox|mail ?folder|inbox|storage) is full\b/, seen: "User's mailbox is full: <x@example.jp>" },
  { pattern: /\bmailbox (?:size|space) (?:limit )?exceeded\b/, seen: '552 Mailbox size limit exceeded' },
  { pattern: /\bmailbox exceeds (?:allowed|its) size\b/, seen: 'User mailbox exceeds allowed size: x@example.co.jp' },
  { pattern: /\b(?:insufficient|not enough) (?:storage space|storage|space) (?:in|for) (?:the )?(?:user|mailbox|recipient)/, seen: '452 4.2.2 Insufficient storage space for the recipient' },
  { pattern: /\bexceeded (?:storage|the) (?:allocation|quota|storage)\b/, seen: '552 Requested mail action aborted: exceeded storage allocation' },
  { pattern: /\b(?:account|mailbox) (?:is )?over (?:its )?(?:quota|limit|storage)\b/, seen: 'This account is over quota.' },
  { pattern: /\b(?:inbox|mailbox) is out of (?:storage|space)\b/, seen: "552-5.2.2 The recipient's inbox is out of storage space and inactive.", note: 'Gmail OverQuotaPerm' },
  { pattern: /\bwould exceed (?:the )?(?:maximum )?(?:allowed )?(?:storage|quota|mailbox size)\b/, seen: '550 Recipient Rejected: Mailbox would exceed maximum allowed storage' },
  { phrase: 'mailbox is full', seen: 'mailbox is full: retry timeout exceeded', note: 'Exim local delivery' },
  { phrase: 'too much mail data', seen: '552 too much mail data', note: 'NTT docomo' },
  { phrase: 'their mailbox is full', seen: 'As their mailbox is full.', note: 'KDDI au' },
  { pattern: /\bboite (?:aux lettres )?pleine\b/, seen: '552 boite pleine / mailbox full', note: 'French providers' },
];

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /full|quota|exceed|storage|space|limit|too much|pleine/;

export const table: ReasonPhrases = { reason: 'mailboxfull', rules, keys };
