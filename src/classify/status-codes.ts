/**
 * status-codes - what an enhanced status code (RFC 3463, RFC 5248 registry) or a bare SMTP reply
 * code (RFC 5321, RFC 7504) says about the reason, when no phrase said more.
 * In: '5.1.1', '550'. Out: a Reason or null when the code is ambiguous (x.0.0, 5.7.1, 550 ...).
 * Also: normalise() which extracts the most specific code from a diagnostic text.
 * RFCs: 3463, 5248, 7505 (x.1.10, x.7.27), 7372 (x.7.20-26), 8617 (x.7.29), 7504 (521, 556).
 * Config keys: none.
 */
import type { Reason } from '../types.js';

/**
 * Enhanced status -> reason. Only codes whose meaning is specific enough to stand alone are here;
 * x.0.0, x.2.0, x.3.0, x.4.0, x.5.0, x.7.0 and x.7.1 ("delivery not authorized") are left out on
 * purpose: they are used for everything from unknown users to blocklists.
 */
const BY_STATUS: Record<string, Reason> = {
  // X.1.X addressing
  '1.0': 'userunknown', // other address status: the addressing class, nothing else named
  '1.1': 'userunknown', // bad destination mailbox address
  '1.2': 'hostunknown', // bad destination system address
  '1.3': 'userunknown', // bad destination mailbox address syntax
  '1.4': 'userunknown', // destination mailbox address ambiguous
  '1.6': 'hasmoved', // destination mailbox has moved, no forwarding address
  '1.7': 'rejected', // bad sender's mailbox address syntax
  '1.8': 'rejected', // bad sender's system address
  '1.10': 'notaccept', // recipient address has null MX (RFC 7505)
  // X.2.X mailbox
  '2.1': 'suspend', // mailbox disabled, not accepting messages
  '2.2': 'mailboxfull', // mailbox full
  '2.3': 'exceedlimit', // message length exceeds administrative limit
  '2.4': 'systemerror', // mailing list expansion problem
  // X.3.X mail system
  '3.1': 'systemfull', // mail system full
  '3.2': 'notaccept', // system not accepting network messages
  '3.3': 'systemerror', // system not capable of selected features
  '3.4': 'mesgtoobig', // message too big for system
  '3.5': 'systemerror', // system incorrectly configured
  // X.4.X network and routing
  '4.1': 'expired', // no answer from host (retried until the queue gave up)
  '4.2': 'networkerror', // bad connection
  '4.3': 'systemerror', // directory server failure
  '4.4': 'hostunknown', // unable to route
  '4.5': 'systemfull', // mail system congestion
  '4.6': 'networkerror', // routing loop detected
  '4.7': 'expired', // delivery time expired
  // X.5.X protocol
  '5.1': 'syntaxerror', // invalid command
  '5.2': 'syntaxerror', // syntax error
  '5.3': 'toomanyconn', // too many recipients
  '5.4': 'syntaxerror', // invalid command arguments
  '5.5': 'syntaxerror', // wrong protocol version
  '5.6': 'syntaxerror', // authentication exchange line too long
  // X.6.X content
  '6.0': 'contenterror',
  '6.1': 'contenterror',
  '6.2': 'contenterror',
  '6.3': 'contenterror',
  '6.4': 'contenterror',
  '6.5': 'contenterror',
  '6.6': 'contenterror',
  '6.7': 'contenterror',
  '6.8': 'contenterror',
  '6.9': 'contenterror',
  '6.10': 'contenterror',
  // X.7.X security and policy
  '7.2': 'policyviolation', // mailing list expansion prohibited
  '7.3': 'securityerror',
  '7.4': 'securityerror',
  '7.5': 'securityerror',
  '7.6': 'securityerror',
  '7.7': 'securityerror',
  '7.8': 'securityerror', // authentication credentials invalid
  '7.9': 'securityerror',
  '7.10': 'securityerror',
  '7.11': 'securityerror',
  '7.12': 'securityerror',
  '7.13': 'suspend', // user account disabled
  '7.14': 'securityerror',
  '7.15': 'policyviolation',
  '7.16': 'policyviolation',
  '7.17': 'hasmoved', // mailbox owner has changed
  '7.18': 'hasmoved', // domain owner has changed
  '7.19': 'securityerror',
  '7.20': 'authfailure', // no passing DKIM signature
  '7.21': 'authfailure',
  '7.22': 'authfailure',
  '7.23': 'authfailure', // SPF validation failed
  '7.24': 'authfailure', // SPF validation error
  '7.25': 'requireptr', // reverse DNS validation failed
  '7.26': 'authfailure', // multiple authentication checks failed
  '7.27': 'rejected', // sender address has null MX
  '7.28': 'blocked', // mail flood detected
  '7.29': 'authfailure', // ARC validation failure
  '7.30': 'securityerror', // REQUIRETLS support required
};

/** Reason for an enhanced status code, or null when the code alone decides nothing. */
export function reasonFromStatus(status: string): Reason | null {
  const dot = status.indexOf('.');
  if (dot < 0) return null;
  const klass = status.slice(0, dot);
  if (klass !== '4' && klass !== '5') return null;
  return BY_STATUS[status.slice(dot + 1)] ?? null;
}

/**
 * Reason for a bare reply code when neither an enhanced code nor a phrase decided. Only codes whose
 * RFC meaning is narrow: 551 (user not local), 552 (storage exceeded), 521/556 (RFC 7504: does not
 * accept mail), 452 (insufficient storage), 421 (service not available).
 */
const BY_REPLY: Record<string, Reason> = {
  '421': 'systemerror',
  '452': 'systemfull',
  '521': 'notaccept',
  '551': 'hasmoved',
  '552': 'mailboxfull',
  '553': 'userunknown',
  '556': 'notaccept',
};

export function reasonFromReply(code: string): Reason | null {
  return BY_REPLY[code] ?? null;
}

/** Leading class of an enhanced status or reply code: '2', '4', '5' or ''. */
export function classOf(status: string, replyCode: string): string {
  const c = status[0] ?? replyCode[0] ?? '';
  return c === '2' || c === '4' || c === '5' ? c : '';
}

const STATUS_IN_TEXT = /\b([245])\.(\d{1,3})\.(\d{1,3})\b/g;
const REPLY_IN_TEXT = /^(?:[a-z0-9-]+;\s*)?([245]\d\d)[\s-]/;

/**
 * The most specific enhanced status: the finding's own unless it is missing or X.0.0, else the
 * first non-X.0.0 code in the diagnostic of the same class. Placeholder-free: returns '' when none.
 */
export function specificStatus(status: string, diagnostic: string): string {
  const own = /^[245]\.\d{1,3}\.\d{1,3}$/.test(status) ? status : '';
  if (own && !/\.0\.0$/.test(own)) return own;
  STATUS_IN_TEXT.lastIndex = 0;
  for (let m = STATUS_IN_TEXT.exec(diagnostic); m; m = STATUS_IN_TEXT.exec(diagnostic)) {
    const code = m[0];
    if (code.endsWith('.0.0')) continue;
    if (own && code[0] !== own[0]) continue;
    return code;
  }
  return own;
}

/** The reply code at the start of a diagnostic ("smtp; 550 5.1.1 ..."), '' when none. */
export function replyInText(diagnostic: string): string {
  const m = REPLY_IN_TEXT.exec(diagnostic.trimStart());
  return m?.[1] ?? '';
}

/** Leading "smtp; 550 5.1.1 " or "550-5.1.1 " of a diagnostic: kept as is. */
const LEAD = /^(?:[a-z0-9-]+; ?)?(?:[245]\d\d[ -])?(?:#?[245]\.\d{1,3}\.\d{1,3} )?/;
/** Reply-code prefixes repeated inside a multi-line reply ("550-5.7.1 ", "550 5.7.1 ", "550-"). */
const REPEATED = /\b[245]\d\d-(?:[245]\.\d{1,3}\.\d{1,3}\b)?|\b[245]\d\d [245]\.\d{1,3}\.\d{1,3}\b/g;

/**
 * The whitespace runs that folding to one space changes: any run but a lone ' '. Same result as
 * replace(/\s+/g, ' '), without replacing every single space of the text by another one.
 */
const FOLD = /[^\S ]\s*| \s+/g;
const REPLY_LIKE = /[245]\d\d[ -]/;

/**
 * Normalise a diagnostic for phrase matching: lower-case, whitespace folded, and the reply-code
 * prefixes that multi-line replies repeat on every line removed after the first, so that a phrase
 * broken across lines ("multiple 550-5.7.1 addresses") still matches.
 */
export function normalise(diagnostic: string): string {
  const t = diagnostic.toLowerCase().replace(FOLD, ' ').trim();
  // No reply code anywhere: nothing repeated to remove (the test below looks at a suffix of t).
  if (!REPLY_LIKE.test(t)) return t;
  const lead = LEAD.exec(t)?.[0] ?? '';
  const rest = t.slice(lead.length);
  if (!REPLY_LIKE.test(rest)) return t;
  return (lead + rest.replace(REPEATED, ' ')).replace(/\s+/g, ' ').trim();
}
