/**
 * pipeline - process one stored message: analyze (parse -> decode -> classify) -> record one event
 * per recipient -> recompute the Marketo state of every address it touched.
 *
 * In: a message row id (the raw bytes are already durable in the store). Out: ProcessOutcome;
 * the row becomes processed / not-a-bounce / failed(+error) and is never dropped. Idempotent:
 * a message that is no longer pending is skipped unless `force` (reprocess), and a forced run
 * replaces the message's events and recomputes the affected addresses, so nothing double-counts.
 *
 * Which time counts (docs/STATE-RULES.md): an event's `at` is when the bounce happened - the
 * bounce's own Date: header - clamped to be no later than our receipt and ignored when it is
 * unreadable or more than a year earlier; otherwise our receipt time. So a bounce that sat in
 * an IMAP backlog for two days suspends from when it was written, and its 24 h may have passed.
 */
import { analyzeMessage } from './analyze.js';
import { withoutComments } from '../decode/text.js';
import type { DecodeContext } from '../decode/types.js';
import type { Analysis, Envelope } from '../types.js';
import { causeOf, effectOf, normaliseAddress, type EventInput, type ProcessPlan, type StoredMessage } from '../store/index.js';

/** The analysis step (parse -> decode -> classify): analyzeMessage, or a test's stand-in. May
 *  answer at once or later; planMessage awaits it. */
export type AnalyzeFn = (raw: Buffer, env: Envelope) => Analysis | Promise<Analysis>;

export const defaultAnalyze: AnalyzeFn = (raw, env) => analyzeMessage(raw, undefined, decodeContextOf(env));

/**
 * What the envelope tells the decode stage. MAIL FROM is known only where we took the SMTP/LMTP
 * transaction ourselves ('' there is the null sender <>); for IMAP and files '' means "not known",
 * and the message's own Return-Path header speaks instead.
 */
export function decodeContextOf(env: Envelope): DecodeContext {
  const known = env.source === 'smtp' || env.source === 'lmtp';
  return known ? { mailFrom: env.mailFrom, rcptTo: env.rcptTo } : { rcptTo: env.rcptTo };
}

/**
 * Who a bounce is about according to its envelope: the VERP token of the return path it was sent
 * to, as intake judged it when the message arrived (Envelope.returnPaths; never decoded again
 * here), and whether that token may change state (a bad or expired signature may not, unless
 * verp.allowUnverifiedState was on then). The first return path whose token names an address and
 * may change state wins, else the first naming one. null: no token (files, stdin, IMAP without
 * one, foreign addresses), and the report alone decides.
 */
export function tokenOf(env: Pick<Envelope, 'returnPaths'>): { address: string; mayChangeState: boolean } | null {
  const named = (env.returnPaths ?? []).filter((r) => r.address !== '');
  const best = named.find((r) => r.mayChangeState) ?? named[0];
  return best ? { address: best.address, mayChangeState: best.mayChangeState } : null;
}

/**
 * Analyse a loaded message and decide its events; no I/O. Never rejects for a bad message. The
 * only asynchronous step is the analysis: the caller commits the plan afterwards, in a
 * synchronous transaction of its own.
 */
export async function planMessage(msg: Pick<StoredMessage, 'id' | 'raw' | 'env'>, analyze: AnalyzeFn): Promise<ProcessPlan> {
  const base = { id: msg.id, analysis: null, bounceAt: null, events: [] };
  if (msg.raw === null) return { ...base, state: 'failed', error: 'raw message pruned; cannot process' };
  let analysis: Analysis;
  try {
    analysis = await analyze(msg.raw, msg.env);
  } catch (err) {
    // Kept and marked (Postfix's corrupt queue): `rebound reprocess --failed` retries after an upgrade.
    return { ...base, state: 'failed', error: `analyze: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (analysis.unreadable !== undefined) {
    // Too large, beyond the parser's limits, or a crash: kept and marked the same way.
    return { ...base, analysis, state: 'failed', error: `unreadable: ${analysis.unreadable}` };
  }
  const receivedAt = msg.env.receivedAt;
  // The parser already read the Date: header; scan the raw bytes only for analyses that lack it.
  const bounceAt = bounceTime(analysis.date ?? msg.raw, receivedAt);

  if (analysis.type === 'not-bounce') {
    return { ...base, analysis, bounceAt, state: 'not-a-bounce', error: null };
  }
  // The VERP token names the address first, the report second. A VERP return path is
  // made for one recipient, so when the report names at most one distinct address the token's
  // address is the one the bounce is about (the report may show a forwarding target or nothing).
  // A report naming several addresses (an alias expanded at the far end) keeps them, since the
  // token cannot say which of them failed.
  const token = tokenOf(msg.env);
  const tokenAddress = token ? normaliseAddress(token.address) : '';
  const reported = new Set(analysis.recipients.map((r) => normaliseAddress(r.address)).filter((a) => a !== ''));
  const useToken = tokenAddress !== '' && reported.size <= 1;
  const events: EventInput[] = [];
  for (const r of analysis.recipients) {
    const own = normaliseAddress(r.address);
    const address = useToken ? tokenAddress : own;
    // A bounce at a return path whose signature failed is recorded but changes nothing.
    const mayChange = address !== '' && (token === null || token.mayChangeState);
    events.push({
      address,
      rawAddress: r.address,
      at: bounceAt,
      receivedAt,
      messageType: analysis.type,
      result: r,
      effect: mayChange ? effectOf(analysis.type, r) : 'none',
      cause: causeOf(r),
    });
  }
  if (events.every((e) => e.address === '')) {
    // A report we recognised but could not attribute to any recipient: keep it visible and retryable.
    const why = analysis.problems.length > 0 ? analysis.problems.join('; ') : 'no recipient found';
    return { ...base, analysis, bounceAt, events, state: 'failed', error: `${analysis.type}: ${why}` };
  }
  return { ...base, analysis, bounceAt, events, state: 'processed', error: null };
}

const YEAR = 365 * 86_400_000;
const MAX_DATE = 998;


/** The bounce's own Date: header, within sane bounds of our receipt time; else the receipt time. */
export function bounceTime(dateOrRaw: string | Buffer, receivedAt: number): number {
  let value: string;
  if (typeof dateOrRaw === 'string') value = dateOrRaw;
  else {
    const head = dateOrRaw.subarray(0, Math.min(dateOrRaw.length, 64 * 1024)).toString('latin1');
    const end = head.search(/\r?\n\r?\n/);
    const block = end >= 0 ? head.slice(0, end) : head;
    const m = /^date:[ \t]*((?:.*)(?:\r?\n[ \t].*)*)/im.exec(block);
    if (!m || m[1] === undefined) return receivedAt;
    value = m[1];
  }
  if (value === '') return receivedAt;
  // A date is some 40 characters; a longer value is garbage or comments, and is cut.
  const t = Date.parse(withoutComments(value.slice(0, MAX_DATE).replace(/\r?\n[ \t]+/g, ' ')).trim());
  if (!Number.isFinite(t) || t < receivedAt - YEAR) return receivedAt;
  return Math.min(t, receivedAt);
}
