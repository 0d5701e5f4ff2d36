/**
 * Metamorphic suite, part 1: ../shared/sisimai (skipped where ../shared is absent), our own fixtures
 * (test/fixtures/mta) and the hand-written samples. Every message in variants that must not change
 * the result (test/metamorphic/variants.ts), through the whole analysis; at least 99 % of the
 * variants must keep type, recipients, reason and hard (a forward by a person must become
 * not-bounce). Part 2 (samples/real-mta) is in real-mta-*.test.ts.
 */
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emlFiles } from './run.js';
import { metamorphicSuite, REPO, SISIMAI } from './suite.js';

metamorphicSuite('sisimai', SISIMAI, 400, '../shared/sisimai is absent');
metamorphicSuite('fixtures', resolve(REPO, 'test/fixtures/mta'), 100);
metamorphicSuite('samples/written', resolve(REPO, 'samples/written'), 1);
metamorphicSuite('samples/postfix', resolve(REPO, 'samples/postfix'), 1);


describe('metamorphic: every directory of samples/ is covered', () => {
  it('runs each directory that holds messages', () => {
    const covered = ['samples/written', 'samples/postfix', 'samples/real-mta/postfix', 'samples/real-mta/exim', 'samples/real-mta/opensmtpd', 'samples/real-mta/sendmail'];
    const dirs = new Set(emlFiles(resolve(REPO, 'samples'), 'samples').map((s) => s.name.slice(0, s.name.lastIndexOf('/'))));
    expect([...dirs].sort()).toEqual([...covered].sort());
    expect(readdirSync(resolve(REPO, 'samples')).length).toBeGreaterThan(0);
  });
});
