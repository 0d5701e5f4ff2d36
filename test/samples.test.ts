/**
 * samples/ are the README walkthrough: real Postfix DSNs (samples/postfix, made by
 * samples/generate.ts) and hand-written bounces (samples/written). Each has its expected
 * `rebound parse --json` output beside it; this test keeps the two in step.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeMessage } from '../src/pipeline/analyze.js';
import { toJsonLine } from '../src/cli/parse.js';

const root = new URL('../samples/', import.meta.url).pathname;
const cases = ['postfix', 'written'].flatMap((dir) =>
  readdirSync(join(root, dir))
    .filter((f) => f.endsWith('.eml'))
    .map((f) => [`${dir}/${f}`, join(root, dir, f)] as const),
);

describe('samples match their expected output', () => {
  it('has samples', () => expect(cases.length).toBeGreaterThanOrEqual(8));
  it.each(cases)('%s', async (name, path) => {
    // `source` is the path as the README's walkthrough gives it (run from the repository root).
    const got = JSON.parse(toJsonLine(`samples/${name}`, await analyzeMessage(readFileSync(path))));
    const want = JSON.parse(readFileSync(path.replace(/\.eml$/, '.json'), 'utf8'));
    expect(got).toEqual(want);
  });
});
