/**
 * false-positive - evidence that a rejection came from a spam filter, a blocklist, a reputation
 * system or a sender-authentication check, so it says nothing about whether the address exists
 * (bounce-semantics.md §2.6, §4; spam-block-patterns.tsv). Such a rejection is never hard and never
 * Marketo category 2.
 * In: Context. Out: { kind, evidence } or null; a counter-example (a real invalid-address text)
 * vetoes the match. Config keys: none.
 */
import type { Context } from './rules.js';
import type { Reason } from '../types.js';

export type FalsePositiveKind = 'block' | 'spam' | 'reputation' | 'auth';

export interface FalsePositiveRule {
  pattern: RegExp;
  kind: FalsePositiveKind;
  /** A real reply line of the family. */
  seen: string;
  /** The family in other words (other codes, words between the key terms, wrapping). */
  variant: string;
  /** Where the knowledge comes from. */
  source: string;
  note?: string;
}

/** Strong evidence only: names of blocklists, explicit block/spam/reputation wording, provider tags. */
export const rules: FalsePositiveRule[] = [
  {
    pattern: /\bblocked using\b/,
    kind: 'block',
    seen: '554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org',
    variant: '550 5.7.1 Service unavailable; Sender address [x@example.net] blocked using dbl.example-rbl.org; see https://example-rbl.org/q',
    source: 'Postfix src/smtpd/smtpd_check.c reject_rbl_client (default rbl_reply_maps text "... blocked using $rbl_domain")',
  },
  {
    pattern: /\b(?:spamhaus|spamcop|barracuda(?:central)?|sorbs|cloudmark|senderscore|invaluement|ivmsip|abuseat|uribl|surbl|uceprotect|psbl|mailspike|spamrats|backscatterer)\b/,
    kind: 'block',
    seen: '554 Refused. Your IP address is listed in the RBL at b.barracudacentral.org',
    variant: '553 5.7.1 Mail from 192.0.2.9 refused - see https://www.spamcop.net/bl.shtml?192.0.2.9',
    source: 'blocklist operators: Spamhaus (zen.spamhaus.org), SpamCop (bl.spamcop.net), Barracuda (b.barracudacentral.org), SORBS, Cloudmark CSI, Validity SenderScore, Invaluement, CBL (abuseat.org), URIBL, SURBL, UCEPROTECT, PSBL, Mailspike, SpamRATS, Backscatterer - their zone names as MTAs quote them',
  },
  {
    pattern: /\b(?:rbl|dnsbl|rhsbl|dnsrbl)\b|\bproofpoint\.com\/dnsbl|\bipcheck\.proofpoint\.com\b/,
    kind: 'block',
    seen: '550 5.7.0 Blocked - see https://support.proofpoint.com/dnsbl-lookup.cgi?ip=192.0.2.1',
    variant: '554 rejected: your host 192.0.2.4 is in a DNSBL (reason: dynamic pool)',
    source: 'Proofpoint dnsbl-lookup page; RFC 5782 §2 (DNS blacklists and whitelists: "DNSBL")',
  },
  {
    pattern: /(?<!may be |might be |could be )\b(?:black|block|deny|ban)[- ]?list(?:ed|ing)?\b/,
    kind: 'block',
    seen: '550 5.7.1 IP address blacklisted by recipient',
    variant: '554 Your sending host is on our local denylist - contact postmaster',
    source: 'RFC 5782 §1 (blocklists of IP addresses and domains); spam-block-patterns.tsv "blacklist/blocklist/denylist"',
    note: 'cPanel\'s callout text "they may be blacklisted" is boilerplate, not evidence',
  },
  {
    pattern: /(?<!\bnot )\b(?:is |are |was |been |currently )?listed (?:at|in|on|by) (?:the |an? )?(?:(?:[a-z0-9-]{1,63}\.){1,10}[a-z]{2,}\b|(?:rbl|dnsbl|block ?list|black ?list|deny ?list)\b)/,
    kind: 'block',
    seen: 'Your IP address is listed in the RBL at b.barracudacentral.org',
    variant: '550 5.7.1 client 192.0.2.3 is currently listed at bl.example-dnsbl.net - delist first',
    source: 'RFC 5782 §2; Barracuda Central "listed in the RBL" reply; Sendmail dnsbl FEATURE ("Rejected: %s listed at %s", cf/feature/dnsbl.m4)',
  },
  {
    pattern: /\bbanned sending ip\b|\baccess denied,? banned sender\b|\busing customer block list\b|\baccess denied,? rejected by recipient\b/,
    kind: 'block',
    seen: '550 5.7.606 Access denied, banned sending IP [192.0.2.1].',
    variant: '550 5.7.511 Access denied banned sender[192.0.2.1]. To request removal from this list please forward this message to delist@messaging.microsoft.com',
    source: 'Microsoft: Email non-delivery reports and SMTP errors in Exchange Online (5.7.606-649, 5.7.511, 5.7.513, 5.7.507)',
  },
  {
    pattern: /\bpart of their network is on our block list\b|\b(?:s3150|s3140|as3140|sc-00[1-4])\b/,
    kind: 'block',
    seen: "550 5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150).",
    variant: "550 SC-001 (BAY004-MC1F9) Unfortunately, messages from 192.0.2.2 weren't sent.",
    source: 'Outlook.com postmaster troubleshooting (sendersupport.olc.protection.outlook.com: S3150, SC-001..SC-004 block list codes)',
  },
  {
    pattern: /\bpermanently deferred\b|\[(?:ts0[3-9]|tss0[5-9]|tss1\d|bl\d\d|ph\d\d)\]|\bnot accepted for policy reasons\b/,
    kind: 'block',
    seen: '553 5.7.2 [TSS09] All messages from 192.0.2.1 will be permanently deferred',
    variant: '554 Message not allowed - [PH01] Email not accepted for policy reasons. See the error codes page',
    source: 'Yahoo Sender Hub: SMTP error codes (senders.yahooinc.com/smtp-error-codes): [TSS09]/[TSS11] permanently deferred, [BLxx] blocklists, [PH01] policy',
  },
  {
    pattern: /\btemporarily deferred due to (?:unexpected volume or )?user complaints\b|\[tss?0[124]\]/,
    kind: 'reputation',
    seen: '421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints',
    variant: '421 4.7.0 [TS01] Messages from 192.0.2.7 temporarily deferred due to user complaints - 4.16.55.1',
    source: 'Yahoo Sender Hub: SMTP error codes ([TS01]/[TS02]/[TSS04]: unusual traffic or complaints from Yahoo users)',
  },
  {
    pattern: /\[cs01\]/,
    kind: 'block',
    seen: '550 5.7.1 [CS01] Message rejected due to local policy.',
    variant: '550 5.7.1 [CS01] message rejected due to local policy. please visit https://support.apple.com/en-us/102322',
    source: 'Apple iCloud Mail: support.apple.com/en-us/102322 (postmaster information, [CS01])',
  },
  {
    pattern: /\bdnsbl:(?:rbl|att)\b|_is_blocked\b|abuse_rbl@abuse-att\.net/,
    kind: 'block',
    seen: '553 5.3.0 flpd575 DNSBL:RBL 521< 192.0.2.1 >_is_blocked',
    variant: '553 5.3.0 alph736 DNSBL:ATT 521< 192.0.2.2 >_is_blocked. For assistance forward this email to abuse_rbl@abuse-att.net',
    source: 'AT&T postmaster: rbl.att.net (DNSBL:RBL / DNSBL:ATT, abuse_rbl@abuse-att.net)',
  },
  {
    pattern: /\b(?:bl|rl)0000\d\d\b/,
    kind: 'block',
    seen: 'BL000010 (Cloudmark CSI)',
    variant: '554 resimta-po-38v comcast 192.0.2.1 Comcast block for spam. Please see http://postmaster.comcast.net/smtp-error-codes.php#BL000001',
    source: 'Comcast postmaster: postmaster.comcast.net/smtp-error-codes (BL000000-BL000100 block lists, RL000001 rate limit)',
  },
  {
    pattern: /\bofr00\d_10[0-9]\b|\bofr_50[6-9]\b/,
    kind: 'block',
    seen: 'OFR006_102 Ref http://csi.cloudmark.com',
    variant: '550 mwinf5c10 ME Adresse IP source bloquee. OFR004_104 Ref http://csi.cloudmark.com/reset-request',
    source: 'Orange postmaster (postmaster.orange.fr: OFR codes; OFR00x_10x = source IP blocked via Cloudmark CSI)',
  },
  {
    pattern: /\b(?:cxbl|cdrbl|ipbl\d{1,6}|urlbl\d{1,6})\b/,
    kind: 'block',
    seen: 'AUP#CDRBL',
    variant: '554 192.0.2.1 rejected. IPBL1000 https://www.cox.com/residential/support/email-error-codes.html',
    source: 'Cox email error codes (cox.com/residential/support/email-error-codes: CXBL, IPBLnnnn, URLBLnnnn)',
  },
  {
    pattern: /\bib212\b|\bjudged to be spam\b/,
    kind: 'spam',
    seen: '552 This message has been rejected due to content judged to be spam by the internet community IB212',
    variant: '552 message rejected: content judged to be spam by the Internet community (IB212)',
    source: 'GoDaddy email bounce codes (IB212 spam content)',
  },
  {
    pattern: /\btoo many spams? from your ip\b|\bblocked for spamming\b|\bincident de spam\b|\bcurrently sending spam\b|\byou are sending spam\b/,
    kind: 'block',
    seen: '421 Too many spams from your IP',
    variant: '421 too many spam from your IP (192.0.2.1), please visit http://postmaster.free.fr/',
    source: 'free.fr postmaster (postmaster.free.fr); Orange "incident de spam"; Sisimai reason definition "blocked"',
  },
  {
    pattern: /\b(?:low|bad|poor|very low|negative) (?:\S{1,20} )?reputation\b|\bnone\/bad reputation\b|\b(?:ip|domain|sender|sending) reputation\b|\breputation of the sending\b/,
    kind: 'reputation',
    seen: '451 4.7.650 The mail server [192.0.2.25] has been temporarily rate limited due to IP reputation.',
    variant: '550 5.7.1 rejected: the sending domain has a poor email reputation score',
    source: 'Microsoft Exchange Online 4.7.650; Google 421/550 "very low reputation of the sending IP address" (support.google.com/a/answer/3726730); T-Online "none/bad reputation"',
  },
  {
    pattern: /\blikely unsolicited mail\b|\bnature of the content or the links\b|\bunusual rate of (?:unsolicited )?mail\b/,
    kind: 'spam',
    seen: '550-5.7.1 Our system has detected that this message is likely unsolicited mail.',
    variant: '421-4.7.0 This message is suspicious due to the nature of the content or the links within.',
    source: 'Google: SMTP error reference (support.google.com/a/answer/3726730: 5.7.1 unsolicited, 4.7.0 content/links, 4.7.28 unusual rate)',
  },
  {
    pattern: /\b(?:detected|scored|classified|identified|flagged|considered|judged|marked|rated) (?:as|to be|like) (?:a |being )?spam\b|\bspam (?:detected|content|score|classification|message|filter)\b|\b(?:suspected|probable) spam\b|\blooks? like spam\b|\bprobability of (?:being )?spam\b|\bspamassassin\b|\bspam(?:my)? (?:mail|e-?mail)\b/,
    kind: 'spam',
    seen: '554 5.6.0 This message has been scored as spam with a probability of more than 90%',
    variant: '550 5.7.1 Your message was classified as SPAM by our content filter - rejected',
    source: 'Sisimai reason definition "spamdetected"; SpamAssassin reject texts; spam-block-patterns.tsv',
  },
  {
    pattern: /\bmessage content rejected\b|\bcontent rejected\b|\bube\b|\bunsolicited (?:bulk |commercial )?(?:mail|e-?mail|message)\b|\breject, id=\S{1,40} - (?:spam|spammy)\b/,
    kind: 'spam',
    seen: '550 5.7.1 Message content rejected, UBE, id=00000-22-225',
    variant: '554 5.7.0 Reject, id=12345-01 - SPAM',
    source: 'amavisd-new: reject texts "Reject, id=%n - SPAM" and "Message content rejected, UBE, id=%n" (amavisd.conf: final_spam_destiny D_REJECT, $reject_spam_msg)',
  },
  {
    pattern: /\bcontent presents a potential\b|\bblocked for security reasons\b/,
    kind: 'spam',
    seen: '552-5.7.0 This message was blocked because its content presents a potential security issue.',
    variant: '554 5.7.1 [HME1] This message was blocked for security reasons.',
    source: 'Google support.google.com/a/answer/3726730 (552 5.7.0 BlockedMessage: content and attachment scanner); Apple iCloud [HME1] security block',
    note: "a content scanner's verdict on our message: says nothing about the address",
  },
  {
    pattern: /\benvelope blocked\b/,
    kind: 'block',
    seen: '550 Envelope blocked - User Entry - https://community.mimecast.com/docs/DOC-1369#550',
    variant: '550 Envelope blocked - Policy Entry - https://community.mimecast.com/docs/doc-1369#550',
    source: 'Mimecast SMTP error codes (community.mimecast.com DOC-1369: 550 Envelope blocked)',
  },
  {
    pattern: /\bvirus(?:es)? (?:detected|found|infected)\b|\bcontains? (?:a )?(?:virus|malware)\b|\breject, id=\S{1,40} - (?:virus|banned)\b/,
    kind: 'spam',
    seen: '550 Virus Detected; Content Rejected',
    variant: '554 5.7.0 Reject, id=4711-02 - VIRUS: Eicar-Test-Signature',
    source: 'amavisd-new "Reject, id=%n - VIRUS: %v" / "- BANNED: %b"; Sisimai reason definition "virusdetected"',
    note: 'a content scanner: says nothing about the address',
  },
  // Sender authentication: a fault of the sending side's DNS or signing, not of the address.
  {
    pattern: /\b(?:spf|dkim|dmarc|arc)\b(?: [^ :]{1,30}){0,4}? (?:fail(?:s|ed|ure)?|hard ?fail|policy|verification|validation|violation|alignment|not pass|did not pass|record)\b|\b(?:fail(?:s|ed|ure)?|failing|not pass(?:ing)?) (?:to pass )?(?:[^ :]{1,20} ){0,3}?(?:spf|dkim|dmarc|arc)\b/,
    kind: 'auth',
    seen: "550-5.7.26 Unauthenticated email from example.org is not accepted due to domain's DMARC policy.",
    variant: '550 5.7.1 Rejected: message failed the DKIM and SPF checks of this domain',
    source: 'RFC 7372 §3 (X.7.20-26 authentication failures); RFC 7489 §6.3 DMARC policy; Google support.google.com/a/answer/3726730 (5.7.26)',
  },
  {
    pattern: /\bunauthenticated (?:e-?mail|mail|message)s?\b|\bsender is unauthenticated\b|\bsenders? (?:is |are )?(?:required )?to authenticate with\b/,
    kind: 'auth',
    seen: '550 5.7.9 This mail has been blocked because the sender is unauthenticated.',
    variant: '421-4.7.26 This mail has been rate limited because it is unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM.',
    source: 'Yahoo Sender Hub SMTP error codes (5.7.9 unauthenticated); Google support.google.com/a/answer/3726730 (4.7.26)',
  },
  {
    pattern: /\b(?:ptr|rdns|reverse dns|reverse-dns|reverse lookup)(?: [^ :]{1,30}){0,3}? (?:record|required|failed|failure|mismatch|lookup|entry)\b|\b(?:no|missing|invalid|without|lacks?) (?:a |valid )?(?:ptr|rdns|reverse dns)\b|\bcannot find your (?:reverse )?hostname\b/,
    kind: 'auth',
    seen: '550-5.7.25 The IP address sending this message does not have a PTR record setup',
    variant: '450 4.7.1 Client host rejected: cannot find your hostname, [192.0.2.1]',
    source: 'RFC 7372 §3.3 (X.7.25 reverse DNS validation failed); Postfix smtpd_check.c reject_unknown_client_hostname ("cannot find your hostname")',
  },
];

/** Texts that prove the address itself is bad, even next to spam wording (spam-block-patterns.tsv). */
export const counterExamples: ReadonlyArray<{ pattern: RegExp; source: string }> = [
  { pattern: /\bthe email account that you tried to reach does not exist\b/, source: 'Google support.google.com/a/answer/3726730 (550 5.1.1)' },
  { pattern: /\bas\(201806281\)/, source: 'Microsoft Exchange Online directory-based edge blocking (550 5.4.1 ... AS(201806281))' },
  { pattern: /\bthis user doesn't have an? [a-z0-9.-]{1,60} account\b/, source: 'Yahoo Sender Hub SMTP error codes (554 delivery error: dd This user doesn\'t have a yahoo.com account)' },
  { pattern: /\brecipient no longer on server\b|\binactive email address\b/, source: 'Apple iCloud Mail postmaster (support.apple.com/en-us/102322)' },
  { pattern: /\bweren't able to find the recipient domain\b/, source: 'Google support.google.com/a/answer/3726730 (553 5.1.2)' },
];

const COMBINED = new RegExp(rules.map((r) => `(${r.pattern.source})`).join('|'));

/**
 * Literals of which every match of COMBINED contains at least one (rule by rule: "blocked using",
 * rbl/dnsbl/uribl/cxbl/ipbl/urlbl, "list", "[ts", "deferred", "spam", ...). Most replies contain
 * none, and one scan for these few words costs a fraction of the alternation with its leading \b
 * groups. When a rule is added, add one of its literals here (the test checks `seen` and `variant`).
 */
export const PREFILTER =
  /blocked using|envelope blocked|_is_blocked|rbl|sbl|ibl|xbl|pbl|lbl|list|spam|barracuda|sorbs|cloudmark|senderscore|invaluement|ivmsip|abuseat|uceprotect|mailspike|backscatterer|proofpoint|banned|access denied|3150|3140|sc-00|deferred|\[ts|\[bl|\[ph|\[cs01|for policy reasons|0000|ofr|ib212|reputation|unsolicited|nature of the content|unusual rate|content rejected|ube|virus|malware|reject, id=|spf|dkim|dmarc|arc|authenticat|ptr|rdns|reverse|hostname|security/;
const COUNTER = new RegExp(counterExamples.map((r) => `(?:${r.pattern.source})`).join('|'));

/** The reason a false-positive kind stands for when it overrides an address reason. */
export const reasonOf: Record<FalsePositiveKind, Reason> = {
  block: 'blocked',
  spam: 'spamdetected',
  reputation: 'badreputation',
  auth: 'authfailure',
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
