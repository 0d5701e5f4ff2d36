/**
 * providers/microsoft - Exchange Online, Office 365, Outlook.com, Hotmail: their own enhanced codes.
 * In: Context with a Microsoft remote/reporting host or a Microsoft-only mark in the text.
 * Out: a reason from the code (5.7.5xx/6xx/7xx, 5.4.3xx, 5.1.10, 5.1.351 ...) or null.
 * RFCs: 3463 (Microsoft uses three-digit detail codes, which the RFC allows). Config keys: none.
 */
import type { Provider } from '../rules.js';

export const provider: Provider = {
  name: 'microsoft',
  hosts: /\b(?:protection\.outlook\.com|outlook\.com|hotmail\.com|live\.com|msn\.com|office365\.com|onmicrosoft\.com|exchangelabs\.com|messaging\.microsoft\.com)\b/,
  marks: /\b(?:sender\.office\.com|postmaster\.live\.com|go\.microsoft\.com|resolver\.adr\.|resolver\.rst\.|\.prod\.outlook\.com|protection\.outlook\.com)/,
  rules: [
    { status: /^5\.7\.6(?:0[6-9]|[1-4]\d)$/, reason: 'blocked', seen: '550 5.7.606 Access denied, banned sending IP [192.0.2.1]. To request removal from this list please visit https://sender.office.com/', note: '5.7.606-649: IP on the Microsoft block list' },
    { status: /^5\.7\.50[1-3]$/, reason: 'blocked', seen: '550 5.7.501 Access denied, spam abuse detected', note: 'banned sender' },
    { status: /^5\.7\.5(?:0[5-8]|11|13)$/, reason: 'blocked', seen: '550 5.7.511 Access denied, banned sender[192.0.2.1]. To request removal from this list please forward this message to delist@messaging.microsoft.com' },
    { status: /^5\.7\.509$|^5\.7\.51[05]$/, reason: 'authfailure', seen: '550 5.7.509 Access denied, sending domain [EXAMPLE.JP] does not pass DMARC verification and has a DMARC policy of reject.', note: '5.7.515: domain fails the Outlook.com authentication requirements for high-volume senders' },
    { status: '5.7.512', reason: 'notcompliantrfc', seen: '550 5.7.512 Access denied, message must be RFC 5322 section 3.6.2 compliant' },
    { status: /^5\.7\.7\d\d$/, reason: 'blocked', seen: '550 5.7.750 Service unavailable. Client blocked from sending from unregistered domains', note: 'tenant-level sending blocks: about our tenant, never the address' },
    { status: /^4\.7\.650$|^4\.7\.65\d$/, reason: 'badreputation', seen: '451 4.7.650 The mail server [192.0.2.25] has been temporarily rate limited due to IP reputation.' },
    { status: /^4\.7\.[5-8]\d\d$/, reason: 'blocked', seen: '451 4.7.500 Access denied, please try again later', note: 'suspicious activity; temporary' },
    { status: '5.4.310', reason: 'hostunknown', seen: '550 5.4.310 DNS domain example.com does not exist' },
    { status: /^5\.4\.31[24]$/, reason: 'networkerror', seen: '550 5.4.312 Message expired, DNS query failed' },
    { status: /^5\.4\.31[6-8]$/, reason: 'expired', seen: '550 5.4.316 Message expired, connection refused' },
    { status: '5.4.14', reason: 'networkerror', seen: '554 5.4.14 Hop count exceeded - possible mail loop ATTR34' },
    { status: '5.7.54', reason: 'norelaying', seen: '550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain' },
    { status: '5.1.10', reason: 'userunknown', seen: '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup', note: 'Microsoft uses 5.1.10 for a missing recipient, not for a null MX' },
    { status: '5.4.1', phrase: 'recipient address rejected: access denied', reason: 'userunknown', seen: '550 5.4.1 Recipient address rejected: Access denied. AS(201806281)', note: 'directory-based edge blocking' },
    { pattern: /\b(?:s3150|as3140|sc-00[1-4])\b/, reason: 'blocked', seen: "550 5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150)." },
  ],
};
