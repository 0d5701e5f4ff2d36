/**
 * phrases/spamdetected - the receiver's spam filter judged the message content to be spam. Category 1, likely false positive.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'spamdetected' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

export const rules: PhraseRule[] = [
  { pattern: /\b(?:detected|scored|classified|identified|flagged|considered|rejected|recognized|marked|tagged|blocked) (?:as|like|due to|for) (?:being )?(?:a )?(?:spam|junk|bulk)\b/, seen: '554 5.6.0 This message has been scored as spam with a probability of more than 90%' },
  { pattern: /\b(?:spam|junk) (?:detected|content|message|score|filter|classification|suspected|rejected)\b/, seen: 'Recipient address rejected: Spam detected.' },
  { pattern: /\bsuspected (?:spam|bulk|junk)\b/, seen: '550 message rejected due to suspected spam content' },
  { pattern: /\b(?:looks|look|looked) like (?:spam|junk)\b/, seen: 'Your message looks like SPAM or has been reported as SPAM' },
  { pattern: /\b(?:message|mail|email) (?:is|was|appears to be|seems to be) (?:a )?(?:spam|junk)\b/, seen: '550 Your message is spam' },
  { pattern: /\bhigh (?:probability|likelihood) of (?:being )?spam\b/, seen: '554 high probability of spam' },
  { pattern: /\bconsider(?:ed)? (?:to be |as )?(?:spam|junk)\b|\bspam policy\b|\banti-?spam polic(?:y|ies)\b/, seen: '554 5.7.1 The message from (<x@example.com>) with the subject of (hello) matches a profile the Internet community may consider spam.' },
  { phrase: 'spamassassin', seen: '550 rejected: SpamAssassin score 12.3 > 5.0' },
  { pattern: /\b(?:message|mail) content (?:rejected|refused|denied)\b/, seen: '550 5.7.1 Message content rejected, UBE, id=00000-22-225' },
  { pattern: /\bcontent (?:rejected|filtered|refused)\b/, seen: '550 5.7.1 message content rejected' },
  { pattern: /\bube\b/, seen: '550 5.7.1 Message content rejected, UBE, id=00000-22-225', note: 'unsolicited bulk email (amavis)' },
  { pattern: /\blikely unsolicited\b/, seen: '550-5.7.1 Our system has detected that this message is likely unsolicited mail.', note: 'Gmail' },
  { pattern: /\bunsolicited (?:bulk |commercial )?(?:mail|e-?mail|message)\b/, seen: '550 unsolicited mail rejected' },
  { pattern: /\b(?:blacklisted|blocklisted|listed) (?:url|link|domain in (?:the )?message)\b/, seen: '550-REJECTED - Blacklisted URL in message.', note: 'URI blocklists judge the content, not the sender IP' },
  { phrase: 'mail rejete. mail rejected', seen: '550 5.2.0 Mail rejete. Mail rejected. ofr_506 [506]', note: 'Orange/Wanadoo content filter' },
  { pattern: /\bspam (?:or|and) (?:virus|malware)\b/, seen: '554 Message refused: spam or virus' },
  { pattern: /\bthe content of this message (?:looked|looks) like spam\b/, seen: 'The content of this message looked like spam' },
  { pattern: /\bnature of the content\b/, seen: '421-4.7.0 This message is suspicious due to the nature of the content or the links within.', note: 'Gmail' },
  { pattern: /\bsend ?(?:ing)? spam\b|\bspam message\b/, seen: 'transaction failed spam message not queued' },
  { pattern: /^(?:\S+; )?(?:[245]\d\d )?(?:[245]\.\d+\.\d+ )?reject, id=\S+ - spam\b/, seen: '554 5.7.0 Reject, id=20025-09 - SPAM', note: 'amavisd-new' },
];

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /spam|junk|bulk|ube|unsolicited|content|listed|rejete/;

export const table: ReasonPhrases = { reason: 'spamdetected', rules, keys };
