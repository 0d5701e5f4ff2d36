/**
 * The rule tables themselves: every rule must match the bounce line it quotes (`seen`), so a rule
 * cannot silently rot, and each table must stay free of capture groups and catastrophic patterns.
 */
import { describe, expect, it } from 'vitest';
import { PHRASE_TABLES, PROVIDERS } from '../../src/classify/reasons.js';
import { rules as fpRules } from '../../src/classify/false-positive.js';
import { ruleRegExp } from '../../src/classify/rules.js';
import { normalise } from '../../src/classify/status-codes.js';

const phraseRows = PHRASE_TABLES.flatMap((t) => t.rules.map((r, i) => [t.reason, i, r.seen, r] as const));
const providerRows = PROVIDERS.flatMap((p) =>
  p.rules.filter((r) => r.phrase || r.pattern).map((r, i) => [p.name, i, r.seen, r] as const),
);

describe('phrase rules match their own seen line', () => {
  it.each(phraseRows)('%s #%i: %s', (_reason, _i, seen, rule) => {
    expect(ruleRegExp(rule).test(normalise(seen))).toBe(true);
  });
});

describe('provider rules match their own seen line', () => {
  it.each(providerRows)('%s #%i: %s', (_name, _i, seen, rule) => {
    expect(ruleRegExp(rule).test(normalise(seen))).toBe(true);
  });
});

describe('false-positive rules', () => {
  it.each(fpRules.map((r, i) => [i, r.seen, r] as const))('#%i matches its seen line: %s', (_i, seen, rule) => {
    expect(rule.pattern.test(normalise(seen))).toBe(true);
  });
  it('have no capture groups (the combined matcher numbers groups by rule)', () => {
    for (const r of fpRules) expect(new RegExp(`${r.pattern.source}|`).exec('')!.length, r.pattern.source).toBe(1);
  });
});

describe('tables', () => {
  it('list every reason at most once', () => {
    const reasons = PHRASE_TABLES.map((t) => t.reason);
    expect(new Set(reasons).size).toBe(reasons.length);
  });
  it('quote a seen line for every rule', () => {
    for (const t of PHRASE_TABLES) for (const r of t.rules) expect(r.seen.length, `${t.reason}`).toBeGreaterThan(5);
    for (const p of PROVIDERS) for (const r of p.rules) expect(r.seen.length, p.name).toBeGreaterThan(5);
  });
  it('stay fast on long hostile input (no catastrophic backtracking)', () => {
    const hostile = [
      'a '.repeat(20_000),
      'user '.repeat(5_000) + '!',
      'spam '.repeat(5_000),
      '550-5.1.1 '.repeat(3_000),
      '<' + 'x@'.repeat(10_000),
      'mailbox '.repeat(4_000) + 'is',
    ];
    const res = [...PHRASE_TABLES.flatMap((t) => t.rules.map(ruleRegExp)), ...fpRules.map((r) => r.pattern)];
    const t0 = performance.now();
    for (const h of hostile) {
      const text = normalise(h);
      for (const re of res) re.test(text);
    }
    expect(performance.now() - t0).toBeLessThan(2_000);
  });
});

describe('a table guard (keys) never hides one of its rules', () => {
  const guarded = PHRASE_TABLES.filter((t) => t.keys).flatMap((t) => t.rules.map((r, i) => [t.reason, i, r.seen, r, t.keys!] as const));
  it('some tables are guarded', () => expect(guarded.length).toBeGreaterThan(0));
  it.each(guarded)('%s #%i: %s', (_reason, _i, seen, rule, keys) => {
    // The guard must find a literal inside the matched text itself, not just somewhere in the line.
    const m = ruleRegExp(rule).exec(normalise(seen));
    expect(m).not.toBeNull();
    expect(keys.test(m![0])).toBe(true);
  });
});
