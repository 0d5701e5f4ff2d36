/**
 * analyze - one raw message to its whole analysis: parse (parse/message, mailparser) -> decode
 * (decode/) -> classify (classify/) each finding -> RecipientResult[]. No I/O; asynchronous only
 * because mailparser is (it yields to the event loop while it reads).
 * In: raw bytes or text, ParseOptions. Out: Promise<Analysis>, never rejected: a message that
 * cannot be read, or an unexpected failure, comes back with `unreadable` set (no findings), so the
 * caller keeps the raw message, marks it and can reprocess it later.
 * analyzeMessage is the one seam between the pipeline and the parse stage: every caller (pipeline,
 * CLI parse, eval, benches) goes through it, so moving the work elsewhere (a worker thread with a
 * per-message deadline) changes this function only. No config keys.
 */
import { classify } from '../classify/index.js';
import { decodeMessage } from '../decode/index.js';
import type { DecodeContext } from '../decode/types.js';
import { parseMessage, type ParseOptions } from '../parse/message.js';
import type { Analysis, Finding, RecipientResult, Report, Verdict } from '../types.js';

/** The verdict when the classifier itself fails: no judgement, nothing marked invalid. */
function undecided(f: Finding, why: string): Verdict {
  return {
    reason: f.reasonHint ?? 'undefined',
    hard: false,
    category: 9,
    likelyFalsePositive: false,
    evidence: '',
    rule: `error:${why}`.slice(0, 200),
  };
}

function toResult(f: Finding, v: Verdict): RecipientResult {
  return {
    address: f.recipient,
    action: f.action,
    status: f.status,
    replyCode: f.replyCode,
    reason: v.reason,
    hard: v.hard,
    category: v.category,
    likelyFalsePositive: v.likelyFalsePositive,
    evidence: v.evidence,
    diagnostic: f.diagnostic,
    remoteMta: f.remoteMta,
    feedbackType: f.feedbackType ?? '',
  };
}

/** Classify the findings of a decoded report. */
function classifyReport(report: Report): Analysis {
  const recipients: RecipientResult[] = [];
  const problems = report.problems;
  for (const f of report.findings) {
    let v: Verdict;
    try {
      v = classify(f, report);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      problems.push(`classify failed for ${f.recipient}: ${msg}`);
      v = undecided(f, msg);
    }
    recipients.push(toResult(f, v));
  }
  const out: Analysis = { type: report.type, recipients, decodedBy: report.decodedBy, problems };
  if (report.original) out.original = report.original;
  return out;
}

/**
 * Parse, decode and classify one message. `context` is what the envelope says, when the caller
 * knows it (decode/evidence.ts: a null MAIL FROM is bounce evidence; our RCPT TO is never a
 * failed recipient).
 */
export async function analyzeMessage(raw: Buffer | string, opts?: ParseOptions, context?: DecodeContext): Promise<Analysis> {
  try {
    const msg = await parseMessage(raw, opts);
    if (msg.unreadable !== undefined) {
      return { type: 'not-bounce', recipients: [], decodedBy: '', problems: msg.problems, unreadable: msg.unreadable, date: msg.headers.get('date') ?? '' };
    }
    const analysis = classifyReport(decodeMessage(msg, context));
    analysis.date = msg.headers.get('date') ?? '';
    return analysis;
  } catch (err) {
    const why = `analysis failed: ${err instanceof Error ? err.message : String(err)}`;
    return { type: 'not-bounce', recipients: [], decodedBy: '', problems: [why], unreadable: why };
  }
}
