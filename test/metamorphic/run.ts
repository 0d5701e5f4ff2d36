/**
 * Run the metamorphic variants of a set of messages through the whole analysis and count, per
 * decoder and per variant kind, how many keep the original's result (type, recipients, reason,
 * hard) - or, for a forward by a person, become not-bounce.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeMessage } from '../../src/pipeline/analyze.js';
import { PROVIDERS } from '../../src/classify/reasons.js';
import { splitMessages } from '../../src/intake/file.js';
import type { Analysis } from '../../src/types.js';
import { makeVariants, type Variant } from './variants.js';

export interface Source {
  /** Short name shown in reports: 'sisimai/lhost-postfix-01.eml', 'samples/postfix/01-....eml'. */
  name: string;
  path: string;
}

export interface Failure {
  source: string;
  variant: string;
  decoder: string;
  want: string;
  got: string;
}

export interface Tally {
  kept: number;
  total: number;
}

export interface MetamorphicResult {
  messages: number;
  overall: Tally;
  byDecoder: Map<string, Tally>;
  byVariant: Map<string, Tally>;
  failures: Failure[];
  elapsedMs: number;
}

/** Every .eml file under a directory, recursively, in name order. */
export function emlFiles(dir: string, prefix: string): Source[] {
  const out: Source[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...emlFiles(p, `${prefix}/${name}`));
    else if (name.endsWith('.eml')) out.push({ name: `${prefix}/${name}`, path: p });
  }
  return out;
}

const providerName = (name: string): boolean => PROVIDERS.some((p) => p.hosts.test(name));

/** What a result is judged on. */
function signature(a: Analysis, mapAddress: (x: string) => string = (x) => x.toLowerCase()): string {
  const recipients = a.recipients.map((r) => `${mapAddress(r.address)}:${r.reason}:${r.hard ? 'hard' : 'soft'}`);
  return `${a.type} [${recipients.join(', ')}]`;
}

async function analyseVariant(v: Variant): Promise<Analysis> {
  if (v.file) {
    const item = [...splitMessages('variant.eml', v.raw)][0];
    return item && 'raw' in item ? analyzeMessage(item.raw) : { type: 'not-bounce', recipients: [], decodedBy: '', problems: ['file: no message'] };
  }
  if (!v.mbox) return analyzeMessage(v.raw);
  const items = [...splitMessages('variant.mbox', v.raw)];
  const first = items[0];
  if (!first || !('raw' in first)) return { type: 'not-bounce', recipients: [], decodedBy: '', problems: ['mbox: no message'] };
  if (items.length !== 2) return { type: 'not-bounce', recipients: [], decodedBy: '', problems: [`mbox: ${items.length} messages, want 2`] };
  return analyzeMessage(first.raw);
}

function bump(m: Map<string, Tally>, key: string, kept: boolean): void {
  const t = m.get(key) ?? { kept: 0, total: 0 };
  t.total += 1;
  if (kept) t.kept += 1;
  m.set(key, t);
}

export async function runMetamorphic(sources: Source[]): Promise<MetamorphicResult> {
  const started = performance.now();
  const result: MetamorphicResult = {
    messages: 0,
    overall: { kept: 0, total: 0 },
    byDecoder: new Map(),
    byVariant: new Map(),
    failures: [],
    elapsedMs: 0,
  };
  for (const src of sources) {
    const raw = readFileSync(src.path);
    const base = await analyzeMessage(raw);
    result.messages += 1;
    const decoder = base.decodedBy || base.type;
    const variants = makeVariants({ raw, recipients: base.recipients.map((r) => r.address), type: base.type, providerName });
    for (const v of variants) {
      // A variant with the original's very bytes (the LF variant of an LF file) is the original.
      const got = !v.mbox && !v.file && v.raw.equals(raw) ? base : await analyseVariant(v);
      const want = v.expect === 'not-bounce' ? 'not-bounce []' : signature(base, v.mapAddress);
      const have = signature(got);
      const kept = want === have;
      result.overall.total += 1;
      if (kept) result.overall.kept += 1;
      bump(result.byDecoder, decoder, kept);
      bump(result.byVariant, v.name, kept);
      if (!kept) result.failures.push({ source: src.name, variant: v.name, decoder, want, got: `${have} (${got.decodedBy || '-'})` });
    }
  }
  result.elapsedMs = performance.now() - started;
  return result;
}

export function percent(t: Tally): string {
  return t.total === 0 ? '-' : `${((100 * t.kept) / t.total).toFixed(2)}%`;
}

/** A plain-text report: overall, per variant kind, per decoder, then the failures. */
export function formatReport(r: MetamorphicResult, maxFailures = 200): string {
  const lines: string[] = [];
  lines.push(`metamorphic: ${r.messages} messages, ${r.overall.total} variants, ${percent(r.overall)} keep their result (${r.overall.kept}/${r.overall.total}), ${Math.round(r.elapsedMs)} ms`);
  lines.push('', 'by variant:');
  for (const [k, t] of [...r.byVariant].sort()) lines.push(`  ${k.padEnd(22)} ${percent(t).padStart(8)}  ${t.kept}/${t.total}`);
  lines.push('', 'by decoder of the original:');
  for (const [k, t] of [...r.byDecoder].sort()) lines.push(`  ${k.padEnd(22)} ${percent(t).padStart(8)}  ${t.kept}/${t.total}`);
  if (r.failures.length > 0) {
    lines.push('', `failures (${r.failures.length}${r.failures.length > maxFailures ? `, first ${maxFailures}` : ''}):`);
    for (const f of r.failures.slice(0, maxFailures)) lines.push(`  ${f.source} [${f.variant}] want ${f.want}\n      got ${f.got}`);
  }
  return lines.join('\n');
}
