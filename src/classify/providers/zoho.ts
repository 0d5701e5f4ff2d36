/**
 * providers/zoho - Zoho Mail (smtpin.zoho.com, mx.zoho.com): texts.
 * In: Context. Out: a reason or null. Config keys: none.
 */
import type { Provider } from '../rules.js';

const SRC = 'Zoho Mail SMTP error messages (zoho.com/mail/help: bounce and rejection messages)';

export const provider: Provider = {
  name: 'zoho',
  hosts: /\b(?:zoho\.com|zoho\.eu|zohomail\.com|zoho\.in)\b/,
  rules: [
    { pattern: /\buser does not exist\b|\bno such user\b/, reason: 'userunknown', seen: '550 5.1.1 User does not exist - <x@zoho.example.com>', variant: "550 5.1.1 No such user - <x@zoho.com>", source: SRC },
    { pattern: /\bpolicy violation\b/, reason: 'policyviolation', seen: '554 5.7.7 Email policy violation detected', variant: "554 5.7.7 Email policy violation detected for this recipient", source: SRC },
    { pattern: /\bflagged as spam\b/, reason: 'spamdetected', seen: '554 5.7.1 Email cannot be delivered. Reason: Email flagged as Spam.', variant: "554 5.7.1 Email cannot be delivered. Reason: Email flagged as Spam by our filters.", source: SRC },
    { pattern: /\bmail rejected by destination domain\b/, reason: 'rejected', seen: '541 5.4.1 Mail rejected by destination domain', variant: "541 5.4.1 Mail rejected by destination domain policy", source: SRC },
    { pattern: /\bdmarc\b|\bspf\b/, reason: 'authfailure', seen: '550 5.7.1 Email rejected per DMARC policy for example.org', variant: "550 5.7.1 Email rejected per SPF policy for example.org", source: SRC },
  ],
};
