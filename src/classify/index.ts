/**
 * classify - decide, for one failed recipient, the Sisimai reason, hard or soft, the Marketo category
 * and whether the rejection is a likely false positive (a spam filter, blocklist, reputation system or
 * sender-authentication check said no, which says nothing about the address).
 * In: a Finding and the Report it came from. Out: a Verdict. Pure, synchronous, never throws.
 * RFCs: 3463 (enhanced status), 3464 (Action), 5321/7504 (reply codes), 5965 (feedback), 3834 (vacation).
 * Config keys: none. docs/CLASSIFICATION.md has the decision order with examples.
 *
 * The reason, most specific knowledge first:
 *   1. the message type and Action: delivered / feedback / vacation are not bounces;
 *   2. the decoder's reasonHint, where the format itself names the reason (ARF, auto-replies, a
 *      provider's own bounce format), and phrase rules qualified by the decoder (an MTA's own words);
 *   3. provider rules, for the receiving provider recognised by the remote host, its own marks in
 *      the text, the recipient's domain when the remote host names no host (absent or an IP
 *      literal), or (last) the reporting host;
 *   4. enhanced status codes whose meaning no text overrides (X.1.6, X.7.17, X.7.18: moved);
 *   5. phrase tables over the diagnostic, in the order of reasons.ts, then over the human-readable
 *      explanation the decoder saw for this recipient (Finding.human);
 *   6. a local mailer's failure (Diagnostic-Code type x-unix): mailererror;
 *   7. the enhanced status code (status-codes.ts), a bare X.7.0/X.7.1, then the bare reply code;
 *   8. the SMTP stage alone (refused at connect: blocked; at MAIL FROM: rejected);
 *   9. Action delayed: expired; an unreadable diagnostic: onhold; nothing: undefined.
 * The SMTP stage then qualifies an address verdict (before RCPT TO it cannot be about the recipient).
 * Afterwards false-positive evidence (false-positive.ts) turns an address verdict into a block and
 * flags any verdict; hardness.ts weighs every signal before calling the address bad.
 */
import type { Finding, Reason, Report, Verdict } from '../types.js';
import { AUTH_REASONS, categoryOf } from './category.js';
import { buildContext } from './context.js';
import { findFalsePositive, reasonOf } from './false-positive.js';
import { judgeHard, RECIPIENT_REASONS, TEMPORARY } from './hardness.js';
import { COMPILED, PROVIDERS } from './reasons.js';
import type { Context, Provider } from './rules.js';
import { compileRules } from './rules.js';
import { reasonFromReply, reasonFromStatus } from './status-codes.js';

interface ReasonPick {
  reason: Reason;
  rule: string;
  evidence: string;
}

/** Hints that mean "the decoder could not tell": they leave the decision to the text. */
const WEAK_HINTS: ReadonlySet<Reason> = new Set<Reason>(['undefined', 'onhold']);

/**
 * Reasons false-positive evidence overrides: the ones that say something about the address, the weak
 * ones, and 'rejected' (a sender rejection that names a blocklist is the block).
 */
const ADDRESS_REASONS: ReadonlySet<Reason> = new Set<Reason>([
  'rejected',
  'userunknown',
  'hostunknown',
  'hasmoved',
  'notaccept',
  'filtered',
  'suspend',
  'undefined',
  'onhold',
  'securityerror',
  'systemerror',
]);

/**
 * An IPv4 address, a client host, or reputation in the remote server's own words: a 5.7.1 that talks
 * about the sending side (bounce-semantics.md §4 step 7). Tested on Context.reply, so the remote
 * server's own address in "host mx.example.org[192.0.2.1] said:" does not count.
 */
const SENDER_HOST = /\b\d{1,3}(?:\.\d{1,3}){3}\b|\bclient host\b|\bsending (?:ip|host|server)\b|\byour (?:ip|host|server)\b|\breputation\b/;

/** RFC 3463/7293: the mailbox or the domain changed hands; no text makes these about anything else. */
const DECISIVE_STATUS = /^[45]\.(?:1\.6|7\.17|7\.18)$/;

/** Providers with their rule lists compiled once. */
const COMPILED_PROVIDERS = PROVIDERS.map((p) => ({
  p,
  rules: p.rules.map((r) => ({ r, re: r.phrase || r.pattern ? compileRules([r]) : null })),
}));

const ANY_HOST = new RegExp(PROVIDERS.map((p) => `(?:${p.hosts.source})`).join('|'));
const ANY_MARK = new RegExp(PROVIDERS.filter((p) => p.marks).map((p) => `(?:${p.marks!.source})`).join('|'));
/**
 * Literals of which every match of a provider's marks contains one (URLs end in .com, codes carry
 * "aup#", "ofr", "ib" and a digit...): one cheap scan before the alternation of all marks.
 * A provider whose marks contain none of these must add one here (tested in providers.test.ts).
 */
export const MARK_KEYS =
  /\.com|\.net|\.fr|\.de|\.ru|resolver\.|dnsbl:|abuse-att|recipients \(|0000|aup#|ib\d|gsmtp|mimecast|ofr|lpn|spectrum\.net|ask your postmaster|rcp-|mx\.|pphosted|ya\.cc|as\(\d/;

/**
 * Hosts and recipient domains repeat from bounce to bounce: remember whether one names any provider
 * (bounded, so a stream of distinct names costs memory only up to the limit).
 */
const HOST_MEMO = new Map<string, boolean>();
const HOST_MEMO_MAX = 4096;

function anyProviderHost(s: string): boolean {
  if (s.length === 0) return false;
  let known = HOST_MEMO.get(s);
  if (known === undefined) {
    if (HOST_MEMO.size >= HOST_MEMO_MAX) HOST_MEMO.clear();
    known = ANY_HOST.test(s);
    HOST_MEMO.set(s, known);
  }
  return known;
}

function statusMatches(want: string | RegExp | undefined, status: string): boolean {
  if (want === undefined) return true;
  return typeof want === 'string' ? want === status : want.test(status);
}

/**
 * The host that rejected names the provider; then texts only one provider writes; then, when the
 * rejecting host names no host (absent, or an IP literal), the recipient's domain. Only when none of
 * these names a provider is the reporting host asked (providers that write their own bounces), so
 * that a provider relaying someone else's rejection does not lend its rules to it.
 */
function byProvider(ctx: Context): ReasonPick | null {
  // One scan each (or a memo) decides whether any provider could be meant before asking them one by one.
  const host = anyProviderHost;
  return (
    (host(ctx.hosts) && askProviders(ctx, (p) => p.hosts.test(ctx.hosts))) ||
    (ctx.text.length > 0 && MARK_KEYS.test(ctx.text) && ANY_MARK.test(ctx.text) && askProviders(ctx, (p) => p.marks !== undefined && p.marks.test(ctx.text))) ||
    (ctx.hostsAnonymous && host(ctx.recipientDomain) && askProviders(ctx, (p) => p.hosts.test(ctx.recipientDomain))) ||
    (host(ctx.reportingHost) && askProviders(ctx, (p) => p.hosts.test(ctx.reportingHost))) ||
    null
  );
}

function askProviders(ctx: Context, match: (p: Provider) => boolean): ReasonPick | null {
  for (const { p, rules } of COMPILED_PROVIDERS) {
    if (!match(p)) continue;
    if (p.decide) {
      const d = p.decide(ctx);
      if (d) return { reason: d.reason, rule: `provider:${p.name}`, evidence: d.evidence };
    }
    const own = providerRule(ctx, p.name, rules, ctx.text);
    if (own) return own;
  }
  // The provider's own words may also be in the explanation the reporter wrote around its reply.
  if (ctx.human === '') return null;
  for (const { p, rules } of COMPILED_PROVIDERS) {
    if (!match(p)) continue;
    const own = providerRule(ctx, p.name, rules.filter((x) => x.re !== null), ctx.human);
    if (own) return own;
  }
  return null;
}

function providerRule(ctx: Context, name: string, rules: (typeof COMPILED_PROVIDERS)[number]['rules'], text: string): ReasonPick | null {
  for (const { r, re } of rules) {
    if (!statusMatches(r.status, ctx.status)) continue;
    if (re) {
      const m = re.exec(text);
      if (!m) continue;
      return { reason: r.reason, rule: `provider:${name}`, evidence: m[0] };
    }
    if (r.status !== undefined) return { reason: r.reason, rule: `provider:${name}`, evidence: ctx.status };
  }
  return null;
}

/**
 * Phrase tables in order; `mta` asks only the rules qualified for that decoder. A qualified rule is
 * the reporting MTA's own sentence about its own delivery attempt: it names the reason as it is,
 * without the stage-dependent second look (refine) that replies relayed from elsewhere need.
 */
function byPhrase(ctx: Context, text: string, mta?: string): ReasonPick | null {
  if (text.length === 0) return null;
  for (const t of COMPILED) {
    const re = mta === undefined ? t.re : t.byMta.get(mta);
    if (!re) continue;
    if (mta === undefined && t.keys !== undefined && !t.keys.test(text)) continue;
    const m = re.exec(text);
    if (!m) continue;
    if (mta !== undefined) return { reason: t.reason, rule: `mta:${mta}`, evidence: m[0] };
    const reason = t.refine ? t.refine(ctx, m[0]) : t.reason;
    if (reason) return { reason, rule: `phrase:${t.reason}`, evidence: m[0] };
  }
  return null;
}

/**
 * Before RCPT TO the recipient has not been named yet: an address verdict answered to the greeting
 * or HELO is about our host (blocked), answered to MAIL FROM about our sender (rejected).
 */
function beforeRcpt(pick: ReasonPick, ctx: Context): ReasonPick {
  if (!RECIPIENT_REASONS.has(pick.reason)) return pick;
  switch (ctx.command) {
    case 'CONN':
    case 'HELO':
    case 'EHLO':
      return { ...pick, reason: 'blocked', rule: `${pick.rule}+${ctx.command}` };
    case 'MAIL':
      return { ...pick, reason: 'rejected', rule: `${pick.rule}+MAIL` };
    default:
      return pick;
  }
}

/** The reason alone, before false-positive evidence and hardness. */
function pickReason(f: Finding, report: Report, ctx: Context): ReasonPick {
  // Not bounces.
  // RFC 3464: relayed and expanded are success notices too (handed on, or expanded to a list).
  if (ctx.action === 'delivered' || ctx.action === 'relayed' || ctx.action === 'expanded' || report.type === 'delivered' || f.reasonHint === 'delivered') {
    return { reason: 'delivered', rule: `action:${ctx.action || 'delivered'}`, evidence: '' };
  }
  if (report.type === 'feedback' || f.reasonHint === 'feedback' || (f.feedbackType ?? '') !== '') {
    return { reason: 'feedback', rule: 'type:feedback', evidence: f.feedbackType ?? '' };
  }
  if (report.type === 'autoreply' || f.reasonHint === 'vacation') {
    // An auto-reply decoder may recognise "this mailbox is no longer in use": its hint wins.
    if (f.reasonHint && f.reasonHint !== 'vacation' && !WEAK_HINTS.has(f.reasonHint)) {
      return { reason: f.reasonHint, rule: `hint:${f.decodedBy || 'auto-reply'}`, evidence: '' };
    }
    return { reason: 'vacation', rule: 'type:autoreply', evidence: '' };
  }

  // The decoder knew from the format, or the reporting MTA's own words say it.
  if (f.reasonHint && !WEAK_HINTS.has(f.reasonHint)) {
    return { reason: f.reasonHint, rule: `hint:${f.decodedBy || 'decoder'}`, evidence: '' };
  }
  if (ctx.decodedBy !== '') {
    const own = byPhrase(ctx, ctx.text, ctx.decodedBy) ?? byPhrase(ctx, ctx.human, ctx.decodedBy);
    if (own) return beforeRcpt(own, ctx);
  }

  const provider = byProvider(ctx);
  if (provider) return beforeRcpt(provider, ctx);

  if (DECISIVE_STATUS.test(ctx.status)) return beforeRcpt({ reason: 'hasmoved', rule: `status:${ctx.status}`, evidence: ctx.status }, ctx);

  const phrase = byPhrase(ctx, ctx.text);
  if (phrase) return beforeRcpt(phrase, ctx);
  // The reporter's own explanation for this recipient, when its reply said nothing we know.
  const explained = byPhrase(ctx, ctx.human);
  if (explained) return beforeRcpt({ ...explained, rule: `${explained.rule}+human` }, ctx);

  // A local delivery agent (pipe, procmail) failed: "x-unix; <exit status or its message>".
  if (ctx.diagnosticType === 'x-unix') {
    const bare = /^\d{1,3}$/.test(ctx.text) ? reasonFromStatus(ctx.status) : null;
    return { reason: bare ?? 'mailererror', rule: 'type:x-unix', evidence: ctx.text.slice(0, 80) };
  }

  const fromStatus = reasonFromStatus(ctx.status);
  if (fromStatus) return beforeRcpt({ reason: fromStatus, rule: `status:${ctx.status}`, evidence: ctx.status }, ctx);

  // X.7.0/X.7.1 with no telling text (bounce-semantics.md §4.7): about our host when the remote
  // server's reply names an IP address, a client host or reputation, or came before MAIL FROM;
  // otherwise the receiver's policy. Never an address.
  if (/^[45]\.7\.[01]$/.test(ctx.status)) {
    const about = SENDER_HOST.exec(ctx.reply);
    if (about) return { reason: 'blocked', rule: `status:${ctx.status}+host`, evidence: about[0] };
    if (ctx.command === 'CONN' || ctx.command === 'HELO' || ctx.command === 'EHLO') {
      return { reason: 'blocked', rule: `status:${ctx.status}+${ctx.command}`, evidence: ctx.status };
    }
    return { reason: 'policyviolation', rule: `status:${ctx.status}`, evidence: ctx.status };
  }

  const fromReply = ctx.replyCode ? reasonFromReply(ctx.replyCode) : null;
  if (fromReply) return beforeRcpt({ reason: fromReply, rule: `reply:${ctx.replyCode}`, evidence: ctx.replyCode }, ctx);

  switch (ctx.command) {
    case 'CONN':
    case 'HELO':
    case 'EHLO':
      return { reason: 'blocked', rule: `command:${ctx.command}`, evidence: '' };
    case 'MAIL':
      return { reason: 'rejected', rule: 'command:MAIL', evidence: '' };
    default:
      break;
  }

  // A delay warning. (A failure after a temporary refusal retried until the queue gave up keeps the
  // refusal's own reason, or onhold when it says nothing: the refusal, not the queue, is the cause.)
  if (ctx.action === 'delayed') return { reason: 'expired', rule: 'action:delayed', evidence: '' };
  if (f.reasonHint) return { reason: f.reasonHint, rule: `hint:${f.decodedBy || 'decoder'}`, evidence: '' };
  if (ctx.text.length > 0) return { reason: 'onhold', rule: 'fallback:onhold', evidence: '' };
  return { reason: 'undefined', rule: 'fallback:undefined', evidence: '' };
}

const NOT_BOUNCE: ReadonlySet<Reason> = new Set<Reason>(['delivered', 'feedback', 'vacation']);

/** Evidence text of a sender-authentication verdict: names the cause, so an operator sees whose fault it is. */
function authEvidence(reason: Reason, evidence: string): string {
  const cause = reason === 'rejected' ? 'sender authentication/policy' : reason === 'requireptr' ? 'sender authentication (reverse DNS/HELO)' : 'sender authentication';
  return evidence.startsWith('sender authentication') ? evidence : `${cause}: ${evidence}`;
}

/**
 * A bare X.7.0/X.7.1 answered to DATA refused the message, not the recipient: after DATA only the
 * content and its headers are judged, so it is a filter's verdict on our message (RFC 3463 §3.8
 * "per-host or per-recipient filtering"; RFC 5321 §3.3: the address was accepted at RCPT). When the
 * stage is unknown, a reply that says the message itself was refused says the same.
 */
const MESSAGE_REFUSED = /\bmessage (?:was |has been |is )?(?:refused|rejected|not accepted)\b/;

function contentVerdictAfterData(pick: ReasonPick, ctx: Context): boolean {
  const aboutMessage = ctx.command === 'DATA' || (ctx.command === '' && MESSAGE_REFUSED.test(ctx.reply));
  return aboutMessage && ctx.klass === '5' && /^status:5\.7\.[01]$/.test(pick.rule) && !TEMPORARY.test(ctx.reply);
}

function decide(f: Finding, report: Report): Verdict {
  const ctx = buildContext(f);
  let pick = pickReason(f, report, ctx);
  let likelyFalsePositive = false;
  // Only sender authentication says the bounce is not the address's fault: flagged, but not a block.
  let authOnly = false;

  if (!NOT_BOUNCE.has(pick.reason)) {
    const fp = findFalsePositive(ctx);
    if (fp) {
      likelyFalsePositive = true;
      authOnly = fp.kind === 'auth' && categoryOf(pick.reason, false, false) !== 1;
      if (ADDRESS_REASONS.has(pick.reason)) {
        pick = { reason: reasonOf[fp.kind], rule: `false-positive:${fp.kind}`, evidence: fp.evidence };
      } else if (pick.evidence === '') {
        pick = { ...pick, evidence: fp.evidence };
      }
    } else if (categoryOf(pick.reason, false, false) === 1) {
      // blocked, spamdetected, badreputation, virusdetected decided by a rule: the same judgement.
      likelyFalsePositive = true;
    } else if (AUTH_REASONS.has(pick.reason)) {
      likelyFalsePositive = true;
      authOnly = true;
    } else if (contentVerdictAfterData(pick, ctx)) {
      likelyFalsePositive = true;
      pick = { ...pick, evidence: ctx.command === 'DATA' ? `content refused after DATA (${ctx.status})` : `message refused (${ctx.status})` };
    }
    if (authOnly) pick = { ...pick, evidence: authEvidence(pick.reason, pick.evidence || ctx.status) };
  }

  const { hard, veto } = judgeHard(pick.reason, ctx, pick.rule, likelyFalsePositive, pick.evidence);
  return {
    reason: pick.reason,
    hard,
    // A sender-authentication failure is flagged but stays in its own category (4 for authfailure
    // and requireptr): the fix is on our side, no 24-hour suspension helps.
    category: authOnly ? categoryOf(pick.reason, false, false) : categoryOf(pick.reason, hard, likelyFalsePositive),
    likelyFalsePositive,
    evidence: veto === '' || likelyFalsePositive ? pick.evidence : `${pick.evidence}${pick.evidence ? ' ' : ''}[soft: ${veto}]`,
    rule: pick.rule,
  };
}

/** Classify one finding. Never throws: a bug in a rule yields 'undefined' with the error as rule. */
export function classify(finding: Finding, report: Report): Verdict {
  try {
    return decide(finding, report);
  } catch (err) {
    return {
      reason: 'undefined',
      hard: false,
      category: 9,
      likelyFalsePositive: false,
      evidence: '',
      rule: `error:${err instanceof Error ? err.message : String(err)}`,
    };
  }
}
