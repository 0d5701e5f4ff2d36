/**
 * providers/microsoft - Exchange Online, Microsoft 365, Outlook.com, Hotmail: their own enhanced codes
 * (three-digit details, which RFC 3463 allows) and texts, read as Microsoft documents them.
 * Out: a reason from the code (5.7.5xx-8xx, 5.4.3xx, 5.1.10, DBEB 5.4.1 ...) or null.
 * Sources: Microsoft Learn "Email non-delivery reports and SMTP errors in Exchange Online"; Outlook.com
 * postmaster troubleshooting (sendersupport.olc.protection.outlook.com). Config keys: none.
 */
import type { Provider } from '../rules.js';

const NDR = 'Microsoft: Email non-delivery reports and SMTP errors in Exchange Online (learn.microsoft.com)';
const OLC = 'Outlook.com postmaster troubleshooting (sendersupport.olc.protection.outlook.com)';

export const provider: Provider = {
  name: 'microsoft',
  hosts: /\b(?:protection\.outlook\.com|outlook\.com|hotmail\.[a-z.]{2,6}|live\.[a-z.]{2,6}|msn\.com|office365\.com|onmicrosoft\.com|exchangelabs\.com|messaging\.microsoft\.com|outlook\.office365\.com)\b/,
  marks: /\bas\(201806281\)|\b(?:sender\.office\.com|postmaster\.live\.com|go\.microsoft\.com|resolver\.adr\.|resolver\.rst\.|\.prod\.outlook\.com|protection\.outlook\.com|storedrv\.|smtpsend\.)/,
  rules: [
    { status: /^5\.7\.6(?:0[6-9]|[1-4]\d)$/, reason: 'blocked', seen: '550 5.7.606 Access denied, banned sending IP [192.0.2.1]. To request removal from this list please visit https://sender.office.com/', source: `${NDR} (5.7.606-649: the sending IP is banned)` },
    { status: /^5\.7\.50[1-2]$|^5\.7\.511$|^5\.7\.800$/, reason: 'blocked', seen: '550 5.7.511 Access denied, banned sender[192.0.2.1]. To request removal from this list please forward this message to delist@messaging.microsoft.com', source: `${NDR} (5.7.501 spam abuse detected, 5.7.502/5.7.511/5.7.800 banned sender)` },
    { status: '5.7.506', reason: 'requireptr', seen: '550 5.7.506 Access denied, bad HELO', source: `${NDR} (5.7.506: our HELO names the recipient's server, not our own host)` },
    { status: /^5\.7\.50[578]$|^5\.7\.51[03]$/, reason: 'blocked', seen: '550 5.7.513 Service unavailable, Client host [192.0.2.1] blocked by example.com using Customer Block list (AS16012607)', source: `${NDR} (5.7.505-5.7.508 access denied by the recipient organisation, 5.7.510 no IPv6, 5.7.513 customer block list)` },
    { status: /^5\.7\.509$|^5\.7\.515$|^4\.7\.26$/, reason: 'authfailure', seen: '550 5.7.509 Access denied, sending domain [EXAMPLE.JP] does not pass DMARC verification and has a DMARC policy of reject.', source: `${NDR} (5.7.509 DMARC, 5.7.515 required authentication level, 4.7.26 IPv6 must pass SPF or DKIM)` },
    { status: /^[45]\.7\.25$/, reason: 'requireptr', seen: '550 5.7.25 Access denied, the sending IPv6 address [2001:db8::1] must have a reverse DNS record', source: `${NDR} (5.7.25 reverse DNS over IPv6)` },
    { status: '5.7.512', reason: 'notcompliantrfc', seen: '550 5.7.512 Access denied, message must be RFC 5322 section 3.6.2 compliant', source: `${NDR} (5.7.512)` },
    { status: /^5\.7\.7\d\d$/, reason: 'blocked', seen: '550 5.7.750 Service unavailable. Client blocked from sending from unregistered domains', source: `${NDR} (5.7.700-749 tenant exceeded threshold, 5.7.750 unregistered domains: about our tenant, never the address)` },
    { status: /^4\.7\.65\d$/, reason: 'badreputation', seen: '451 4.7.650 The mail server [192.0.2.25] has been temporarily rate limited due to IP reputation.', source: `${OLC} (4.7.650 IP reputation)` },
    { status: /^4\.7\.[5-8]\d\d$/, reason: 'blocked', seen: '451 4.7.500 Server busy. Please try again later from [192.0.2.1]. (AS77712344)', source: `${NDR} (4.7.500-699, 4.7.850-899 "Access denied, please try again later": suspicious activity, temporary)` },
    { status: /^[45]\.3\.2$/, phrase: 'recipient thread limit exceeded', reason: 'speeding', seen: '432 4.3.2 STOREDRV.Deliver; recipient thread limit exceeded', variant: "432 4.3.2 STOREDRV.Deliver; recipient thread limit exceeded, retry later", source: `${NDR} (432 4.3.2: the recipient mailbox is throttled, receiving too many messages too quickly)` },
    { status: /^5\.2\.12[12]$/, reason: 'speeding', seen: "550 5.2.121 Recipient's per hour message receive limit from specific sender exceeded.", source: `${NDR} (5.2.121/5.2.122 RecipientThresholdExceeded)` },
    { status: '5.4.310', reason: 'hostunknown', seen: '550 5.4.310 DNS domain example.com does not exist', source: `${NDR} (5.4.310)` },
    { status: /^5\.4\.31[24]$/, reason: 'networkerror', seen: '550 5.4.312 Message expired, DNS query failed', source: `${NDR} (5.4.312, 5.4.314 DNS query failed)` },
    { status: /^[45]\.4\.31[6-8]$|^5\.4\.300$/, reason: 'expired', seen: '550 5.4.316 Message expired, connection refused', source: `${NDR} (4.4.316/5.4.316 connection refused, 5.4.300 message expired)` },
    { status: /^[45]\.4\.(?:8|317)$/, reason: 'failedstarttls', seen: '451 4.4.317 STARTTLS is required to send mail', source: `${NDR} (4.4.8/5.4.8 MTA-STS, 4.4.317/5.4.317 STARTTLS required)` },
    { status: '5.4.14', reason: 'networkerror', seen: '554 5.4.14 Hop count exceeded - possible mail loop ATTR34', source: `${NDR} (5.4.14 hop count exceeded)` },
    { status: /^5\.7\.(?:54|64)$/, reason: 'norelaying', seen: '550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain', source: `${NDR} (5.7.54, 5.7.64 TenantAttribution)` },
    { status: '5.7.57', reason: 'securityerror', seen: '530 5.7.57 SMTP; Client was not authenticated to send anonymous mail during MAIL FROM', source: `${NDR} (5.7.57)` },
    { status: '5.1.8', reason: 'rejected', seen: '550 5.1.8 Access denied, bad outbound sender', source: `${NDR} (5.1.8 bad outbound sender: our sending account is blocked)` },
    { status: '5.1.10', reason: 'userunknown', seen: '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup', source: `${NDR} (5.1.10 RecipientNotFound: Microsoft's own meaning, not RFC 7505's null MX)` },
    { status: '5.4.1', phrase: 'recipient address rejected: access denied', reason: 'userunknown', seen: '550 5.4.1 Recipient address rejected: Access denied. AS(201806281)', variant: "550 5.4.1 <x@example.com>: Recipient address rejected: Access denied. AS(201806281) [AM0EUR02FT001.eop-EUR02.prod.protection.outlook.com]", source: `${NDR} (5.4.1: directory-based edge blocking, the recipient is not in the tenant)` },
    { status: /^5\.6\.11$/, reason: 'notcompliantrfc', seen: '550 5.6.11 SMTPSEND.BareLinefeedsAreIllegal; message contains bare linefeeds, which cannot be sent via DATA', source: `${NDR} (5.6.11 bare line feeds)` },
    { pattern: /\b(?:s3150|s3140|as3140|sc-00[1-4])\b|\bpart of their network is on our block list\b/, reason: 'blocked', seen: "550 5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150).", variant: "550 SC-001 (BAY004-MC1F9) Unfortunately, messages from 192.0.2.1 weren't sent. Please contact your Internet service provider.", source: `${OLC} (S3150, SC-001..SC-004 block lists)` },
    { pattern: /\brp-00[1-3]\b|\bwe have limits for how many messages can be sent\b/, reason: 'speeding', seen: "421 RP-001 (BAY004-MC2F21) Unfortunately, some messages from 192.0.2.1 weren't sent. Please try again. We have limits for how many messages can be sent per hour and per day.", variant: "421 RP-002 (COL004-MC1F43) Unfortunately, some messages from 192.0.2.1 weren't sent. Please try again.", source: `${OLC} (RP-001..RP-003 rate limits)` },
    { pattern: /\brequested action not taken: mailbox unavailable\b/, reason: 'userunknown', seen: '550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302). [mx1.hotmail.com]', variant: '550 Requested action not taken: mailbox unavailable (-2146233088:9C0C0000:-2147467259)', source: `${OLC}; Outlook.com answers a missing consumer mailbox with it (spamresource.com 2023/09 "Microsoft: multiple types of invalid"; Sisimai rhost Outlook "userunknown")` },
    { pattern: /\bdomain is not reachable\b/, reason: 'hostunknown', seen: '554 The mail could not be delivered to the recipient because the domain is not reachable.', variant: "550 5.4.4 The mail could not be delivered because the domain is not reachable. Please check the domain and try again.", source: `${OLC}; Microsoft Exchange NDR text` },
  ],
};
