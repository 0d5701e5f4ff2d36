/**
 * status-codes - what an enhanced status code (RFC 3463, RFC 5248 registry) or a bare SMTP reply
 * code (RFC 5321, RFC 7504) says about the reason, when no phrase said more.
 * In: '5.1.1', '550'. Out: a Reason or null when the code is ambiguous (x.0.0, 5.7.1, 550 ...).
 * Also: normalise() which extracts the most specific code from a diagnostic text.
 * RFCs: 3463, 4954, 5248, 5321, 6710, 7293, 7372 (x.7.20-26), 7504 (521, 556), 7505 (x.1.10, x.7.27),
 * 8617 (x.7.29), 8689 (x.7.30).
 * Config keys: none.
 */
import type { Reason } from '../types.js';

/** One row of the code table: what a subject.detail means when nothing more specific was said. */
export interface StatusRule {
  /** 'subject.detail' ('1.1'), the class left out: it says only how long the failure lasts. */
  code: string;
  reason: Reason;
  /** Which classes the meaning holds for; RFC 3463 marks some details "only useful for permanent failures". */
  classes?: '5';
  source: string;
}

const R3463 = 'RFC 3463 §3';

/**
 * Enhanced status -> reason. Only codes whose meaning is specific enough to stand alone are here;
 * x.0.0, x.2.0, x.3.0, x.4.0, x.5.0, x.7.0 and x.7.1 ("delivery not authorized") are left out on
 * purpose: they are used for everything from unknown users to blocklists.
 */
export const STATUS_RULES: readonly StatusRule[] = [
  // X.1.X addressing (RFC 3463 §3.2). X.1.1-X.1.3 and X.1.6 are "only useful for permanent failures":
  // a 4.1.1 is a deferral that says nothing yet (Postfix's "address verification in progress").
  { code: '1.0', reason: 'userunknown', classes: '5', source: `${R3463}.2 X.1.0 other address status` },
  { code: '1.1', reason: 'userunknown', classes: '5', source: `${R3463}.2 X.1.1 bad destination mailbox address` },
  { code: '1.2', reason: 'hostunknown', classes: '5', source: `${R3463}.2 X.1.2 bad destination system address` },
  { code: '1.3', reason: 'userunknown', classes: '5', source: `${R3463}.2 X.1.3 bad destination mailbox address syntax` },
  { code: '1.4', reason: 'userunknown', classes: '5', source: `${R3463}.2 X.1.4 destination mailbox address ambiguous` },
  { code: '1.6', reason: 'hasmoved', classes: '5', source: `${R3463}.2 X.1.6 destination mailbox has moved, no forwarding address` },
  { code: '1.7', reason: 'rejected', source: `${R3463}.2 X.1.7 bad sender's mailbox address syntax` },
  { code: '1.8', reason: 'rejected', source: `${R3463}.2 X.1.8 bad sender's system address` },
  { code: '1.10', reason: 'notaccept', source: 'RFC 7505 §3 X.1.10 recipient address has null MX' },
  // X.2.X mailbox (RFC 3463 §3.3)
  { code: '2.1', reason: 'suspend', source: `${R3463}.3 X.2.1 mailbox disabled, not accepting messages` },
  { code: '2.2', reason: 'mailboxfull', source: `${R3463}.3 X.2.2 mailbox full` },
  { code: '2.3', reason: 'exceedlimit', source: `${R3463}.3 X.2.3 message length exceeds administrative limit` },
  { code: '2.4', reason: 'systemerror', source: `${R3463}.3 X.2.4 mailing list expansion problem` },
  // X.3.X mail system (RFC 3463 §3.4)
  { code: '3.1', reason: 'systemfull', source: `${R3463}.4 X.3.1 mail system full` },
  { code: '3.2', reason: 'notaccept', source: `${R3463}.4 X.3.2 system not accepting network messages` },
  { code: '3.3', reason: 'systemerror', source: `${R3463}.4 X.3.3 system not capable of selected features` },
  { code: '3.4', reason: 'mesgtoobig', source: `${R3463}.4 X.3.4 message too big for system` },
  { code: '3.5', reason: 'systemerror', source: `${R3463}.4 X.3.5 system incorrectly configured` },
  // X.4.X network and routing (RFC 3463 §3.5)
  { code: '4.1', reason: 'expired', source: `${R3463}.5 X.4.1 no answer from host (retried until the queue gave up)` },
  { code: '4.2', reason: 'networkerror', source: `${R3463}.5 X.4.2 bad connection` },
  { code: '4.3', reason: 'systemerror', source: `${R3463}.5 X.4.3 directory server failure` },
  { code: '4.4', reason: 'hostunknown', classes: '5', source: `${R3463}.5 X.4.4 unable to route (permanent: the domain has no route)` },
  { code: '4.5', reason: 'systemfull', source: `${R3463}.5 X.4.5 mail system congestion` },
  { code: '4.6', reason: 'networkerror', source: `${R3463}.5 X.4.6 routing loop detected` },
  { code: '4.7', reason: 'expired', source: `${R3463}.5 X.4.7 delivery time expired` },
  // X.5.X protocol (RFC 3463 §3.6; X.5.6 RFC 4954)
  { code: '5.1', reason: 'syntaxerror', source: `${R3463}.6 X.5.1 invalid command` },
  { code: '5.2', reason: 'syntaxerror', source: `${R3463}.6 X.5.2 syntax error` },
  { code: '5.3', reason: 'toomanyconn', source: `${R3463}.6 X.5.3 too many recipients` },
  { code: '5.4', reason: 'syntaxerror', source: `${R3463}.6 X.5.4 invalid command arguments` },
  { code: '5.5', reason: 'syntaxerror', source: `${R3463}.6 X.5.5 wrong protocol version` },
  { code: '5.6', reason: 'syntaxerror', source: 'RFC 4954 §6 X.5.6 authentication exchange line too long' },
  // X.6.X content (RFC 3463 §3.7; X.6.7-X.6.10 RFC 6531/6533/6710, IANA registry)
  ...['6.0', '6.1', '6.2', '6.3', '6.4', '6.5', '6.6', '6.7', '6.8', '6.9', '6.10'].map(
    (code): StatusRule => ({ code, reason: 'contenterror', source: `${R3463}.7 X.6.x message content or media status` }),
  ),
  // X.7.X security and policy (RFC 3463 §3.8; later details from the RFC 5248 registry)
  { code: '7.2', reason: 'policyviolation', source: `${R3463}.8 X.7.2 mailing list expansion prohibited` },
  { code: '7.3', reason: 'securityerror', source: `${R3463}.8 X.7.3 security conversion required but not possible` },
  { code: '7.4', reason: 'securityerror', source: `${R3463}.8 X.7.4 security features not supported` },
  { code: '7.5', reason: 'securityerror', source: `${R3463}.8 X.7.5 cryptographic failure` },
  { code: '7.6', reason: 'securityerror', source: `${R3463}.8 X.7.6 cryptographic algorithm not supported` },
  { code: '7.7', reason: 'securityerror', source: `${R3463}.8 X.7.7 message integrity failure` },
  { code: '7.8', reason: 'securityerror', source: 'RFC 4954 §6 X.7.8 authentication credentials invalid' },
  { code: '7.9', reason: 'securityerror', source: 'RFC 4954 §6 X.7.9 authentication mechanism is too weak' },
  { code: '7.10', reason: 'securityerror', source: 'RFC 5248 registry X.7.10 encryption needed' },
  { code: '7.11', reason: 'securityerror', source: 'RFC 4954 §6 X.7.11 encryption required for requested authentication mechanism' },
  { code: '7.12', reason: 'securityerror', source: 'RFC 4954 §6 X.7.12 a password transition is needed' },
  { code: '7.13', reason: 'suspend', source: 'RFC 5248 registry X.7.13 user account disabled' },
  { code: '7.14', reason: 'securityerror', source: 'RFC 5248 registry X.7.14 trust relationship required' },
  { code: '7.15', reason: 'policyviolation', source: 'RFC 6710 §6 X.7.15 priority level is too low' },
  { code: '7.16', reason: 'policyviolation', source: 'RFC 6710 §6 X.7.16 message is too big for the specified priority' },
  { code: '7.17', reason: 'hasmoved', source: 'RFC 7293 §4 X.7.17 mailbox owner has changed' },
  { code: '7.18', reason: 'hasmoved', source: 'RFC 7293 §4 X.7.18 domain owner has changed' },
  { code: '7.19', reason: 'securityerror', source: 'RFC 7293 §4 X.7.19 RRVS test cannot be completed' },
  { code: '7.20', reason: 'authfailure', source: 'RFC 7372 §3.1 X.7.20 no passing DKIM signature found' },
  { code: '7.21', reason: 'authfailure', source: 'RFC 7372 §3.1 X.7.21 no acceptable DKIM signature found' },
  { code: '7.22', reason: 'authfailure', source: 'RFC 7372 §3.1 X.7.22 no valid author-matched DKIM signature found' },
  { code: '7.23', reason: 'authfailure', source: 'RFC 7372 §3.2 X.7.23 SPF validation failed' },
  { code: '7.24', reason: 'authfailure', source: 'RFC 7372 §3.2 X.7.24 SPF validation error' },
  { code: '7.25', reason: 'requireptr', source: 'RFC 7372 §3.3 X.7.25 reverse DNS validation failed' },
  { code: '7.26', reason: 'authfailure', source: 'RFC 7372 §3.4 X.7.26 multiple authentication checks failed' },
  { code: '7.27', reason: 'rejected', source: 'RFC 7505 §3 X.7.27 sender address has null MX' },
  { code: '7.28', reason: 'blocked', source: 'RFC 5248 registry X.7.28 mail flood detected (RFC 8904 context)' },
  { code: '7.29', reason: 'authfailure', source: 'RFC 8617 §5.2 X.7.29 ARC validation failure' },
  { code: '7.30', reason: 'failedstarttls', source: 'RFC 8689 §5.2 X.7.30 REQUIRETLS support required' },
];

const BY_STATUS = new Map(STATUS_RULES.map((r) => [r.code, r]));

/** Reason for an enhanced status code, or null when the code alone decides nothing. */
export function reasonFromStatus(status: string): Reason | null {
  const dot = status.indexOf('.');
  if (dot < 0) return null;
  const klass = status.slice(0, dot);
  if (klass !== '4' && klass !== '5') return null;
  const rule = BY_STATUS.get(status.slice(dot + 1));
  if (!rule || (rule.classes !== undefined && rule.classes !== klass)) return null;
  return rule.reason;
}

/**
 * Reason for a bare reply code when neither an enhanced code nor a phrase decided. Only codes whose
 * RFC meaning is narrow.
 */
export const REPLY_RULES: ReadonlyArray<{ code: string; reason: Reason; source: string }> = [
  { code: '421', reason: 'systemerror', source: 'RFC 5321 §4.2.2 421 service not available, closing transmission channel' },
  { code: '452', reason: 'systemfull', source: 'RFC 5321 §4.2.2 452 insufficient system storage' },
  { code: '521', reason: 'notaccept', source: 'RFC 7504 §3 521 host does not accept mail' },
  { code: '551', reason: 'hasmoved', source: 'RFC 5321 §3.4 551 user not local; please try <forward-path>' },
  { code: '552', reason: 'mailboxfull', source: 'RFC 5321 §4.2.2 552 exceeded storage allocation' },
  { code: '553', reason: 'userunknown', source: 'RFC 5321 §4.2.2 553 mailbox name not allowed (syntax incorrect)' },
  { code: '556', reason: 'notaccept', source: 'RFC 7504 §3 556 domain does not accept mail' },
];
const BY_REPLY = new Map(REPLY_RULES.map((r) => [r.code, r.reason]));

export function reasonFromReply(code: string): Reason | null {
  return BY_REPLY.get(code) ?? null;
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
