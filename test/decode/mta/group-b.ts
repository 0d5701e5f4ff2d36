/**
 * Test support for the group-B decoders (Microsoft, Google, Yahoo, cloud providers): run a fixture
 * through the real registry (parseMessage -> decodeMessage), check one finding against a table row,
 * and compare corpus samples with ../shared/sisimai/labels.json (skipped when ../shared is absent).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect } from 'vitest';
import { decodeMessage } from '../../../src/decode/index.js';
import { parseMessage } from '../../../src/parse/message.js';
import { formatReason } from './group-a.js';
import type { Action, Reason, Report } from '../../../src/types.js';

const here = new URL('.', import.meta.url).pathname;
export const fixtureDir = resolve(here, '../../fixtures/mta');
export const corpusDir = resolve(here, '../../../../shared/sisimai');
export const corpusPresent = existsSync(resolve(corpusDir, 'labels.json'));

/** One expected finding of a fixture. `diag` is a substring of the diagnostic ('' = must be empty). */
export interface Row {
  file: string;
  /** Number of findings the message must yield. */
  count: number;
  /** Index of the finding this row checks. */
  i: number;
  /** Decoder that must have read the message (Report.decodedBy). */
  by: string;
  type: Report['type'];
  recipient: string;
  action: Action;
  status: string;
  replyCode: string;
  diag: string;
  lastCommand?: string;
  remoteMta?: string;
  hint?: Reason;
}

export async function decodeFixture(format: string, file: string): Promise<Report> {
  return decodeMessage(await parseMessage(readFileSync(resolve(fixtureDir, format, `${file}.eml`))));
}

export async function checkRow(format: string, row: Row): Promise<void> {
  const report = await decodeFixture(format, row.file);
  expect({ by: report.decodedBy, type: report.type, count: report.findings.length }).toEqual({
    by: row.by,
    type: row.type,
    count: row.count,
  });
  const f = report.findings[row.i];
  expect(f, `finding #${row.i}`).toBeDefined();
  if (!f) return;
  const got = {
    recipient: f.recipient,
    action: f.action,
    status: f.status,
    replyCode: f.replyCode,
    hint: row.hint === undefined ? f.reasonHint : formatReason(f, report.findings, row.hint),
    ...(row.lastCommand !== undefined ? { lastCommand: f.lastCommand } : {}),
    ...(row.remoteMta !== undefined ? { remoteMta: f.remoteMta } : {}),
  };
  const want = {
    recipient: row.recipient,
    action: row.action,
    status: row.status,
    replyCode: row.replyCode,
    hint: row.hint,
    ...(row.lastCommand !== undefined ? { lastCommand: row.lastCommand } : {}),
    ...(row.remoteMta !== undefined ? { remoteMta: row.remoteMta } : {}),
  };
  expect(got).toEqual(want);
  if (row.diag === '') expect(f.diagnostic).toBe('');
  else expect(f.diagnostic).toContain(row.diag);
  // Diagnostics are unfolded: one line, no runs of blanks.
  expect(f.diagnostic).not.toMatch(/\n|\s{2,}/);
}

export interface LabelEntry {
  deliverystatus: string;
  replycode: string;
  reason: string;
  hardbounce: boolean;
}

/** Sisimai's invented codes (x.0.9xx, 5.9.2xx) stand for "no status in the message". */
export function isPlaceholder(status: string): boolean {
  return /^\d\.0\.9\d\d$/.test(status) || /^\d\.9\.2\d\d$/.test(status);
}

/** Corpus samples whose file name starts with `prefix` ('lhost-gmail-', 'rhost-google-'). */
export function corpusCases(prefix: string): Array<[string, LabelEntry[]]> {
  if (!corpusPresent) return [['(corpus absent)', []]];
  const labels = JSON.parse(readFileSync(resolve(corpusDir, 'labels.json'), 'utf8')) as {
    samples: Array<{ path: string; entries: LabelEntry[] }>;
  };
  return labels.samples
    .map((s): [string, LabelEntry[]] => [s.path.replace(/^.*\//, ''), s.entries])
    .filter(([file]) => file.startsWith(prefix) && /-\d+\.eml$/.test(file));
}

/** Recipient count, order of statuses (placeholders ignored) and a recipient address on each. */
export async function checkCorpus(file: string, entries: LabelEntry[]): Promise<void> {
  const report = decodeMessage(await parseMessage(readFileSync(resolve(corpusDir, 'corpus/maildir/bsd', file))));
  const got = report.findings.map((f, i) =>
    isPlaceholder(entries[i]?.deliverystatus ?? '') ? '(none)' : f.status,
  );
  const want = entries.map((e) => (isPlaceholder(e.deliverystatus) ? '(none)' : e.deliverystatus));
  expect(got).toEqual(want);
  for (const f of report.findings) expect(f.recipient).toMatch(/^[^\s@]+@[^\s@]+$/);
}
