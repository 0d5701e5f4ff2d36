/**
 * phrases/virusdetected - the receiver's virus scanner rejected the message. Category 1 (content),
 * likely false positive: a scanner's verdict on our message, nothing about the address.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'virusdetected' when a rule matches.
 * Config keys: none.
 */
import type { PhraseRule, ReasonPhrases } from '../rules.js';

const SISIMAI = 'Sisimai reason definition "virusdetected" (rejected by a virus scanner)';

export const rules: PhraseRule[] = [
  {
    pattern: /\bvirus(?:es)?(?: [^ :]{1,30}){0,2}? (?:detected|found|infected)\b|\binfected (?:with|by) (?:a |the )?(?:\S{1,20} )?(?:virus|malware|worm|trojan)\b/,
    seen: '550 Virus Detected; Content Rejected',
    variant: '554 5.7.1 Your message was infected with a virus (Win.Test.EICAR) and was rejected',
    source: `ClamAV-milter / clamsmtp reject texts ("Virus detected"); ${SISIMAI} ("virus detected", "your message was infected with a virus")`,
  },
  {
    pattern: /\breject, id=\S{1,40} - (?:virus|infected)\b/,
    seen: '554 5.7.0 Reject, id=12345-07 - VIRUS: Eicar-Signature',
    variant: '554 5.7.0 Reject, id=09876-02 - INFECTED: Win.Trojan.Agent',
    source: 'amavisd-new "Reject, id=%n - VIRUS: %v" ($final_virus_destiny D_REJECT, amavisd.conf)',
  },
  {
    pattern: /\b(?:contains?|containing) (?:a |an )?(?:known )?(?:virus|malware|worm|trojan)\b|\bmalware (?:detected|found)\b|\binfected (?:attachment|file|message|content)\b/,
    seen: '554 5.7.0 message contains a virus',
    variant: '550 5.7.1 Message rejected: attachment contains known malware',
    source: SISIMAI,
  },
  {
    pattern: /\bpotentially executable attachment\b|\bused by recent viruses or other malware\b|\bphishing\/malicious_url detected\b/,
    seen: "552-5.7.0 This message was blocked because it has a potentially executable attachment.",
    variant: '552-5.7.0 This form of attachment has been used by recent viruses or other malware.',
    source: `Google support.google.com/a/answer/3726730 (552 5.7.0 blocked attachments); ${SISIMAI}`,
  },
];

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /virus|infected|malware|worm|trojan|executable|phishing/;

export const table: ReasonPhrases = { reason: 'virusdetected', rules, keys };
