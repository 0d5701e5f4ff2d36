/**
 * providers/apple - iCloud Mail (icloud.com, me.com, mac.com, privaterelay.appleid.com): bracketed
 * tags ([HME1], [CS01]) and texts from Apple's postmaster information (support.apple.com/en-us/102322).
 */
import type { Provider } from '../rules.js';

const APPLE = 'Apple iCloud Mail postmaster information (support.apple.com/en-us/102322)';

export const provider: Provider = {
  name: 'apple',
  hosts: /\b(?:icloud\.com|me\.com|mac\.com|privaterelay\.appleid\.com|mail\.icloud\.com)\b/,
  marks: /support\.apple\.com\/(?:en-us\/)?(?:102322|ht204137)/,
  rules: [
    { pattern: /\bdmarc\b|\bspf\b|\bdkim\b/, reason: 'authfailure', seen: "554 5.7.1 Your message was rejected due to example.org's DMARC policy.", variant: '554 5.7.1 [HME1] This message was blocked for failing both SPF and DKIM authentication checks.', source: `${APPLE} (DMARC, [HME1] SPF and DKIM)` },
    { pattern: /\[(?:cs0\d|hme\d)\]|\bspamhaus\b|\bproofpoint\b|\bnot accepting connections\b/, reason: 'blocked', seen: '550 5.7.1 [CS01] Message rejected due to local policy.', variant: '550 5.7.1 Mail from IP 192.0.2.1 was rejected due to listing in Spamhaus SBL.', source: `${APPLE} ([CS01] local policy, [HME1] blocked for security reasons, Spamhaus listings, Proofpoint dnsbl)` },
    { pattern: /\bdeferred due to excessive volume\b/, reason: 'speeding', seen: '421 4.7.1 Messages to x@icloud.com deferred due to excessive volume. Try again later', variant: "421 4.7.1 Messages to x@me.com deferred due to excessive volume. Try again later - https://support.apple.com/en-us/HT204137", source: `${APPLE} (421 4.7.1 excessive volume)` },
    { pattern: /\bno longer on server\b/, reason: 'hasmoved', seen: '550 5.1.6 recipient no longer on server: x@example.jp', variant: "550 5.1.6 <x@icloud.com>: recipient no longer on server", source: `${APPLE} (550 5.1.6)` },
    { pattern: /\binactive email address\b|\buser not found\b|\buser unknown\b|\buser does not exist\b|\bunknown or illegal alias\b/, reason: 'userunknown', seen: '550 5.1.1 <x@icloud.com>: inactive email address', variant: '550 5.1.1 <x@icloud.com>: user does not exist', source: `${APPLE} (550 5.1.1); spam-block-patterns.tsv counter-examples` },
    { pattern: /\bover ?quota\b/, reason: 'mailboxfull', seen: '552 5.2.2 <x@icloud.com>: user is over quota', variant: "452 4.2.2 <x@icloud.com>: user is overquota", source: `${APPLE} (552 5.2.2 over quota)` },
    { pattern: /\bhost\/domain does not accept mail\b/, reason: 'notaccept', seen: '550 5.7.1 host/domain does not accept mail', variant: "554 5.7.1 <x@mac.com>: host/domain does not accept mail", source: APPLE },
  ],
};
