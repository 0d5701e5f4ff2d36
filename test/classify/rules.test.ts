/**
 * The knowledge base itself: every rule says where its knowledge comes from, quotes a real reply line
 * of its family (`seen`) and a variant written for the test (other words between the key terms,
 * other codes, wrapped lines), and must match both - so a rule is written for the family, not for
 * one sentence. A rule's own lines must also reach its own table (no earlier table steals them),
 * and no table may backtrack catastrophically on long hostile input.
 */
import { describe, expect, it } from 'vitest';
import { rules as fpRules, counterExamples, PREFILTER } from '../../src/classify/false-positive.js';
import { COMPILED, PHRASE_TABLES, PROVIDERS } from '../../src/classify/reasons.js';
import { ruleRegExp, type Context } from '../../src/classify/rules.js';
import { normalise, REPLY_RULES, specificStatus, STATUS_RULES } from '../../src/classify/status-codes.js';
import { TEMPORARY } from '../../src/classify/hardness.js';
import { remoteReply } from '../../src/classify/context.js';

/** A source names an RFC, an MTA, a provider or operator, or Sisimai's definitions - never a sample. */
const SAMPLE = /\b(?:lhost|rhost|rfc3464|rfc3834|arf)-[a-z0-9]+-?\d*|\bsample\b|set-of-emails/i;

const phraseRows = PHRASE_TABLES.flatMap((t) => t.rules.map((r, i) => [`${t.reason} #${i}`, r, t.reason] as const));
const providerRows = PROVIDERS.flatMap((p) => p.rules.map((r, i) => [`${p.name} #${i}`, r] as const));
const textProviderRows = providerRows.filter(([, r]) => r.phrase || r.pattern);

describe('every rule has a source, a seen line and a variant', () => {
  it.each(phraseRows)('phrase %s', (_name, r) => {
    expect(r.source.trim().length).toBeGreaterThan(10);
    expect(r.source).not.toMatch(SAMPLE);
    expect(r.seen.length).toBeGreaterThan(5);
    expect(normalise(r.variant)).not.toBe(normalise(r.seen));
  });
  it.each(providerRows)('provider %s', (_name, r) => {
    expect(r.source.trim().length).toBeGreaterThan(10);
    expect(r.source).not.toMatch(SAMPLE);
    expect(r.seen.length).toBeGreaterThan(5);
    if (r.phrase || r.pattern) expect(normalise(r.variant ?? '')).not.toBe(normalise(r.seen));
  });
  it.each(fpRules.map((r, i) => [i, r] as const))('false-positive #%i', (_i, r) => {
    expect(r.source.trim().length).toBeGreaterThan(10);
    expect(r.source).not.toMatch(SAMPLE);
    expect(normalise(r.variant)).not.toBe(normalise(r.seen));
  });
  it('status, reply and counter-example rules name their source', () => {
    for (const r of [...STATUS_RULES, ...REPLY_RULES, ...counterExamples]) {
      expect(r.source.trim().length).toBeGreaterThan(5);
      expect(r.source).not.toMatch(SAMPLE);
    }
  });
  it('providers that decide in code name the source of that decision', () => {
    for (const p of PROVIDERS) if (p.decide) expect(p.decideSource ?? '', p.name).not.toBe('');
  });
});

describe('phrase rules match their seen line and their variant', () => {
  it.each(phraseRows)('%s', (_name, r) => {
    expect(ruleRegExp(r).test(normalise(r.seen)), r.seen).toBe(true);
    expect(ruleRegExp(r).test(normalise(r.variant)), r.variant).toBe(true);
  });
});

describe('provider rules match their seen line and their variant', () => {
  it.each(textProviderRows)('%s', (_name, r) => {
    expect(ruleRegExp(r).test(normalise(r.seen)), r.seen).toBe(true);
    expect(ruleRegExp(r).test(normalise(r.variant!)), r.variant).toBe(true);
  });
  it.each(providerRows.filter(([, r]) => r.status !== undefined))('%s: its seen line carries its status code', (_name, r) => {
    const status = specificStatus('', r.seen);
    expect(typeof r.status === 'string' ? r.status === status : r.status!.test(status), `${status} in ${r.seen}`).toBe(true);
  });
});

describe('false-positive rules', () => {
  it.each(fpRules.map((r, i) => [i, r] as const))('#%i matches its seen line and variant, through the prefilter', (_i, rule) => {
    for (const line of [rule.seen, rule.variant]) {
      const text = normalise(line);
      expect(rule.pattern.test(text), line).toBe(true);
      expect(PREFILTER.test(text), line).toBe(true);
    }
  });
  it('have no capture groups (the combined matcher numbers groups by rule)', () => {
    for (const r of fpRules) expect(new RegExp(`${r.pattern.source}|`).exec('')!.length, r.pattern.source).toBe(1);
  });
});

/** A context that lets a refine keep its table's own reason (RCPT stage, the line's own codes). */
function neutral(text: string): Context {
  const status = specificStatus('', text);
  return {
    text,
    reply: remoteReply(text),
    human: '',
    status,
    replyCode: '',
    klass: status[0] ?? '5',
    command: 'RCPT',
    action: 'failed',
    diagnosticType: 'smtp',
    hosts: '',
    hostsAnonymous: true,
    reportingHost: '',
    recipientDomain: '',
    decodedBy: '',
  };
}

describe("a rule's own lines reach its own table (no earlier table steals them)", () => {
  it.each(phraseRows.filter(([, r]) => !r.mta))('%s', (_name, r, reason) => {
    for (const line of [r.seen, r.variant]) {
      const text = normalise(line);
      const ctx = neutral(text);
      let got: string | null = null;
      for (const t of COMPILED) {
        const m = t.re?.exec(text);
        if (!m) continue;
        got = t.refine ? t.refine(ctx, m[0]) : t.reason;
        if (got) break;
      }
      // The table's own reason, or what its refine makes of the line (a different reason by design,
      // e.g. mesgtoobig with an X.2.3 code is exceedlimit, a bare "access denied" after RCPT securityerror).
      const own = PHRASE_TABLES.find((t) => t.reason === reason)!;
      const m = ruleRegExp(r).exec(text)!;
      const want = own.refine ? own.refine(ctx, m[0]) : reason;
      expect(got, line).toBe(want);
    }
  });
});

describe('tables', () => {
  it('list every reason at most once', () => {
    const reasons = PHRASE_TABLES.map((t) => t.reason);
    expect(new Set(reasons).size).toBe(reasons.length);
  });
  it('stay fast on long hostile input (no catastrophic backtracking)', () => {
    const hostile = [
      'a '.repeat(20_000),
      'user '.repeat(5_000) + '!',
      'spam '.repeat(5_000),
      '550-5.1.1 '.repeat(3_000),
      '<' + 'x@'.repeat(10_000),
      'mailbox '.repeat(4_000) + 'is',
      'host '.repeat(4_000) + '[192.0.2.1]',
      'x'.repeat(40_000),
      'spf '.repeat(5_000) + 'x',
      'recipient address '.repeat(2_000),
      'message size '.repeat(3_000),
    ];
    const res = [
      ...PHRASE_TABLES.flatMap((t) => t.rules.map(ruleRegExp)),
      ...PROVIDERS.flatMap((p) => p.rules.filter((r) => r.phrase || r.pattern).map(ruleRegExp)),
      ...fpRules.map((r) => r.pattern),
      TEMPORARY,
    ];
    const t0 = performance.now();
    for (const h of hostile) {
      const text = normalise(h);
      for (const re of res) re.test(text);
      remoteReply(text);
    }
    expect(performance.now() - t0).toBeLessThan(4_000);
  });
});

describe('a table guard (keys) never hides one of its rules', () => {
  // Qualified (mta) rules are asked without the guard, per decoder.
  const guarded = PHRASE_TABLES.filter((t) => t.keys).flatMap((t) => t.rules.flatMap((r, i) => (r.mta ? [] : [[t.reason, i, r, t.keys!] as const])));
  it('some tables are guarded', () => expect(guarded.length).toBeGreaterThan(0));
  it.each(guarded)('%s #%i', (_reason, _i, rule, keys) => {
    // The guard must find a literal inside the matched text itself, not just somewhere in the line.
    for (const line of [rule.seen, rule.variant]) {
      const m = ruleRegExp(rule).exec(normalise(line));
      expect(m, line).not.toBeNull();
      expect(keys.test(m![0]), m![0]).toBe(true);
    }
  });
});
