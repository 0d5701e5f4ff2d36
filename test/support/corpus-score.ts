/**
 * corpus-score - score the real-MTA corpus (samples/real-mta/<mta>/*.eml, made by
 * `npm run samples:generate -- real-mta`) through the same analysis `rebound parse` uses.
 *
 * For every fixture and every recipient its manifest lists, the analysis must give:
 *   - the expected kind (invalid / spam / auth / full / soft / relay / delayed; see observedKind),
 *   - never `hard` for an address the catalog says exists (a good address marked invalid),
 *   - `likelyFalsePositive` for every spam, blocklist or authentication rejection in a final report.
 * Used by test/real-mta-corpus.test.ts (strict) and `npm run score:real-mta` (prints the figures).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeMessage } from '../../src/analyze.js';
import type { RecipientResult } from '../../src/types.js';

export type Kind = 'invalid' | 'spam' | 'auth' | 'full' | 'soft' | 'relay' | 'delayed';
export const KINDS: Kind[] = ['invalid', 'spam', 'auth', 'full', 'soft', 'relay', 'delayed'];

export const CORPUS_ROOT = new URL('../../samples/real-mta/', import.meta.url).pathname;

interface ManifestRecipient {
  address: string;
  row: string;
  meaning: string;
  stage: string;
  code: number;
  expect: Kind;
  addressGood: boolean;
}
interface ManifestFixture {
  file: string;
  scenario: string;
  dsn: 'failed' | 'delayed' | 'expired';
  recipients: ManifestRecipient[];
}
interface Manifest {
  mta: string;
  version: string;
  fixtures: ManifestFixture[];
  missing: string[];
}

/** Reasons that say the sender failed authentication or a sender policy (SPF, DKIM, DMARC, PTR,
 *  HELO, sender domain): about the sender, never about the address. */
const AUTH_REASONS = new Set(['authfailure', 'requireptr', 'rejected']);

/**
 * The kind of one analysed recipient, in the order an operator reads it: a delay warning first;
 * then an address verdict (hard); then authentication/sender policy; then spam/blocklist
 * (category 1 or flagged likely false positive); then mailbox full; relaying denied; anything else
 * is soft.
 */
export function observedKind(r: RecipientResult): Kind {
  if (r.action === 'delayed') return 'delayed';
  if (r.hard) return 'invalid';
  if (AUTH_REASONS.has(r.reason)) return 'auth';
  if (r.category === 1 || r.likelyFalsePositive) return 'spam';
  if (r.reason === 'mailboxfull') return 'full';
  if (r.reason === 'norelaying') return 'relay';
  return 'soft';
}

export interface RecipientScore {
  mta: string;
  file: string;
  address: string;
  row: string;
  expect: Kind;
  /** 'missing' when the analysis did not report this recipient at all. */
  got: Kind | 'missing';
  addressGood: boolean;
  /** A good address came out hard (Email Invalid). */
  goodMarkedInvalid: boolean;
  /** A spam/blocklist/authentication rejection in a final report without likelyFalsePositive. */
  fpFlagMissing: boolean;
  reason: string;
  diagnostic: string;
}

export interface CorpusScore {
  mtas: { mta: string; version: string; fixtures: number; missingScenarios: number }[];
  recipients: RecipientScore[];
  /** Recipients the analysis reported that the manifest does not list (by fixture). */
  unexpected: { mta: string; file: string; address: string }[];
  byKind: Record<Kind, { total: number; right: number }>;
  byMta: Record<string, { total: number; right: number }>;
  goodMarkedInvalid: number;
  goodTotal: number;
  fpRequired: number;
  fpFlagged: number;
}

export function corpusManifests(root = CORPUS_ROOT): Manifest[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, d.name, 'manifest.json')))
    .map((d) => JSON.parse(readFileSync(join(root, d.name, 'manifest.json'), 'utf8')) as Manifest)
    .sort((a, b) => a.mta.localeCompare(b.mta));
}

export async function scoreCorpus(root = CORPUS_ROOT): Promise<CorpusScore> {
  const manifests = corpusManifests(root);
  const score: CorpusScore = {
    mtas: [],
    recipients: [],
    unexpected: [],
    byKind: Object.fromEntries(KINDS.map((k) => [k, { total: 0, right: 0 }])) as CorpusScore['byKind'],
    byMta: {},
    goodMarkedInvalid: 0,
    goodTotal: 0,
    fpRequired: 0,
    fpFlagged: 0,
  };
  for (const m of manifests) {
    score.mtas.push({ mta: m.mta, version: m.version, fixtures: m.fixtures.length, missingScenarios: m.missing.length });
    const perMta = (score.byMta[m.mta] = { total: 0, right: 0 });
    for (const fx of m.fixtures) {
      const raw = readFileSync(join(root, m.mta, fx.file));
      // `await` works whether analyzeMessage is synchronous or returns a promise.
      const analysis = await analyzeMessage(raw);
      const byAddr = new Map(analysis.recipients.map((r) => [r.address.toLowerCase(), r]));
      const listed = new Set(fx.recipients.map((r) => r.address.toLowerCase()));
      for (const r of analysis.recipients)
        if (!listed.has(r.address.toLowerCase())) score.unexpected.push({ mta: m.mta, file: fx.file, address: r.address });
      for (const want of fx.recipients) {
        const got = byAddr.get(want.address.toLowerCase());
        const kind = got ? observedKind(got) : 'missing';
        const needsFlag = fx.dsn === 'failed' && (want.expect === 'spam' || want.expect === 'auth');
        const s: RecipientScore = {
          mta: m.mta,
          file: fx.file,
          address: want.address,
          row: want.row,
          expect: want.expect,
          got: kind,
          addressGood: want.addressGood,
          goodMarkedInvalid: want.addressGood && !!got?.hard,
          fpFlagMissing: needsFlag && !got?.likelyFalsePositive,
          reason: got?.reason ?? '',
          diagnostic: got?.diagnostic ?? '',
        };
        score.recipients.push(s);
        score.byKind[want.expect].total += 1;
        perMta.total += 1;
        if (kind === want.expect) {
          score.byKind[want.expect].right += 1;
          perMta.right += 1;
        }
        if (want.addressGood) score.goodTotal += 1;
        if (s.goodMarkedInvalid) score.goodMarkedInvalid += 1;
        if (needsFlag) {
          score.fpRequired += 1;
          if (!s.fpFlagMissing) score.fpFlagged += 1;
        }
      }
    }
  }
  return score;
}

const pct = (a: number, b: number) => (b === 0 ? '-' : `${((100 * a) / b).toFixed(1)} %`);

/** The figures as a few lines of text (for the test log and `npm run score:real-mta`). */
export function formatScore(s: CorpusScore): string {
  const total = s.recipients.length;
  const right = s.recipients.filter((r) => r.got === r.expect).length;
  const lines = [
    `real-MTA corpus: ${s.mtas.map((m) => `${m.mta} (${m.version}, ${m.fixtures} DSNs)`).join(', ')}`,
    `kind right: ${right}/${total} (${pct(right, total)})`,
    ...KINDS.map((k) => `  ${k.padEnd(8)} ${s.byKind[k].right}/${s.byKind[k].total} (${pct(s.byKind[k].right, s.byKind[k].total)})`),
    ...Object.entries(s.byMta).map(([m, v]) => `  by MTA ${m.padEnd(10)} ${v.right}/${v.total} (${pct(v.right, v.total)})`),
    `good addresses marked invalid: ${s.goodMarkedInvalid} of ${s.goodTotal}`,
    `spam/blocklist/authentication rejections flagged likely false positive: ${s.fpFlagged}/${s.fpRequired} (${pct(s.fpFlagged, s.fpRequired)})`,
    `recipients reported that the manifest does not list: ${s.unexpected.length}`,
  ];
  return lines.join('\n');
}
