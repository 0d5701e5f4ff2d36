/**
 * One metamorphic check as a vitest block: run every message of a directory in its variants
 * (run.ts, variants.ts), print the per-decoder and per-variant table, and require FLOOR.
 * The sets are split over several test files so that the two workers share them.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emlFiles, formatReport, runMetamorphic } from './run.js';

/** The share of variants that must keep their result (issue 13). */
export const FLOOR = 0.99;

const here = new URL('.', import.meta.url).pathname;
export const REPO = resolve(here, '../..');
export const SISIMAI = resolve(here, '../../../shared/sisimai/corpus/maildir');

/** A describe block for one directory of messages; skipped, saying why, when it is absent. */
export function metamorphicSuite(title: string, dir: string, minMessages: number, absent?: string): void {
  const present = existsSync(dir);
  describe.skipIf(!present)(`metamorphic: ${title}${present ? '' : ` (skipped: ${absent ?? `${dir} is absent`})`}`, () => {
    it(`keeps the result of at least ${FLOOR * 100} % of the variants`, async () => {
      const r = await runMetamorphic(emlFiles(dir, title));
      console.log(formatReport(r));
      expect(r.messages).toBeGreaterThanOrEqual(minMessages);
      expect(r.overall.kept / r.overall.total, formatReport(r, 30)).toBeGreaterThanOrEqual(FLOOR);
    }, 600_000);
  });
}
