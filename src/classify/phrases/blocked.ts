/**
 * phrases/blocked - the receiver refuses mail from our IP, host or domain: blocklists, local block
 * lists, client-host rules, dynamic-IP policies. Category 1, likely false positive.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'blocked', or (a bare "access
 * denied") the reason its SMTP stage gives it (see refine). Config keys: none.
 */
import type { Context, PhraseRule, ReasonPhrases } from '../rules.js';
import type { Reason } from '../../types.js';

const SISIMAI = 'Sisimai reason definition "blocked" (rejected due to client IP address or hostname)';

export const rules: PhraseRule[] = [
  {
    pattern: /\bblocked using\b|\bclient host (?:\S{1,60} )?blocked\b/,
    seen: '554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org',
    variant: '554 5.7.1 Service unavailable; Client host [192.0.2.8] blocked using\n bl.spamcop.net; Blocked - see https://www.spamcop.net/bl.shtml?192.0.2.8',
    source: 'Postfix smtpd reject_rbl_client "Service unavailable; Client host [%s] blocked using %s" (src/smtpd/smtpd_check.c, rbl_reply_maps default)',
  },
  {
    pattern: /\b(?:spamhaus|spamcop|barracuda(?:central)?|sorbs|cloudmark|senderscore|invaluement|ivmsip|abuseat|uceprotect|psbl|mailspike|spamrats|backscatterer|dnsbl|rbl|rhsbl)\b/,
    seen: '554 Refused. Your IP address is listed in the RBL at b.barracudacentral.org',
    variant: '550 5.7.1 Mail from IP 192.0.2.1 was rejected due to listing in Spamhaus SBL.',
    source: 'blocklist operators as MTAs name them (Spamhaus, SpamCop, Barracuda Central, SORBS, Cloudmark CSI, CBL/abuseat, UCEPROTECT, PSBL, Mailspike, SpamRATS); Apple iCloud "rejected due to listing in Spamhaus SBL" (support.apple.com/en-us/102322)',
  },
  {
    pattern: /(?<!may be |might be |could be )\b(?:black|block|deny|ban)[- ]?list(?:ed|ing)?\b|\bis in an? (?:black|block) ?list\b/,
    seen: '550 5.7.1 IP address blacklisted by recipient',
    variant: 'part of their network is on our block list (S3150)',
    source: `RFC 5782 §1 (IP and domain blocklists); Outlook.com "on our block list (S3150)"; ${SISIMAI} ("blacklisted by", "is in a black list")`,
  },
  {
    pattern: /(?<!\bnot )\blisted (?:at|in|on|by) (?:the |an? )?(?:\S{1,60}\.[a-z]{2,}\b|(?:rbl|dnsbl|block ?list|black ?list|deny ?list)\b)|\blisted as abusive\b/,
    seen: 'Your IP address is listed in the RBL at b.barracudacentral.org',
    variant: '550 5.7.1 client 192.0.2.3 is currently listed at dnsbl.example.net',
    source: 'RFC 5782 §2; Sendmail FEATURE(dnsbl) "Rejected: %s listed at %s" (cf/feature/dnsbl.m4)',
  },
  {
    pattern: /\bbanned sending ip\b|\baccess denied,? banned sender\b|\busing customer block list\b|\baccess denied,? rejected by recipient\b|\bnot currently accepting mail from your ip\b|\baccess denied,? bad helo\b/,
    seen: '550 5.7.606 Access denied, banned sending IP [192.0.2.1].',
    variant: '550 5.7.513 Service unavailable, Client host [192.0.2.1] blocked by example.com using Customer Block list (AS16012607)',
    source: 'Microsoft: Email non-delivery reports and SMTP errors in Exchange Online (5.7.606-649 banned sending IP, 5.7.511 banned sender, 5.7.513 customer block list, 5.7.507 rejected by recipient, 5.7.506 bad HELO)',
  },
  {
    pattern: /\b(?:your|the sending|sending|this|client|source|sender|connecting) (?:ip|ip address|host|server|network|mail server|mta)(?: \S{1,60})? (?:has been |is |was |are )?(?:temporarily |permanently |currently )?(?:blocked|banned|rejected|refused|not allowed|denied|not permitted|blacklisted)\b|\b(?:access|connection|mail) from (?:ip|your ip|ip address) \S{1,45} (?:is |was |has been )?(?:blocked|refused|rejected|denied)\b/,
    seen: '550 Your IP address has been blocked',
    variant: '554 5.7.1 Access from IP address 192.0.2.44 blocked',
    source: `${SISIMAI} ("access from ip address ... blocked", "sender ip address rejected", "your access ip ... has been rejected")`,
  },
  {
    pattern: /\b(?:connections?|mail|messages?|e-?mail) (?:will not be|are not|is not|not) accepted from\b|\bmessages from \S{1,80} weren't sent\b|\byou are not allowed to connect\b|\bhost network not allowed\b/,
    seen: '553 5.7.1 [BL21] Connections will not be accepted from 192.0.2.1',
    variant: "550 SC-004 Unfortunately, messages from 192.0.2.22 weren't sent.",
    source: 'Yahoo Sender Hub SMTP error codes ([BL21] "Connections will not be accepted from"); Outlook.com SC-001..SC-004 "messages from %s weren\'t sent"',
  },
  {
    pattern: /\bblocked for (?:abuse|spam|spamming)\b|\b(?:ip|address|source) (?:source )?bloqu[ée]e?\b|\btoo many spams? from your ip\b|\bsuspiciously like spammer\b|\bextreme bad ip profile\b/,
    seen: '550 mwinf5c04 ME Adresse IP source bloquee pour incident de spam.',
    variant: '550 5.7.1 Error - Blocked for abuse. See http://att.net/blocks',
    source: `Orange postmaster ("Adresse IP source bloquee"); AT&T "Blocked for abuse. See http://att.net/blocks"; free.fr "Too many spams from your IP"; ${SISIMAI}`,
  },
  {
    pattern: /\bsender (?:e-?mail )?(?:address |domain )?(?:is |has been |was )?(?:blocked|blacklisted|blocklisted|banned|in my black ?list)\b|\b(?:your|this) (?:e-?mail )?address has been (?:blacklisted|blocked|banned)\b|\bsending to\/from an address that has been blacklisted\b/,
    seen: '553 Sorry, your email address has been blacklisted. Please contact the company you were trying to email to resolve the problem. (#5.7.1)',
    variant: '421 Sender address blocked',
    source: `Broadcom Email Security.cloud (MessageLabs) "your email address has been blacklisted"; Mimecast "Sender address blocked" (blocked senders policy); ${SISIMAI} ("sender address has been blacklisted", "you are sending to/from an address that has been blacklisted")`,
    note: 'a list of senders kept by the recipient side: a block of us, not an address verdict',
  },
  {
    pattern: /\byour access to submit messages to this e-?mail system has been rejected\b/,
    seen: '554 #5.7.1 Your access to submit messages to this e-mail system has been rejected.',
    variant: '554 5.7.1 Your access to submit messages to this email system has been rejected',
    source: 'Cisco Secure Email (IronPort) host access table REJECT default reply "Your access to submit messages to this e-mail system has been rejected."',
  },
  {
    pattern: /\bpermanently deferred\b/,
    seen: '553 5.7.2 [TSS09] All messages from 192.0.2.1 will be permanently deferred',
    variant: '421 4.7.1 [TS03] All messages from 192.0.2.3 permanently deferred; Retrying will NOT succeed',
    source: 'Yahoo Sender Hub SMTP error codes ([TS03], [TSS09], [TSS11] "permanently deferred")',
  },
  {
    pattern: /\bplease use (?:the )?smtp (?:server|relay) of your (?:isp|provider)\b|\bdynamic (?:ip|address|pool|range|host)s?\b|\bresidential (?:ip|address)\b|\bdial-?up\b|\bzombied\b/,
    seen: '550 5.7.0 <x@example.jp>... Please use the smtp server of your ISP.',
    variant: '554 5.7.1 We do not accept mail from dynamic IPs; please use the SMTP relay of your provider',
    source: `Spamhaus PBL policy (end-user IP ranges must relay through their provider); Mail.ru "we do not accept mail from dynamic ips"; ${SISIMAI}`,
  },
  {
    pattern: /\binvalid ip for sending mail\b|\bnot allowed to send mail from\b|\bbad sender ip address\b|\bno access from mail server\b|\bopen (?:relay|proxy)\b|\bserver access forbidden by your ip\b/,
    seen: '554 INVALID IP FOR SENDING MAIL OF DOMAIN example.com',
    variant: '550 5.7.1 Rejecting open proxy 192.0.2.15',
    source: `Sendmail "Rejecting open proxy %s" (sendmail/srvrsmtp.c, cf/m4/proto.m4); ${SISIMAI} ("invalid ip for sending mail of domain", "no access from mail server")`,
  },
  {
    pattern: /\bmay not be (?:a )?mail exchanger\b|\bconfirm this mail server\b|\byour server requires confirmation\b/,
    seen: 'Client host rejected: may not be mail exchanger',
    variant: '450 4.7.1 <mx.example.jp[192.0.2.56]>: Client host rejected: may not be a mail exchanger',
    source: 'Sisimai reason definition "blocked" ("client host rejected: may not be mail exchanger", "confirm this mail server")',
  },
  {
    pattern: /\bblocked by (?:ldap|policy|the administrator|administrator|our (?:system|server|firewall)|earthlink)\b|\bwas blocked by\b/,
    seen: '550-192.0.2.222 blocked by ldap:ou=nekochan,dc=example,dc=net',
    variant: '554 Connection from 192.0.2.1 was blocked by our firewall',
    source: `${SISIMAI} ("was blocked by ", "ip ... is blocked by earthlink")`,
  },
  {
    pattern: /\baccess denied\b(?!,? (?:sending domain|banned|rejected by recipient|bad helo|please try again))/,
    seen: '550 Access denied...7d39d5299584f4be161127e61f5f5400...',
    variant: '554 5.7.1 <unknown[192.0.2.1]>: Client host rejected: Access denied',
    source: 'Postfix check_client_access / check_sender_access REJECT default text "Access denied" (src/smtpd/smtpd_check.c); Sendmail access map REJECT "Access denied" (cf/m4/proto.m4)',
    note: 'weak: only reached when no earlier table matched; its meaning depends on the SMTP stage (refine)',
  },
];

/**
 * A bare "access denied" is about whatever the command was: at connect, HELO or MAIL FROM it is an
 * access list refusing our host or our sender (Postfix check_client_access / check_sender_access,
 * Sendmail's access map: blocked); later a security rule (securityerror).
 */
export function refine(ctx: Context, evidence: string): Reason {
  if (!evidence.startsWith('access denied')) return 'blocked';
  switch (ctx.command) {
    case 'CONN':
    case 'HELO':
    case 'EHLO':
    case 'MAIL':
      return 'blocked';
    default:
      return ctx.text.indexOf('client host rejected') >= 0 || ctx.text.indexOf('sender address rejected') >= 0 ? 'blocked' : 'securityerror';
  }
}

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /submit messages|block|rbl|sbl|spam|barracuda|sorbs|cloudmark|senderscore|invaluement|ivmsip|abuseat|uceprotect|mailspike|backscatterer|list|banned|access denied|rejected|refused|not allowed|denied|not permitted|accepted from|weren't sent|connect|bloqu|deferred|isp|provider|dynamic|residential|dial|zombie|invalid ip|send mail from|sender ip|access from|open|forbidden|helo|mail exchanger|confirm|abusive|bad ip/;

export const table: ReasonPhrases = { reason: 'blocked', rules, refine, keys };
