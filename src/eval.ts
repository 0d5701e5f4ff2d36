/**
 * eval - score the parser and classifier against a labelled corpus (the Sisimai set in
 * ../shared/sisimai: labels.json + corpus/). In: the corpus directory. Out: agreement figures and the
 * list of disagreements. Pure apart from reading the files; used by `rebound eval` and the test suite.
 *
 * Labels carry no addresses, so entries are compared by position: the n-th recipient we report
 * against the n-th labelled entry (the labels list recipients in report order, as we must).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeMessage } from './pipeline/analyze.js';
import type { Analysis } from './types.js';

interface LabelEntry {
  deliverystatus: string;
  replycode: string;
  reason: string;
  hardbounce: boolean;
  feedbacktype?: string;
}
interface LabelSample {
  path: string;
  module: string | null;
  kind: string;
  entries: LabelEntry[];
}

export interface Disagreement {
  path: string;
  index: number;
  field: 'reason' | 'hard' | 'status' | 'count' | 'negative';
  want: string;
  got: string;
  diagnostic?: string;
  /** The verdict's evidence; a vetoed address verdict carries "[soft: <veto>]" (docs/CLASSIFICATION.md). */
  evidence?: string;
}

export interface Score {
  messages: number;
  entries: number;
  reason: { agree: number; total: number };
  hard: { agree: number; total: number };
  status: { agree: number; total: number };
  count: { agree: number; total: number };
  negatives: { agree: number; total: number };
  disagreements: Disagreement[];
  /** "want -> got" reason pairs with their counts, most frequent first. */
  confusion: Array<{ want: string; got: string; n: number }>;
  elapsedMs: number;
}

/** Codes the labelling tool invented where the message had none: x.0.9xx and 5.9.2xx. */
export function isPlaceholderStatus(s: string): boolean {
  return /^[245]\.0\.9\d\d$/.test(s) || /^5\.9\.2\d\d$/.test(s);
}

export function loadLabels(corpusDir: string): LabelSample[] {
  const data = JSON.parse(readFileSync(join(corpusDir, 'labels.json'), 'utf8')) as { samples: LabelSample[] };
  if (!Array.isArray(data.samples)) throw new Error(`${corpusDir}/labels.json: no "samples" array`);
  return data.samples;
}

export async function evaluate(corpusDir: string, analyze: (raw: Buffer) => Analysis | Promise<Analysis> = (raw) => analyzeMessage(raw)): Promise<Score> {
  const samples = loadLabels(corpusDir);
  const score: Score = {
    messages: 0,
    entries: 0,
    reason: { agree: 0, total: 0 },
    hard: { agree: 0, total: 0 },
    status: { agree: 0, total: 0 },
    count: { agree: 0, total: 0 },
    negatives: { agree: 0, total: 0 },
    disagreements: [],
    confusion: [],
    elapsedMs: 0,
  };
  const pairs = new Map<string, number>();
  const started = performance.now();

  for (const sample of samples) {
    const raw = readFileSync(join(corpusDir, 'corpus', sample.path));
    const a = await analyze(raw);
    score.messages += 1;

    // A negative must yield no result at all.
    if (sample.kind === 'not-bounce') {
      score.negatives.total += 1;
      const isNegative = a.recipients.length === 0 && a.type === 'not-bounce';
      if (isNegative) score.negatives.agree += 1;
      else
        score.disagreements.push({
          path: sample.path,
          index: 0,
          field: 'negative',
          want: 'not-bounce, no recipients',
          got: `${a.type}, ${a.recipients.length} recipient(s)`,
        });
      continue;
    }

    score.count.total += 1;
    if (a.recipients.length === sample.entries.length) score.count.agree += 1;
    else
      score.disagreements.push({
        path: sample.path,
        index: -1,
        field: 'count',
        want: String(sample.entries.length),
        got: String(a.recipients.length),
      });

    sample.entries.forEach((want, i) => {
      score.entries += 1;
      const got = a.recipients[i];
      const diagnostic = got?.diagnostic?.slice(0, 200);

      score.reason.total += 1;
      const gotReason = got?.reason ?? '(none)';
      if (gotReason === want.reason) score.reason.agree += 1;
      else {
        score.disagreements.push({ path: sample.path, index: i, field: 'reason', want: want.reason, got: gotReason, diagnostic });
        const key = `${want.reason}\u0000${gotReason}`;
        pairs.set(key, (pairs.get(key) ?? 0) + 1);
      }

      score.hard.total += 1;
      if (got !== undefined && got.hard === want.hardbounce) score.hard.agree += 1;
      else
        score.disagreements.push({
          path: sample.path,
          index: i,
          field: 'hard',
          want: String(want.hardbounce),
          got: got ? String(got.hard) : '(none)',
          diagnostic,
          evidence: got?.evidence,
        });

      if (want.deliverystatus !== '' && !isPlaceholderStatus(want.deliverystatus)) {
        score.status.total += 1;
        if (got?.status === want.deliverystatus) score.status.agree += 1;
        else
          score.disagreements.push({
            path: sample.path,
            index: i,
            field: 'status',
            want: want.deliverystatus,
            got: got?.status || '(none)',
            diagnostic,
          });
      }
    });
  }

  score.elapsedMs = performance.now() - started;
  score.confusion = [...pairs.entries()]
    .map(([k, n]) => {
      const [want, got] = k.split('\u0000') as [string, string];
      return { want, got, n };
    })
    .sort((x, y) => y.n - x.n || x.want.localeCompare(y.want));
  return score;
}

export function percent(p: { agree: number; total: number }): number {
  return p.total === 0 ? 100 : (100 * p.agree) / p.total;
}

export function formatScore(s: Score, verbose = true): string {
  const line = (name: string, p: { agree: number; total: number }) =>
    `${name.padEnd(28)} ${percent(p).toFixed(2).padStart(6)}%  (${p.agree}/${p.total})`;
  const out = [
    `messages: ${s.messages}, labelled recipients: ${s.entries}, ${s.elapsedMs.toFixed(0)} ms`,
    line('reason agreement', s.reason),
    line('hard agreement', s.hard),
    line('status agreement', s.status) + '  (placeholder codes ignored)',
    line('recipient-count agreement', s.count),
    line('negatives with no result', s.negatives),
  ];
  if (s.confusion.length > 0) {
    out.push('', 'reason confusion (want -> got: count):');
    for (const c of s.confusion) out.push(`  ${c.want} -> ${c.got}: ${c.n}`);
  }
  if (verbose && s.disagreements.length > 0) {
    out.push('', 'disagreements:');
    for (const d of s.disagreements) {
      const where = d.index >= 0 ? `${d.path}#${d.index + 1}` : d.path;
      out.push(`  ${where} ${d.field}: want ${d.want}, got ${d.got}${d.diagnostic ? `  | ${d.diagnostic.replace(/\s+/g, ' ')}` : ''}`);
    }
  }
  return out.join('\n') + '\n';
}
