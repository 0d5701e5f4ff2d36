/**
 * providers/yahoo - Yahoo, AOL and Verizon Media receiving servers (yahoodns.net): bracketed
 * error tags ([TSS04], [BL21], [PH01]) and their policy texts.
 * In: Context. Out: a reason or null. RFCs: 3463. Config keys: none.
 */
import type { Provider } from '../rules.js';

export const provider: Provider = {
  name: 'yahoo',
  hosts: /\b(?:yahoodns\.net|yahoo\.com|yahoo\.co\.jp|aol\.com|mx-aol\.mail|yahoo-inc\.|yahooinc\.)/,
  marks: /\bpostmaster\.(?:yahooinc|verizonmedia|yahoo)\.com|senders\.yahooinc\.com/,
  rules: [
    { pattern: /\[(?:bl\d\d|ts03|tss0[39]|tss1\d)\]/, reason: 'blocked', seen: "553 5.7.1 [BL21] Connections will not be accepted from 192.0.2.1, because the ip is in Spamhaus's list" },
    { pattern: /\[tss?0[124]\]|temporarily deferred due to (?:unexpected volume or )?user complaints/, reason: 'rejected', seen: '421 4.7.0 [TSS04] Messages from 192.0.2.192 temporarily deferred due to unexpected volume or user complaints', note: 'Yahoo defers our IP; recorded as rejected (sender side) with false-positive evidence' },
    { pattern: /\[gl0\d\]/, reason: 'speeding', seen: '421 4.7.0 [GL01] Message from (192.0.2.1) temporarily deferred - 4.16.50', note: 'greylisting' },
    { pattern: /\bnot accepted for policy reasons\b|\[ph01\]/, reason: 'policyviolation', seen: '554 5.7.9 Message not accepted for policy reasons. See https://postmaster.yahooinc.com/error-codes' },
    { pattern: /\bsender is unauthenticated\b|\bauthenticate with\b/, reason: 'authfailure', seen: '550 5.7.9 This mail has been blocked because the sender is unauthenticated.' },
    { pattern: /\bdoesn't have an? [a-z0-9.-]+ account\b/, reason: 'userunknown', seen: "554 delivery error: dd This user doesn't have a yahoo.com account (x@yahoo.com) [0]" },
    { pattern: /\baccount has been disabled or discontinued\b/, reason: 'suspend', seen: '554 delivery error: dd Sorry your message to x cannot be delivered. This account has been disabled or discontinued [#102].' },
    { pattern: /\bover quota\b/, reason: 'mailboxfull', seen: 'Sorry, your message to x cannot be delivered. This account is over quota.' },
  ],
};
