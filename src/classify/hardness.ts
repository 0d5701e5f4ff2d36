/**
 * hardness - is this bounce proof that the address itself is bad? A reason that accuses the address
 * (userunknown, hostunknown, hasmoved; notaccept with a permanent code) is only a candidate: `hard`
 * needs every other signal to agree, and any one of the vetoes below makes the verdict soft, with the
 * veto named. A dead address keeps bouncing and is caught later; a good address marked invalid is
 * lost until a person notices (bounce-semantics.md §0.2, §4).
 * In: the reason picked, the Context, how it was decided, the false-positive flag.
 * Out: { hard, veto } where veto is '' or a short text for Verdict.evidence.
 * RFCs: 3463 (status classes and subjects), 3464 §2.3.3 (Action), 5321 §4.2.1 (4yz transient).
 * Config keys: none.
 *
 * Vetoes, in the order they are asked:
 *   1. spam/blocklist/reputation/authentication evidence (a likely false positive);
 *   2. Action: delayed - a warning, not a failure;
 *   3. a 4xx class (status or reply): transient by definition (RFC 5321 §4.2.1); with Action: failed
 *      it means the queue gave up retrying a temporary refusal, not that the address is bad;
 *   4. a temporary qualifier in the remote server's own words ("try again later", "temporarily",
 *      Postfix's "Host not found, try again");
 *   5. an X.7 policy code (except X.7.13 disabled, X.7.17/18 owner changed): RFC 3463 §3.8 says the
 *      refusal is per-host or per-recipient policy, not an address status - unless a provider documents
 *      its own use of the code, or a recipient-validation gateway says the address is listed invalid;
 *   6. a local mailer's failure (Diagnostic-Code type x-unix, procmail, a pipe): the mailbox exists,
 *      its delivery program failed;
 *   7. an enhanced code whose subject contradicts the reason (5.2.2 "mailbox full" next to "user
 *      unknown": the mailbox exists) - unless a provider rule documents that code;
 *   8. a human-readable part that says something else (mailbox full, blocked, try later).
 */
import type { Reason } from '../types.js';
import type { Context } from './rules.js';

/**
 * Reasons that accuse the recipient address itself (they make a bounce hard, hostunknown only as
 * a permanent failure). notaccept is not among them: RFC 7504's 521 "does not accept mail" is about
 * the host and is sent at connection time by design.
 */
export const RECIPIENT_REASONS: ReadonlySet<Reason> = new Set<Reason>(['userunknown', 'hostunknown', 'hasmoved']);

/** Reasons that may be hard at all. */
const CANDIDATES: ReadonlySet<Reason> = new Set<Reason>(['userunknown', 'hostunknown', 'hasmoved', 'notaccept']);

/**
 * Temporary qualifiers in a reply (RFC 5321 §4.2.1: 4yz is "transient"). "Check for typos and try
 * again" (Gmail, Exchange Online: resend after fixing the address) is not one; "not a temporary
 * error" is not either. Sources: Postfix dns_strerror() "Host not found, try again" for TRY_AGAIN
 * (src/dns/dns_strerror.c); Exim "failed temporarily", "retry time not reached"; Sendmail
 * "Deferred:"; the "try again later" / "temporarily" wording of the 4yz replies in RFC 5321 §4.2.
 */
export const TEMPORARY =
  /(?<!\bnot (?:a |be )?)\btemporar(?:y|ily)\b|\btry (?:again )?later\b|\bplease try again\b|, try again\b|\btry again in \d|\bretry (?:later|in \d)|\bwill (?:be )?retr(?:y|ied)\b|\bstill (?:be )?trying\b|\bdeferred\b|\bpersistent transient\b/;

/** X.7 details that are about the mailbox owner, not policy (RFC 5248 registry). */
const NOT_POLICY = /^[45]\.7\.(?:13|17|18)$/;

/** A local delivery program's failure written into the text (Sisimai reason definition "mailererror"). */
const LOCAL_MAILER = /\bprocmail\b|\bmaildrop\b|\bcommand (?:died|failed)\b|\bpipe to \||\bx-unix;/;

/**
 * Enhanced-code subjects and details consistent with each address reason (RFC 3463 §3.2-3.5): the
 * addressing subject (except X.1.7/X.1.8, the sender), the reason's own codes, any X.n.0 ("other
 * or undefined"), which says nothing either way, and for userunknown X.2.1 (a mailbox that does not
 * take mail: RFC 3463 allows it to be permanent). A mailbox-full, system, network, protocol or
 * content code next to an address phrase is a disagreement.
 */
const AGREES: Record<string, RegExp> = {
  userunknown: /^[45]\.(?:1\.(?![78]$)\d{1,3}|2\.[01]|\d\.0)$/,
  hostunknown: /^[45]\.(?:1\.(?![78]$)\d{1,3}|4\.4|\d\.0)$/,
  hasmoved: /^[45]\.(?:1\.(?![78]$)\d{1,3}|7\.1[78]|\d\.0)$/,
  notaccept: /^[45]\.(?:1\.(?![78]$)\d{1,3}|3\.2|4\.4|\d\.0)$/,
};

/** Human-readable wording that contradicts an address verdict: the mailbox exists, or it is not final. */
const HUMAN_CONTRADICTS =
  /\b(?:mailbox|inbox|quota)(?: [^ :]{1,30}){0,3}? (?:full|exceeded)\b|\bover ?quota\b|\bblock ?list|\bblacklist|\bspam\b|\btry (?:again )?later\b|\btemporar(?:y|ily) (?:problem|failure|error|unavailable|deferred|rejected)\b|\bwill (?:be )?retr(?:y|ied)\b|\bstill (?:be )?trying\b/;

/** The domain itself accepts no mail (RFC 7505 null MX, RFC 7504 "does not accept mail", no MX at all). */
const DOMAIN_REFUSES =
  /\bnull ?mx\b|\bno smtp service\b|\b(?:does not|doesn't|do not) (?:accept|receive) (?:any )?(?:e-?mail|mail|messages)\b|\bfind a mail exchanger\b|\bno mx\b|\bno mail exchangers?\b|\bmail receiving disabled\b/;

export interface HardJudgement {
  hard: boolean;
  /** Why a candidate reason was not made hard ('' when hard, or when the reason is no candidate). */
  veto: string;
}

const SOFT: HardJudgement = { hard: false, veto: '' };

/**
 * A recipient-validation gateway's statement that the domain's administrator listed this address as
 * invalid (Spambrella/Proofpoint-style valid-recipient lists answer "550 5.7.1 ... User email address is
 * marked as invalid"): the X.7 code is the gateway's own for its address list, not a policy refusal.
 */
const LISTED_INVALID = /\bmarked as invalid\b/;

export function judgeHard(reason: Reason, ctx: Context, rule: string, likelyFalsePositive: boolean, evidence = ''): HardJudgement {
  if (!CANDIDATES.has(reason)) return SOFT;
  const veto = (why: string): HardJudgement => ({ hard: false, veto: why });

  if (likelyFalsePositive) return veto('spam, blocklist or authentication evidence');
  if (ctx.action === 'delayed') return veto('Action: delayed');
  if (ctx.klass === '4') return veto(ctx.action === 'failed' ? 'a 4xx reply: the queue gave up retrying' : 'a 4xx reply is temporary');
  const temporary = TEMPORARY.exec(ctx.reply);
  if (temporary) return veto(`temporary: "${temporary[0].replace(/^, /, '')}"`);
  // A provider that documents its own use of a code (Yandex answers "5.7.1 No such user!") is read as
  // it documents it; everywhere else X.7 is per-host or per-recipient policy (RFC 3463 §3.8).
  const byProvider = rule.startsWith('provider:');
  const policyCode = /^[45]\.7\./.test(ctx.status) && !NOT_POLICY.test(ctx.status);
  const listedInvalid = policyCode && LISTED_INVALID.test(evidence);
  if (policyCode && !byProvider && !listedInvalid) return veto(`policy code ${ctx.status}`);
  if (ctx.diagnosticType === 'x-unix' || rule === 'type:x-unix') return veto('a local mailer failed (x-unix)');
  const local = LOCAL_MAILER.exec(ctx.text);
  if (local) return veto(`a local mailer failed ("${local[0]}")`);
  if (ctx.status !== '' && !byProvider && !listedInvalid && !AGREES[reason]!.test(ctx.status)) {
    return veto(`status ${ctx.status} disagrees`);
  }
  const human = ctx.human === '' ? null : HUMAN_CONTRADICTS.exec(ctx.human);
  if (human) return veto(`the human-readable part says "${human[0]}"`);

  // notaccept is final only for the domain itself: a null MX (RFC 7505, X.1.10), RFC 7504's 521/556,
  // "does not accept mail", no mail exchanger at all - and only as a permanent failure (with no code
  // at all, a failed Action stands for the permanent class). "System not accepting network messages"
  // (X.3.2) is a state of one server (shutdown, load, maintenance), not of the domain.
  if (reason === 'notaccept') {
    if (!(ctx.klass === '5' || (ctx.klass === '' && ctx.action === 'failed'))) return SOFT;
    if (ctx.replyCode === '521' || ctx.replyCode === '556' || /^5\.1\.10$/.test(ctx.status) || DOMAIN_REFUSES.test(ctx.text)) return { hard: true, veto: '' };
    return veto('a server state, not the domain (RFC 3463 X.3.2)');
  }
  return { hard: true, veto: '' };
}
