/**
 * providers/messagelabs - Symantec/Broadcom Email Security.cloud (messagelabs.com).
 * In: Context. Out: a reason or null. Config keys: none.
 */
import type { Provider } from '../rules.js';

const SRC = 'Broadcom/Symantec Email Security.cloud (MessageLabs) SMTP error messages';

export const provider: Provider = {
  name: 'messagelabs',
  hosts: /\b(?:messagelabs\.com|symantec\.com|broadcom\.com)\b/,
  rules: [
    { pattern: /\bturn on smtp authentication\b|\bsmtp authentication\b/, reason: 'securityerror', seen: '550-Please turn on SMTP Authentication in your mail client.', variant: "530 5.7.0 Please turn on SMTP authentication in your mail client to send mail", source: SRC },
    { pattern: /\bno such user\b|\buser unknown\b|\b5\d\d \S+@\S+ rejected\b/, reason: 'userunknown', seen: '550 x@example.org... No such user', variant: "550 5.1.1 x@example.org... user unknown", source: SRC, note: 'MessageLabs answers recipient verification at RCPT' },
    { pattern: /\bblocked\b|\bblacklist/, reason: 'blocked', seen: '553 sorry, your IP address is blocked', variant: "553-Your email address has been blacklisted by the administrator", source: SRC },
  ],
};
