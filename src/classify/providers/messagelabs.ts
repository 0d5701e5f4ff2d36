/**
 * providers/messagelabs - Symantec/Broadcom Email Security.cloud (messagelabs.com).
 * In: Context. Out: a reason or null. Config keys: none.
 */
import type { Provider } from '../rules.js';

export const provider: Provider = {
  name: 'messagelabs',
  hosts: /\b(?:messagelabs\.com|symantec\.com|broadcom\.com)\b/,
  rules: [
    { pattern: /\bturn on smtp authentication\b|\bsmtp authentication\b/, reason: 'securityerror', seen: '550-Please turn on SMTP Authentication in your mail client.' },
    { pattern: /\bno such user\b|\buser unknown\b|\b5\d\d \S+@\S+ rejected\b/, reason: 'userunknown', seen: '550 x@example.org... No such user', note: 'MessageLabs answers recipient verification at RCPT' },
    { pattern: /\bblocked\b|\bblacklist/, reason: 'blocked', seen: '553 sorry, your IP address is blocked' },
  ],
};
