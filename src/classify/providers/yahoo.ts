/**
 * providers/yahoo - Yahoo, AOL, Verizon Media and the AT&T consumer domains now served by Yahoo's
 * inbound servers (yahoodns.net): bracketed error tags ([TSS04], [BL21], [PH01]) and texts, read as
 * the Yahoo Sender Hub documents them (senders.yahooinc.com/smtp-error-codes).
 */
import type { Provider } from '../rules.js';

const HUB = 'Yahoo Sender Hub: SMTP error codes (senders.yahooinc.com/smtp-error-codes)';

export const provider: Provider = {
  name: 'yahoo',
  hosts: /\b(?:yahoodns\.net|yahoo\.(?:com|co\.[a-z]{2}|[a-z]{2,3})|ymail\.com|rocketmail\.com|aol\.(?:com|[a-z]{2,3})|aim\.com|mx-aol\.mail|yahoo-inc\.|yahooinc\.)/,
  marks: /\bpostmaster\.(?:yahooinc|verizonmedia|yahoo)\.com|senders\.yahooinc\.com/,
  rules: [
    { pattern: /\[(?:bl\d\d|ts03|tss0[5-9]|tss1\d)\]|\bpermanently deferred\b/, reason: 'blocked', seen: "553 5.7.1 [BL21] Connections will not be accepted from 192.0.2.1, because the ip is in Spamhaus's list", variant: '553 5.7.2 [TSS11] All messages from 192.0.2.1 will be permanently deferred; Retrying will NOT succeed.', source: `${HUB} ([BLxx] blocklists, [TS03]/[TSS09]/[TSS11] permanently deferred)` },
    { pattern: /\[tss?0[124]\]|temporarily deferred due to (?:unexpected volume or )?user complaints/, reason: 'badreputation', seen: '421 4.7.0 [TSS04] Messages from 192.0.2.192 temporarily deferred due to unexpected volume or user complaints', variant: '421 4.7.0 [TS01] Messages from 192.0.2.1 temporarily deferred due to user complaints - 4.16.55.1', source: `${HUB} ([TS01]/[TS02]/[TSS04]: unusual traffic patterns or complaints from Yahoo users about our IP); Sisimai reason definition "badreputation" ("temporarily deferred due to unexpected volume or user complaints")` },
    { pattern: /\[gl0\d\]/, reason: 'speeding', seen: '421 4.7.0 [GL01] Message from (192.0.2.1) temporarily deferred - 4.16.50', variant: "421 4.7.0 [GL02] Message from (192.0.2.7) temporarily deferred - 4.16.50. Please refer to the error codes page", source: `${HUB} ([GL01] greylisting deferral)` },
    { pattern: /\bnot accepted for policy reasons\b|\[ph01\]/, reason: 'policyviolation', seen: '554 5.7.9 Message not accepted for policy reasons. See https://postmaster.yahooinc.com/error-codes', variant: '554 Message not allowed - [PH01] Email not accepted for policy reasons.', source: `${HUB} (554 5.7.9, [PH01])` },
    { pattern: /\bsender is unauthenticated\b|\bauthenticate with\b|\bdmarc\b/, reason: 'authfailure', seen: '550 5.7.9 This mail has been blocked because the sender is unauthenticated.', variant: "550 5.7.9 This mail has been blocked because the sender is unauthenticated. Yahoo requires all senders to authenticate with either SPF or DKIM.", source: `${HUB} (550 5.7.9 unauthenticated; DMARC)` },
    { pattern: /\bdoesn't have an? [a-z0-9.-]{1,60} account\b|\bmailbox not found\b/, reason: 'userunknown', seen: "554 delivery error: dd This user doesn't have a yahoo.com account (x@yahoo.com) [0]", variant: '552 1 Requested mail action aborted, mailbox not found', source: `${HUB} ("This user doesn't have a yahoo.com account")` },
    { pattern: /\baccount has been disabled or discontinued\b|\bmailbox is disabled\b|\bis no longer valid\b/, reason: 'suspend', seen: '554 delivery error: dd Sorry your message to x cannot be delivered. This account has been disabled or discontinued [#102].', variant: '554 30 Sorry, your message to x@aol.jp cannot be delivered. This mailbox is disabled (554.30)', source: `${HUB} (disabled or discontinued accounts, 554.30)` },
    { pattern: /\bover quota\b|\bmailbox (?:is )?full\b/, reason: 'mailboxfull', seen: 'Sorry, your message to x cannot be delivered. This account is over quota.', variant: "552 1 Requested mail action aborted, mailbox is full", source: `${HUB} (over quota)` },
    { pattern: /\breceiving mail too quickly\b|\bmax message per connection\b/, reason: 'speeding', seen: '450 User is receiving mail too quickly', variant: '421 Max message per connection reached, closing transmission channel', source: `${HUB} (450 receiving too quickly, 421 max message per connection)` },
    { pattern: /\bexcessive unknown recipients\b|\bvs1-(?:ip|mf)\b/, reason: 'speeding', seen: '451 VS1-IP Excessive unknown recipients - possible Open Relay (#4.1.8)', variant: '451 VS1-MF Excessive unknown recipients - possible Open Relay', source: 'Yahoo help SLN3444 (451 VS1-IP/VS1-MF: the sending IP is deprioritised for excessive unknown recipients; temporary)' },
    { pattern: /\bunresolvable rfc\.?5321\b/, reason: 'rejected', seen: '451 Message temporarily deferred due to unresolvable RFC.5321 from domain.', variant: "451 Message temporarily deferred due to unresolvable RFC5321 from domain", source: `${HUB} (451 unresolvable RFC.5321 From domain: our sender domain)` },
  ],
};
