/**
 * providers/google - Gmail and Google Workspace receiving servers: their status codes and texts.
 * In: Context with a Google host (gmail-smtp-in, aspmx, googlemail) or "gsmtp" in the reply.
 * Out: a reason or null. RFCs: 3463, 7372 (5.7.26). Config keys: none.
 */
import type { Provider } from '../rules.js';

export const provider: Provider = {
  name: 'google',
  hosts: /\b(?:gmail-smtp-in\.l\.google\.com|aspmx\.l\.google\.com|gmr-smtp-in\.l\.google\.com|(?<![a-z0-9-])[a-z0-9-]+\.l\.google\.com|googlemail\.com|gmail\.com)\b/,
  marks: /\bgsmtp\b|support\.google\.com\/mail/,
  rules: [
    { pattern: /\bspam classification\b/, reason: 'spamdetected', seen: 'Your email to group x@example.com was rejected due to spam classification.', note: 'Google Groups' },
    { pattern: /\breceiving mail at a rate that prevents\b|\breceivingrateperm\b/, reason: 'speeding', seen: '550-5.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered.' },
    { pattern: /\bemail account that you tried to reach is (?:disabled|inactive)\b|\bdisableduser\b/, reason: 'suspend', seen: '550-5.2.1 The email account that you tried to reach is disabled.' },
    { pattern: /\bout of storage space\b|\boverquotaperm\b|\bover (?:its|their) quota\b/, reason: 'mailboxfull', seen: "552-5.2.2 The recipient's inbox is out of storage space and inactive." },
    { pattern: /\bunusual rate of (?:unsolicited )?mail\b/, reason: 'blocked', seen: '550-5.7.28 There is an unusual rate of unsolicited mail originating from your IP address.', note: 'Gmail 4.7.28/5.7.28: the IP is throttled or blocked' },
    { pattern: /\b(?:very )?low reputation\b/, reason: 'badreputation', seen: '550-5.7.1 ... due to the very low reputation of the sending IP address.' },
    { pattern: /\blikely unsolicited mail\b|\bnature of the content\b/, reason: 'spamdetected', seen: '550-5.7.1 Our system has detected that this message is likely unsolicited mail.' },
    { pattern: /\bmultiple addresses in from\b/, reason: 'notcompliantrfc', seen: '550-5.7.1 Messages with multiple addresses in From: header are not accepted.' },
    { pattern: /\bptr record\b/, reason: 'requireptr', seen: '550-5.7.25 The IP address sending this message does not have a PTR record setup' },
    { pattern: /\bdmarc\b|\bspf\b|\bdkim\b|\bunauthenticated\b|\bauthentication (?:information|checks)\b/, reason: 'authfailure', seen: "550-5.7.26 Unauthenticated email from example.org is not accepted due to domain's DMARC policy." },
    { pattern: /\bcontent presents a potential\b|\bpolicy that prohibited\b/, reason: 'policyviolation', seen: '552-5.7.0 This message was blocked because its content presents a potential security issue.' },
  ],
};
