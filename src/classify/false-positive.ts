/**
 * false-positive - evidence that a rejection came from a spam filter, a blocklist or a reputation
 * system, so it says nothing about whether the address exists (bounce-semantics.md §2.6, §4;
 * spam-block-patterns.tsv). Such a rejection is never hard and never Marketo category 2.
 * In: Context. Out: { kind, evidence } or null; a counter-example (a real invalid-address text)
 * vetoes the match. Config keys: none.
 */
import type { Context } from './rules.js';
import type { Reason } from '../types.js';

export type FalsePositiveKind = 'block' | 'spam' | 'reputation';

export interface FalsePositiveRule {
  pattern: RegExp;
  kind: FalsePositiveKind;
  seen: string;
  note?: string;
}

/** Strong evidence only: names of blocklists, explicit block/spam/reputation wording, provider tags. */
export const rules: FalsePositiveRule[] = [
  { pattern: /\bblocked using\b/, kind: 'block', seen: '554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org' },
  { pattern: /\b(?:spamhaus|spamcop|barracuda(?:central)?|sorbs|cloudmark|senderscore|invaluement|ivmsip|abuseat|uribl|surbl|uceprotect|psbl|mailspike)\b/, kind: 'block', seen: '554 Refused. Your IP address is listed in the RBL at b.barracudacentral.org' },
  { pattern: /\b(?:rbl|dnsbl|rhsbl)\b|\bproofpoint\.com\/dnsbl|\bipcheck\.proofpoint\.com\b/, kind: 'block', seen: '550 5.7.0 Blocked - see https://support.proofpoint.com/dnsbl-lookup.cgi?ip=192.0.2.1' },
  { pattern: /(?<!may be )\b(?:black|block|deny)[- ]?list(?:ed)?\b/, kind: 'block', seen: '550 5.7.1 IP address blacklisted by recipient' },
  { pattern: /(?<!not )\blisted (?:at|in|on|by) (?:the )?(?:(?:[a-z0-9-]+\.)+[a-z]{2,}\b|(?:rbl|dnsbl|block ?list|black ?list)\b)/, kind: 'block', seen: 'Your IP address is listed in the RBL at b.barracudacentral.org' },
  { pattern: /\bbanned sending ip\b|\baccess denied, banned sender\b|\busing customer block list\b|\baccess denied, rejected by recipient\b/, kind: 'block', seen: '550 5.7.606 Access denied, banned sending IP [192.0.2.1].', note: 'Microsoft' },
  { pattern: /\bpart of their network is on our block list\b|\b(?:s3150|as3140|sc-00[1-4])\b/, kind: 'block', seen: '550 5.7.1 Unfortunately, messages from [192.0.2.1] weren\'t sent. ... on our block list (S3150).', note: 'Outlook.com' },
  { pattern: /\bpermanently deferred\b|\[(?:tss?\d\d|bl\d\d|ph\d\d)\]|\bnot accepted for policy reasons\b/, kind: 'block', seen: '553 5.7.2 [TSS09] All messages from 192.0.2.1 will be permanently deferred', note: 'Yahoo/AOL/AT&T' },
  { pattern: /\btemporarily deferred due to (?:unexpected volume or )?user complaints\b/, kind: 'reputation', seen: '421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints' },
  { pattern: /\[(?:hme1|cs01)\]/, kind: 'block', seen: '550 5.7.1 [CS01] Message rejected due to local policy.', note: 'iCloud' },
  { pattern: /\bdnsbl:rbl\b|_is_blocked\b|abuse_rbl@abuse-att\.net/, kind: 'block', seen: '553 5.3.0 flpd575 DNSBL:RBL 521< 192.0.2.1 >_is_blocked', note: 'AT&T' },
  { pattern: /\b(?:bl|rl)0000\d\d\b/, kind: 'block', seen: 'BL000010 (Cloudmark CSI)', note: 'Comcast' },
  { pattern: /\bofr00\d_10[0-9]\b|\bofr_506\b/, kind: 'block', seen: 'OFR006_102 Ref http://csi.cloudmark.com', note: 'Orange' },
  { pattern: /\b(?:cxbl|cdrbl|ipbl\d+|urlbl\d+)\b/, kind: 'block', seen: 'AUP#CDRBL', note: 'Cox' },
  { pattern: /\bib212\b/, kind: 'spam', seen: '552 This message has been rejected due to content judged to be spam by the internet community IB212', note: 'GoDaddy' },
  { pattern: /\btoo many spams? from your ip\b|\bblocked for spamming\b|\bincident de spam\b/, kind: 'block', seen: '421 Too many spams from your IP', note: 'free.fr, Orange' },
  { pattern: /\b(?:low|bad|poor|very low|negative) reputation\b|\bnone\/bad reputation\b|\b(?:ip|domain|sender) reputation\b/, kind: 'reputation', seen: '451 4.7.650 ... temporarily rate limited due to IP reputation.' },
  { pattern: /\blikely unsolicited mail\b|\bnature of the content or the links\b|\bunusual rate of (?:unsolicited )?mail\b/, kind: 'spam', seen: '550-5.7.1 Our system has detected that this message is likely unsolicited mail.', note: 'Gmail' },
  { pattern: /\b(?:detected|scored|classified|identified|flagged|considered|judged) (?:as|to be) (?:a )?spam\b|\bspam (?:detected|content|score|classification|message)\b|\bsuspected spam\b|\blooks? like spam\b|\bhigh probability of spam\b|\bspamassassin\b/, kind: 'spam', seen: '554 5.6.0 This message has been scored as spam with a probability of more than 90%' },
  { pattern: /\bmessage content rejected\b|\bcontent rejected\b|\bube\b|\bunsolicited (?:bulk |commercial )?(?:mail|e-?mail|message)\b/, kind: 'spam', seen: '550 5.7.1 Message content rejected, UBE, id=00000-22-225' },
  { pattern: /\benvelope blocked\b/, kind: 'block', seen: '550 Envelope blocked - User Entry - https://community.mimecast.com/docs/DOC-1369#550', note: 'Mimecast' },
  { pattern: /\bvirus(?:es)? (?:detected|found)\b|\bcontains? (?:a )?virus\b/, kind: 'spam', seen: '550 Virus Detected; Content Rejected', note: 'content scanner: says nothing about the address' },
];

/** Texts that prove the address itself is bad, even next to spam wording (spam-block-patterns.tsv). */
export const counterExamples: RegExp[] = [
  /\bthe email account that you tried to reach does not exist\b/,
  /\bas\(201806281\)/,
  /\bthis user doesn't have an? [a-z0-9.-]+ account\b/,
  /\brecipient no longer on server\b|\binactive email address\b/,
  /\bweren't able to find the recipient domain\b/,
];

const COMBINED = new RegExp(rules.map((r) => `(${r.pattern.source})`).join('|'));

/**
 * Literals of which every match of COMBINED contains at least one (rule by rule: "blocked using",
 * rbl/dnsbl/uribl/cxbl/ipbl/urlbl, "list", "[ts", "deferred", "spam", ...). Most replies contain
 * none, and one scan for these few words costs a fraction of the 22-way alternation with its
 * leading \b groups. When a rule is added, add one of its literals here (the test checks `seen`).
 */
export const PREFILTER = /blocked using|envelope blocked|_is_blocked|rbl|sbl|ibl|xbl|pbl|lbl|list|spam|barracuda|sorbs|cloudmark|senderscore|invaluement|ivmsip|abuseat|uceprotect|mailspike|proofpoint|banned|access denied|3150|3140|sc-00|deferred|\[ts|\[bl|\[ph|\[hme1|\[cs01|for policy reasons|0000|ofr|ib212|reputation|unsolicited|nature of the content|unusual rate|content rejected|ube|virus/;
const COUNTER = new RegExp(counterExamples.map((r) => `(?:${r.source})`).join('|'));

/** The reason a false-positive kind stands for when it overrides an address reason. */
export const reasonOf: Record<FalsePositiveKind, Reason> = {
  block: 'blocked',
  spam: 'spamdetected',
  reputation: 'badreputation',
};

/** Find false-positive evidence in the text; null when none or when a counter-example matches. */
export function findFalsePositive(ctx: Context): { kind: FalsePositiveKind; evidence: string } | null {
  if (!PREFILTER.test(ctx.text)) return null;
  const m = COMBINED.exec(ctx.text);
  if (!m) return null;
  if (COUNTER.test(ctx.text)) return null;
  // Which rule matched: the first defined capture group.
  for (let i = 1; i < m.length; i++) {
    if (m[i] !== undefined) return { kind: rules[i - 1]!.kind, evidence: m[0] };
  }
  return { kind: 'block', evidence: m[0] };
}
