/**
 * providers/apple - iCloud / me.com / privaterelay: bracketed tags ([HME1], [CS01]) and texts.
 * In: Context. Out: a reason or null. RFCs: 3463. Config keys: none.
 */
import type { Provider } from '../rules.js';

export const provider: Provider = {
  name: 'apple',
  hosts: /\b(?:icloud\.com|me\.com|mac\.com|privaterelay\.appleid\.com)\b/,
  marks: /support\.apple\.com/,
  rules: [
    { pattern: /\[cs01\]|\bspamhaus\b|\bproofpoint\b/, reason: 'blocked', seen: '550 5.7.1 [CS01] Message rejected due to local policy.' },
    { pattern: /\[hme1\]|\bdmarc\b|\bspf\b|\bdkim\b/, reason: 'authfailure', seen: "554 5.7.1 Your message was rejected due to example.org's DMARC policy." },
    { pattern: /\bno longer on server\b/, reason: 'hasmoved', seen: '550 5.1.6 recipient no longer on server: x@example.jp' },
    { pattern: /\binactive email address\b|\buser not found\b|\buser unknown\b/, reason: 'userunknown', seen: '550 5.1.1 <x@icloud.com>: inactive email address' },
    { pattern: /\bover quota\b/, reason: 'mailboxfull', seen: '552 5.2.2 <x@icloud.com>: user is over quota' },
  ],
};
