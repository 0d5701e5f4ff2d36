/**
 * phrases/mailboxfull - the recipient's mailbox is over its quota (RFC 3463 X.2.2). Soft: the
 * mailbox exists.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'mailboxfull' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

const SISIMAI = 'Sisimai reason definition "mailboxfull" (recipient mailbox is full)';

export const rules: PhraseRule[] = [
  {
    pattern: /\b(?:mailbox|mail ?box|inbox|mail ?folder|maildir|mail ?drop|postbox)(?: (?!system\b|server\b|spool\b|disk\b)[^ :]{1,30}){0,3}? (?:is |was |has been |seems )?(?:currently |now |already )?(?:full|over (?:its |the |their )?(?:quota|limit|storage limit|size limit)|out of (?:storage|disk )?space)\b/,
    seen: '550 5.2.2 <x@example.jp>... Mailbox Full',
    variant: "452-4.2.2 The recipient's\n452-4.2.2 mailbox for this user is currently full, retry later",
    source: `RFC 3463 §3.3 X.2.2 "mailbox full"; Sendmail local mailer "Mailbox full"; ${SISIMAI}`,
  },
  {
    pattern: /\b(?:user|recipient|account|addressee)(?:'s)?(?: [^ :]{1,30}){0,2}? (?:is |has gone |went )?over (?:[^ :]{1,20} ){0,2}?quota\b|\bover ?quota\b/,
    seen: '552 5.2.2 <x@icloud.com>: user is over quota',
    variant: '552 5.2.2 <x@example.org>... addressee has gone over the storage quota',
    source: `Cyrus/Dovecot LMTP "Over quota"; Apple iCloud postmaster (support.apple.com/en-us/102322); ${SISIMAI}`,
  },
  {
    pattern: /(?<!\b(?:sending|message|daily|hourly|send|relay|rate|recipients?) )\bquota(?: [^ :]{1,20}){0,2}? (?:exceeded|exceeds|full|violation|reached|exhausted)\b|\b(?:exceeded|exceeds|exceeding) (?:[^ :]{1,20} ){0,2}?(?:disk |storage |mailbox |mail )quota\b/,
    seen: 'Disk quota exceeded',
    variant: "552 5.2.2 <x@example.net> Quota exceeded (mailbox for user is full)",
    source: 'Dovecot LMTP/LDA "Quota exceeded (mailbox for user is full)" (quota_exceeded_message); errno EDQUOT "Disk quota exceeded" as local(8) and Exim appendfile report it',
  },
  {
    pattern: /\b(?:mailbox|mail ?box|storage)(?: [^ :]{1,20}){0,2}? (?:size|space|storage)(?: [^ :]{1,20}){0,2}? (?:limit )?(?:exceeded|exceeds)\b|\bmailbox exceeds (?:[^ :]{1,20} ){0,2}?(?:size|limit)\b|\bexceeded (?:its |the |their )?storage (?:allocation|limit)\b|\bwould exceed (?:the )?(?:[^ :]{1,20} ){0,2}?(?:storage|quota|mailbox size)\b/,
    seen: '552 Requested mail action aborted: exceeded storage allocation',
    variant: '552 5.2.2 User mailbox exceeds the allowed size: x@example.co.jp',
    source: 'RFC 5321 §4.2.2 552 "Requested mail action aborted: exceeded storage allocation"; IMail "User mailbox exceeds allowed size"',
  },
  {
    pattern: /\b(?:insufficient|not enough|no more) (?:[^ :]{1,20} ){0,2}?(?:space|storage)(?: [^ :]{1,20}){0,3}? (?:user|mailbox|recipient|account|inbox)\b/,
    seen: '452 4.2.2 Insufficient storage space for the recipient',
    variant: '452 4.2.2 not enough free space left in the mailbox of this recipient',
    source: `RFC 3463 §3.3 X.2.2 (per-mailbox quota or capacity); ${SISIMAI} ("enough ... space")`,
  },
  {
    pattern: /\b(?:too many|number of) messages (?:[^ :]{1,20} ){0,4}?(?:mailbox|on the server|local limit)\b|\buser(?:'s)? space has been used up\b/,
    seen: "The number of messages in recipient's mailbox exceeded the local limit.",
    variant: 'user has too many messages on the server, cannot accept more',
    source: `${SISIMAI} ("user has too many messages on the server"); BIGLOBE bounce text`,
  },
  {
    pattern: /\bbo[iî]te (?:[^ :]{1,20} ){0,3}?pleine\b|\bpostfach (?:[^ :]{1,20} ){0,2}?voll\b|\bcasella (?:[^ :]{1,20} ){0,2}?piena\b|\bbuz[oó]n (?:[^ :]{1,20} ){0,2}?lleno\b/,
    seen: '552 boite pleine / mailbox full',
    variant: '552 5.2.2 Boite du destinataire pleine. Recipient mailbox full',
    source: `Orange/Wanadoo postmaster ("boite du destinataire pleine"); ${SISIMAI}`,
  },
  {
    phrase: 'too much mail data',
    seen: '552 too much mail data',
    variant: '552 5.2.2 too much mail data for this recipient',
    source: `NTT docomo reply for a full mailbox; ${SISIMAI} ("too much mail data" @docomo.ne.jp)`,
  },
  {
    pattern: /\bfull (?:mailbox|inbox)\b|\b(?:mailbox|inbox) full\b|\black of (?:[^ :]{1,20} ){0,2}?space in the mailbox\b/,
    seen: '550 5.2.2 full mailbox',
    variant: 'Due to the lack of free space in the mailbox, the message was not delivered',
    source: `${SISIMAI} ("full mailbox"); KDDI au bounce text "due to the lack of space in the mailbox"`,
  },
];

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /full|quota|exceed|storage|space|pleine|voll|piena|lleno|too many|number of|too much/;

export const table: ReasonPhrases = { reason: 'mailboxfull', rules, keys };
