/**
 * Test support for the group-A MTA decoders: build a DecodeInput from a raw message, run one
 * decoder on it, and read the Sisimai corpus labels for a format (tests skip when ../shared is absent).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../../src/parse/message.js';
import { buildDecodeInput } from '../../../src/decode/text.js';
import { decodeMessage } from '../../../src/decode/index.js';
import type { Decoder, DecodeInput, DecodeResult } from '../../../src/decode/types.js';
import { classify } from '../../../src/classify/index.js';
import type { Finding } from '../../../src/types.js';

export const fixtures = resolve(new URL('.', import.meta.url).pathname, '../../fixtures/mta');
export const corpusDir = resolve(new URL('.', import.meta.url).pathname, '../../../../shared/sisimai');
export const corpusPresent = existsSync(resolve(corpusDir, 'labels.json'));

export async function inputFor(raw: string | Buffer): Promise<DecodeInput> {
  return buildDecodeInput(await parseMessage(raw));
}

/** detect or structure, then decode, as the registry runs one decoder. */
export async function run(decoder: Decoder, raw: string | Buffer): Promise<DecodeResult | null> {
  const input = await inputFor(raw);
  if (!decoder.detect(input) && !decoder.structure?.(input)) return null;
  return decoder.decode(input);
}

export function fixture(name: string, file: string): string {
  return readFileSync(resolve(fixtures, name, file), 'utf8');
}

export function fixtureFiles(name: string): string[] {
  return readdirSync(resolve(fixtures, name)).filter((f) => f.endsWith('.eml')).sort();
}

export interface LabelEntry {
  deliverystatus: string;
  replycode: string;
  reason: string;
  hardbounce: boolean;
}

/** Corpus samples of one format: [file name, entries]. Empty when the corpus is absent. */
export function corpusSamples(format: string): Array<[string, LabelEntry[]]> {
  if (!corpusPresent) return [];
  const labels = JSON.parse(readFileSync(resolve(corpusDir, 'labels.json'), 'utf8')) as {
    samples: Array<{ path: string; entries: LabelEntry[] }>;
  };
  return labels.samples
    .filter((s) => new RegExp(`/lhost-${format}-\\d+\\.eml$`).test(s.path))
    .map((s) => [s.path.replace(/^.*\//, ''), s.entries]);
}

export function corpusRaw(file: string): Buffer {
  return readFileSync(resolve(corpusDir, 'corpus/maildir/bsd', file));
}

/** Sisimai's invented codes (x.0.9xx, 5.9.2xx) stand for "no status in the message". */
export function isPlaceholder(status: string): boolean {
  return /^\d\.0\.9\d\d$/.test(status) || /^\d\.9\.2\d\d$/.test(status);
}

/**
 * The reason a finding gets from its format's own words: a structural hint the decoder sets, else
 * (since the phrase knowledge lives in one place, src/classify) what the classifier reads in the
 * decoder's words. '' when the row expects none: then the decoder must set no hint.
 */
export function formatReason(f: Finding, findings: Finding[], want: string): string {
  if (want === '' || f.reasonHint) return f.reasonHint ?? '';
  return classify(f, { type: 'bounce', findings, decodedBy: f.decodedBy, problems: [] }).reason;
}

/** One expected finding of a fixture (named fields, as in group-b.ts's tables). */
export interface Row {
  file: string;
  /** Which finding of the message. */
  index: number;
  recipient: string;
  status: string;
  replyCode: string;
  /** The reason from the format's own words ('' = none). */
  hint: string;
  /** A part of the diagnostic. */
  diagnostic: string;
  /** Default 'failed'. */
  action?: string;
}

/**
 * The decoder's it.each table over its own fixtures (test/fixtures/mta/<name>/), plus the checks
 * every decoder shares: each fixture yields exactly the listed findings, and a message that is not
 * a bounce yields nothing.
 */
export function fixtureSuite(decoder: Decoder, rows: Row[]): void {
  describe(`${decoder.name} fixtures`, () => {
    it.each(rows.map((r) => [r.file, r.index, r.recipient, r.status, r] as const))('%s #%i: %s %s', async (_f, _i, _r, _s, row) => {
      const { file, index, recipient, status, replyCode, hint, diagnostic, action } = row;
      const r = await run(decoder, fixture(decoder.name, file));
      expect(r, `${file}: want a result, got null`).not.toBeNull();
      const f = r!.findings[index];
      expect(f, `${file}: want finding #${index}, got ${r!.findings.length} findings`).toBeDefined();
      expect({ recipient: f!.recipient, status: f!.status, replyCode: f!.replyCode, hint: formatReason(f!, r!.findings, hint), action: f!.action }).toEqual({
        recipient,
        status,
        replyCode,
        hint,
        action: action ?? 'failed',
      });
      expect(f!.diagnostic).toContain(diagnostic);
      expect(f!.decodedBy).toBe(decoder.name);
    });

    it.each(fixtureFiles(decoder.name))('%s: finding count matches the table', async (file) => {
      const r = await run(decoder, fixture(decoder.name, file));
      const want = rows.filter((row) => row.file === file).length;
      expect(r?.findings.length ?? 0).toBe(want);
    });

    it('returns nothing for a message that is not a bounce', async () => {
      const raw = readFileSync(resolve(fixtures, 'plain-message.eml'), 'utf8');
      const r = await run(decoder, raw);
      expect(r?.findings ?? []).toEqual([]);
    });
  });
}

/**
 * The labelled Sisimai samples of one format, through the whole decode stage (RFC 3464 first, then
 * the MTA decoders): recipient count and order, and every real (non-placeholder) status.
 */
export function corpusSuite(format: string, notBounces: Record<string, string> = {}): void {
  const samples = corpusSamples(format).filter(([file]) => notBounces[file] === undefined);
  describe.skipIf(!corpusPresent)(`${format} corpus (skipped: ../shared/sisimai is absent)`, () => {
    // Keeps the suite non-empty when the corpus is absent (the describe is then skipped).
    it('has labelled samples of this format', () => expect(samples.length).toBeGreaterThan(0));
    it.each(samples)('%s', async (file, entries) => {
      const report = decodeMessage(await parseMessage(corpusRaw(file)));
      const got = report.findings.map((f) => f.status);
      const want = entries.map((e, i) => (isPlaceholder(e.deliverystatus) ? got[i] ?? '(missing)' : e.deliverystatus));
      expect(got, `${file}: statuses got ${JSON.stringify(got)} want ${JSON.stringify(want)}`).toEqual(want);
    });
    // Samples whose label calls them bounces where the project decides otherwise, each with why.
    it.each(Object.entries(notBounces))('%s is not a bounce: %s', async (file) => {
      const report = decodeMessage(await parseMessage(corpusRaw(file)));
      expect(report.type).toBe('not-bounce');
      expect(report.findings).toEqual([]);
    });
  });
}
