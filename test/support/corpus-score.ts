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
import { analyzeMessage } from '../../src/pipeline/analyze.js';
import { loadCatalog, type CatalogRow } from '../../samples/real-mta/catalog.js';
import { dsnStatesStage } from '../../samples/real-mta/check.js';
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

/**
 * What a DSN can support: the expectation for an `invalid` catalog reply follows the evidence the
 * DSN carries, by one rule (docs/CORPUS.md, "What a DSN can support").
 *
 * Receive filters answer "550 Unknown user" after DATA for mailboxes that exist (Sisimai's
 * `filtered`); only the SMTP stage (RCPT TO), an RFC 3463 address-status code (X.1.x), or words
 * that someone documents as an address verdict tell a dead address from that. OpenSMTPD 6.8 writes
 * `<rcpt>: <reply>` and `Status: 5.0.0` for a refusal at any command: where the reply itself adds
 * nothing, its DSN cannot prove the address dead, and a classifier that marks it invalid is guessing.
 * So an `invalid` reply is expected `soft` when all hold:
 *   1. the reply carries no X.1.x code (X.0.0 and X.2.x say nothing about the address; RFC 3463);
 *   2. the DSN states no SMTP stage for the recipient (dsnStatesStage: Postfix's "(in reply to ...
 *      command)", Exim's "after RCPT TO", Sendmail's transcript all do; OpenSMTPD never does);
 *   3. the reply's words are only the generic "user unknown" family any MTA or filter writes
 *      (GENERIC_UNKNOWN, after codes, the address and punctuation are taken out): no stage-bound
 *      wording (Postfix's "Recipient address rejected:" is written at RCPT), no lookup named
 *      (a directory, routing), no provider's marks;
 *   4. the recipient's domain names no provider (the catalog's stand-in domains carry an `example`
 *      label): a provider's documented reply for its own domain (AOL's "MAILBOX NOT FOUND") is
 *      evidence at any stage.
 * One more rule, from issue 13: OpenSMTPD 6.8 writes the report for an envelope whose queue time
 * ran out as a delay notice ("Action: delayed", "Envelope expired"), yet the message is gone; it is
 * a final failure on every path that reads it, and since the notice names no reply, a soft one
 * (reason expired). Such a recipient's manifest `delayed` is expected `soft` (EXPIRED_FINAL).
 * Nothing else changes: every other expectation is the manifest's.
 */
export const EXPIRED_FINAL = "OpenSMTPD's expired envelope is a final failure (issue 13); the notice names no reply";
const ADDRESS_STATUS = /(^|[\s(#[])[45]\.1\.\d{1,3}(?=[\s)\].,;:]|$)/;
const GENERIC_UNKNOWN = /^(?:(?:user|recipient|mailbox|address) (?:unknown|not found|invalid)|(?:unknown|invalid|no such) (?:user|recipient|mailbox|address))$/;

function genericWords(reply: string): string {
  return reply
    .toLowerCase()
    .replace(/<?\{[a-z]+\}>?/g, ' ')
    .replace(/(^|\s)[245]\.\d{1,3}\.\d{1,3}(?=\s|$)/g, ' ')
    .replace(/[.:;,!]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Why the DSN cannot support the manifest's `invalid` for this recipient, or '' when it can. */
export function unsupportedInvalid(row: CatalogRow, raw: string, address: string): string {
  if (row.meaning !== 'invalid') return '';
  if (ADDRESS_STATUS.test(row.reply)) return '';
  if (!GENERIC_UNKNOWN.test(genericWords(row.reply))) return '';
  if (!row.domain.split('.').includes('example')) return '';
  if (dsnStatesStage(raw, address)) return '';
  return 'no SMTP stage, no X.1.x code, generic user-unknown words';
}

export interface RecipientScore {
  mta: string;
  file: string;
  address: string;
  row: string;
  expect: Kind;
  /** Set when the expectation is not the manifest's (unsupportedInvalid): why. */
  expectWhy?: string;
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
  /** Recipients whose manifest `invalid` the DSN cannot support (expected soft instead). */
  unsupportedInvalid: number;
  /** Recipients of OpenSMTPD's expiry notices: the manifest's `delayed` expected soft (EXPIRED_FINAL). */
  expiredFinal: number;
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
    unsupportedInvalid: 0,
    expiredFinal: 0,
  };
  const rows = new Map(loadCatalog().map((r) => [r.id, r]));
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
      const text = raw.toString('latin1');
      for (const listed of fx.recipients) {
        const row = rows.get(listed.row);
        const stageWhy = row && listed.expect === 'invalid' ? unsupportedInvalid(row, text, listed.address) : '';
        const expiredWhy = fx.dsn === 'expired' && listed.expect === 'delayed' ? EXPIRED_FINAL : '';
        const why = stageWhy || expiredWhy;
        const want = why ? { ...listed, expect: 'soft' as Kind } : listed;
        if (stageWhy) score.unsupportedInvalid += 1;
        if (expiredWhy) score.expiredFinal += 1;
        const got = byAddr.get(want.address.toLowerCase());
        const kind = got ? observedKind(got) : 'missing';
        const needsFlag = fx.dsn === 'failed' && (want.expect === 'spam' || want.expect === 'auth');
        const s: RecipientScore = {
          mta: m.mta,
          file: fx.file,
          address: want.address,
          row: want.row,
          expect: want.expect,
          ...(why ? { expectWhy: why } : {}),
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
    `invalid replies the DSN cannot support (no stage, no X.1.x, generic words), expected soft: ${s.unsupportedInvalid}`,
    `OpenSMTPD expiry notices, a final failure (issue 13), expected soft instead of delayed: ${s.expiredFinal}`,
    `recipients reported that the manifest does not list: ${s.unexpected.length}`,
  ];
  return lines.join('\n');
}
