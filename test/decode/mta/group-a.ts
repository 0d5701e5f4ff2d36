/**
 * Test support for the group-A MTA decoders: build a DecodeInput from a raw message, run one
 * decoder on it, and read the Sisimai corpus labels for a format (tests skip when ../shared is absent).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseMessage } from '../../../src/parse/mime.js';
import { buildDecodeInput } from '../../../src/decode/text.js';
import type { Decoder, DecodeInput, DecodeResult } from '../../../src/decode/types.js';

export const fixtures = resolve(new URL('.', import.meta.url).pathname, '../../fixtures/mta');
export const corpusDir = resolve(new URL('.', import.meta.url).pathname, '../../../../shared/sisimai');
export const corpusPresent = existsSync(resolve(corpusDir, 'labels.json'));

export function inputFor(raw: string | Buffer): DecodeInput {
  return buildDecodeInput(parseMessage(raw));
}

/** detect + decode, as the registry would run one decoder. */
export function run(decoder: Decoder, raw: string | Buffer): DecodeResult | null {
  const input = inputFor(raw);
  if (!decoder.detect(input)) return null;
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
