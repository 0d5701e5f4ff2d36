/**
 * analyze - one raw message to its whole analysis: parse (parse/mime) -> decode (decode/) ->
 * classify (classify/) each finding -> RecipientResult[]. Pure, synchronous, no I/O.
 * In: raw bytes or text, ParseOptions. Out: Analysis. Never throws: an unexpected failure becomes
 * type 'not-bounce' with a problem, so the caller keeps the raw message and can reprocess it later.
 * No config keys.
 */
import { classify } from './classify/index.js';
import { decodeMessage } from './decode/index.js';
import { parseMessage, type ParseOptions } from './parse/mime.js';
import type { Analysis, Finding, RecipientResult, Report, Verdict } from './types.js';

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
export function classifyReport(report: Report): Analysis {
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

/** Parse, decode and classify one message. */
export function analyzeMessage(raw: Buffer | string, opts?: ParseOptions): Analysis {
  try {
    const msg = parseMessage(raw, opts);
    const analysis = classifyReport(decodeMessage(msg));
    analysis.date = msg.headers.get('date') ?? '';
    return analysis;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return { type: 'not-bounce', recipients: [], decodedBy: '', problems: [`analysis failed: ${msg}`] };
  }
}
