/**
 * phrases/blocked - the receiver refuses mail from our IP, host or domain (blocklists, local block lists, client-host rules). Category 1, likely false positive.
 * In: normalised diagnostic (lower-case, whitespace folded). Out: 'blocked' when a rule matches.
 * Config keys: none.
 */
import type { Context, PhraseRule, ReasonPhrases } from '../rules.js';
import type { Reason } from '../../types.js';

export const rules: PhraseRule[] = [
  { pattern: /\bblocked using\b/, seen: '554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org', note: 'Postfix reject_rbl_client' },
  { pattern: /\b(?:spamhaus|spamcop|barracuda(?:central)?|sorbs|cloudmark|senderscore|invaluement|ivmsip|abuseat|uceprotect|psbl|mailspike|spamrats|dnsbl|rbl)\b/, seen: '554 Refused. Your IP address is listed in the RBL at b.barracudacentral.org' },
  { pattern: /\b(?:ip|host|address|sender|domain|server|client|you)(?: \S+)? (?:is |are |was |has been )?(?:currently )?(?:black|block|deny)[- ]?listed\b/, seen: '550 5.7.1 IP address blacklisted by recipient' },
  { pattern: /(?<!may be )\b(?:black|block|deny)[- ]?list(?:ed)?\b/, seen: 'part of their network is on our block list (S3150)' },
  { pattern: /(?<!not )\blisted (?:at|in|on|by)\b/, seen: '554 Refused. Your IP address is listed in the RBL at b.barracudacentral.org' },
  { pattern: /\bclient host (?:\[[^\]]*\] )?(?:rejected|blocked)\b/, seen: '450 4.7.1 <c.example.ne.jp[192.0.2.56]>: Client host rejected: may not be mail exchanger', note: 'Postfix client restrictions' },
  { pattern: /\bbanned sending ip\b|\baccess denied, banned sender\b/, seen: '550 5.7.606 Access denied, banned sending IP [192.0.2.1].', note: 'Microsoft 5.7.606-649, 5.7.511' },
  { pattern: /\b(?:your|the sending|sending|this) (?:ip|ip address|host|server|network|domain)(?: \S+)? (?:has been |is |was )?(?:temporarily |permanently )?(?:blocked|banned|rejected|refused|not allowed|denied)\b/, seen: '550 Your IP address has been blocked' },
  { pattern: /\b(?:connections?|mail|messages?) (?:will not be|not) accepted from\b/, seen: '553 5.7.1 [BL21] Connections will not be accepted from 192.0.2.1' },
  { pattern: /\bmessages from \S+ weren't sent\b/, seen: "550 SC-004 Unfortunately, messages from 192.0.2.22 weren't sent.", note: 'Outlook.com / Hotmail' },
  { pattern: /\bblocked for (?:abuse|spam|spamming)\b|\bblocked for spamming issues\b/, seen: '550 Error - Blocked for abuse. See http://example.net/' },
  { pattern: /\b(?:ip|address|source) (?:source )?bloquee\b/, seen: '550 mwinf5c04 ME Adresse IP source bloquee pour incident de spam.', note: 'Orange' },
  { pattern: /\btoo many spams? from your ip\b/, seen: '421 Too many spams from your IP (192.0.2.1), please visit http://postmaster.free.fr/', note: 'free.fr' },
  { pattern: /\bpermanently deferred\b/, seen: '553 5.7.2 [TSS09] All messages from 192.0.2.1 will be permanently deferred', note: 'Yahoo' },
  { pattern: /\bplease use the smtp server of your isp\b|\bdynamic (?:ip|address|pool|range)\b|\bresidential (?:ip|address)\b/, seen: '550 5.7.0 <x@example.jp>... Please use the smtp server of your ISP.' },
  { pattern: /\binvalid ip for sending mail\b/, seen: '554 INVALID IP FOR SENDING MAIL OF DOMAIN example.com' },
  { pattern: /\bopen relay\b/, seen: '501 <x@example.co.jp>... no access from mail server [192.0.2.55] which is an open relay.' },
  { pattern: /\baccess denied\b(?!, sending domain)/, seen: '550 Access denied...7d39d5299584f4be161127e61f5f5400...', note: 'weak: only reached when no earlier table matched; answered at connect it is a host block' },
  { pattern: /\bblocked by (?:ldap|policy|the administrator|administrator|our (?:system|server))\b/, seen: '550-192.0.2.222 blocked by ldap:ou=nekochan,dc=example,dc=net' },
  { pattern: /\bmay not be (?:a )?mail exchanger\b/, seen: 'Client host rejected: may not be mail exchanger' },
];

/**
 * A bare "access denied" is about whatever the command was: at connect or HELO it refuses our host
 * (blocked), at MAIL FROM our sender (rejected), later a security rule (securityerror).
 */
export function refine(ctx: Context, evidence: string): Reason {
  if (!evidence.startsWith('access denied')) return 'blocked';
  switch (ctx.command) {
    case 'CONN':
    case 'HELO':
    case 'EHLO':
      return 'blocked';
    case 'MAIL':
      return 'rejected';
    default:
      return 'securityerror';
  }
}

/** Every rule above contains one of these literals (see ReasonPhrases.keys). */
const keys = /block|rbl|sbl|spam|barracuda|sorbs|cloudmark|senderscore|invaluement|ivmsip|abuseat|uceprotect|mailspike|list|client host|banned|rejected|refused|not allowed|denied|accepted from|weren't sent|bloquee|deferred|your isp|dynamic|residential|invalid ip|open relay|mail exchanger/;

export const table: ReasonPhrases = { reason: 'blocked', rules, refine, keys };
