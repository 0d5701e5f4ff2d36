/**
 * phrases/spamdetected - the receiver's spam filter judged the message content to be spam.
 * Category 1, likely false positive.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'spamdetected' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

const SISIMAI = 'Sisimai reason definition "spamdetected" (rejected by a spam filter on the remote host)';

export const rules: PhraseRule[] = [
  {
    pattern: /\b(?:detected|scored|classified|identified|flagged|considered|rejected|recognized|marked|tagged|blocked|rated|judged|filtered|refused) (?:[^ :]{1,20} ){0,2}?(?:as|like|due to|for|to be) (?:being |probable |possible )?(?:a |an )?(?:spam|junk|bulk(?: e-?mail| mail)?)\b/,
    seen: '554 5.6.0 This message has been scored as spam with a probability of more than 90%',
    variant: '550 5.7.1 The email message was detected\n as SPAM by our filters',
    source: `${SISIMAI} ("this message has been scored as spam", "the email message was detected as spam", "message rejected as spam"); spam-block-patterns.tsv`,
  },
  {
    pattern: /\b(?:spam|junk)(?: [^ :]{1,20}){0,1}? (?:detected|content|message|score|filter(?:ing)?|classification|suspected|rejected|refused|blocked|check|profiler|not accepted|rejection)\b/,
    seen: 'Recipient address rejected: Spam detected.',
    variant: '554 5.7.1 spam content matched - message refused by the spam filtering engine',
    source: `${SISIMAI} ("spam detected", "spam content matched", "spam score ", "spam not accepted", "spam refused")`,
  },
  {
    pattern: /\b(?:suspected|probable|possible) (?:spam|bulk|junk)\b|\b(?:looks?|looked|seems?|appears?) (?:[^ :]{1,20} ){0,2}?(?:like |to be )?(?:spam|junk|unsolicited)\b/,
    seen: 'Your message looks like SPAM or has been reported as SPAM',
    variant: '550 this message appears to be spam and was not delivered',
    source: `${SISIMAI} ("message looks like spam", "this message appears to be spam", "probable spam", "mail appears to be unsolicited")`,
  },
  {
    pattern: /\b(?:message|mail|email|e-mail) (?:is|was|appears to be|seems to be|is probably|is considered) (?:a |an )?(?:spam|junk)\b|\bhigh (?:probability|likelihood) of (?:being )?spam\b|\bprobability of being spam\b/,
    seen: '550 Your message is spam',
    variant: '554 Your email is probably spam - rejected',
    source: `${SISIMAI} ("your email is probably spam", "high probability of spam", "our filters rate at and above ... percent probability of being spam")`,
  },
  {
    pattern: /\bconsider(?:ed)? (?:to be |as )?(?:spam|junk|unsolicited bulk)\b|\bmay consider spam\b|\bspam policy\b|\banti-?spam (?:polic(?:y|ies)|checks?|engine)\b/,
    seen: '554 5.7.1 The message from (<x@example.com>) with the subject of (hello) matches a profile the Internet community may consider spam.',
    variant: '550 rejected: your message failed several antispam checks',
    source: `${SISIMAI} ("may consider spam", "considered unsolicited bulk e-mail (spam) by our mail filters", "your message failed several antispam checks")`,
  },
  {
    pattern: /\bspamassassin\b|\bspambouncer\b|\bspamprofiler\b|\brecurrent pattern detection\b/,
    seen: '550 rejected: SpamAssassin score 12.3 > 5.0',
    variant: '554 Message refused by MailMarshal SpamProfiler',
    source: `SpamAssassin (spamass-milter reject text); ${SISIMAI} ("message refused by mailmarshal spamprofiler", "this message was rejected by recurrent pattern detection system")`,
  },
  {
    pattern: /\b(?:message|mail|email) content (?:rejected|refused|denied)\b|\bcontent (?:rejected|filtered|refused|filter rejection)\b|\bunacceptable content\b|\brejecting (?:mail |banned )?content\b/,
    seen: '550 5.7.1 Message content rejected, UBE, id=00000-22-225',
    variant: '550 Mail content denied. http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=20022&&no=1000726',
    source: `amavisd-new "Message content rejected, UBE, id=%n" (amavisd.conf $reject_spam_msg); Tencent QQ Mail help 1000726 ("Mail content denied"); ${SISIMAI}`,
  },
  {
    pattern: /\bube\b|\bunsolicited (?:bulk |commercial )?(?:mail|e-?mail|message)s?\b|\blikely unsolicited\b|\bbulk (?:e-?mail|mail)(?: [^ :]{1,20}){0,2}? (?:rejected|refused|not accepted)\b|\breject bulk\.advertising\b/,
    seen: '550-5.7.1 Our system has detected that this message is likely unsolicited mail.',
    variant: '550 5.7.1 unsolicited bulk email rejected by content filter',
    source: 'Google support.google.com/a/answer/3726730 (550 5.7.1 "likely unsolicited mail"); amavisd-new "UBE" (unsolicited bulk email)',
  },
  {
    pattern: /\b(?:blacklisted|blocklisted|listed) (?:url|uri|link|domain)s? in (?:the |your )?(?:message|body|content)\b|\buribl policy\b/,
    seen: '550-REJECTED - Blacklisted URL in message.',
    variant: '554 5.7.1 rejected: listed URL in message body (see uribl.com)',
    source: 'URIBL/SURBL (content blocklists of domains found in message bodies, uribl.com, surbl.org); Sisimai reason definition "spamdetected" ("blacklisted url in message", "your email breaches local uribl policy")',
    note: 'URI blocklists judge the content, not the sender IP',
  },
  {
    pattern: /\bmail rejete\.? mail rejected\b|\bofr_50[6-9]\b/,
    seen: '550 5.2.0 Mail rejete. Mail rejected. ofr_506 [506]',
    variant: '550 5.7.1 Mail rejete. Mail rejected. OFR_506 [506] contenu refuse',
    source: 'Orange postmaster (OFR_506: content rejected by the Orange/Wanadoo filter); Sisimai reason definition "spamdetected" ("mail rejete. mail rejected. ... 506")',
  },
  {
    pattern: /\bspam (?:or|and|\/) (?:virus|malware)\b|\b(?:virus|malware) (?:or|and|\/) spam\b/,
    seen: '554 Message refused: spam or virus',
    variant: '550 message considered as spam or virus - refused',
    source: `${SISIMAI} ("message considered as spam or virus", "message contains spam or virus", "possible spam/virus content")`,
  },
  {
    pattern: /\bnature of the content\b|\bspam-like characteristics\b|\bsimilar to spam\b|\btriggered a spam block\b/,
    seen: '421-4.7.0 This message is suspicious due to the nature of the content or the links within.',
    variant: '550 5.7.1 rejected: your email appears similar to spam we have received before',
    source: `Google support.google.com/a/answer/3726730 (421 4.7.0 "nature of the content or the links within"); ${SISIMAI}`,
  },
  {
    pattern: /\bsend(?:ing)? spam\b|\bspam message\b|\bwe (?:do not|dont|don't) accept spam\b|\btoo much spam\b|\bspamming not allowed\b/,
    seen: 'transaction failed spam message not queued',
    variant: '550 we dont accept spam - message refused',
    source: `SendGrid "transaction failed spam message not queued"; ${SISIMAI} ("we dont accept spam", "too much spam.", "spamming not allowed")`,
  },
  {
    pattern: /\b(?:rejecting |rejected )?spoofed (?:message|mail|e-?mail|sender)\b|\b(?:brand |sender )?impersonation (?:detected|attempt)\b/,
    seen: '550 rejecting spoofed message',
    variant: '550 5.7.1 Message rejected: spoofed sender detected by anti-spoofing filter',
    source: 'Barracuda Email Security Gateway sender spoof protection ("rejecting spoofed message", smtp.codes/550); a filter\'s verdict on the message, not the address',
  },
  {
    pattern: /\breject, id=\S{1,40} - (?:spam|spammy)\b|\s- spam\b/,
    seen: '554 5.7.0 Reject, id=20025-09 - SPAM',
    variant: '554 5.7.0 Reject, id=31337-13 - SPAMMY',
    source: 'amavisd-new "Reject, id=%n - SPAM" ($final_spam_destiny D_REJECT, amavisd.conf)',
  },
];

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /spoofed|impersonation|spam|junk|bulk|ube|unsolicited|content|listed|rejete|ofr_50|nature of|similar to|uribl|recurrent pattern|spamprofiler/;

export const table: ReasonPhrases = { reason: 'spamdetected', rules, keys };
