/**
 * Metamorphic suite: every message of ../shared/sisimai and samples/ in variants that must not change
 * the result (test/metamorphic/variants.ts), through the whole analysis. Reports invariance per
 * decoder and per variant kind; at least 99 % of the variants must keep type, recipients, reason
 * and hard (a forward by a person must become not-bounce).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emlFiles, formatReport, runMetamorphic } from './run.js';

const here = new URL('.', import.meta.url).pathname;
const samplesDir = resolve(here, '../../samples');
const sisimaiDir = resolve(here, '../../../shared/sisimai/corpus/maildir');
const sisimaiPresent = existsSync(sisimaiDir);

/** The share of variants that must keep their result. */
const FLOOR = 0.99;

describe('metamorphic: samples/', () => {
  it('keeps the result of at least 99 % of the variants of samples/', () => {
    const r = runMetamorphic(emlFiles(samplesDir, 'samples'));
    console.log(formatReport(r));
    expect(r.messages).toBeGreaterThan(0);
    expect(r.overall.kept / r.overall.total, formatReport(r, 30)).toBeGreaterThanOrEqual(FLOOR);
  });
});

describe('metamorphic: test/fixtures/mta (our own fixtures)', () => {
  it('keeps the result of at least 99 % of the variants of our fixtures', () => {
    const r = runMetamorphic(emlFiles(resolve(here, '../fixtures/mta'), 'fixtures'));
    console.log(formatReport(r));
    expect(r.messages).toBeGreaterThan(100);
    expect(r.overall.kept / r.overall.total, formatReport(r, 30)).toBeGreaterThanOrEqual(FLOOR);
  });
});

describe.skipIf(!sisimaiPresent)('metamorphic: ../shared/sisimai (skipped: ../shared/sisimai is absent)', () => {
  it('keeps the result of at least 99 % of the variants of the Sisimai corpus', () => {
    const r = runMetamorphic(emlFiles(sisimaiDir, 'sisimai'));
    console.log(formatReport(r));
    expect(r.messages).toBeGreaterThan(400);
    expect(r.overall.kept / r.overall.total, formatReport(r, 30)).toBeGreaterThanOrEqual(FLOOR);
  });
});
