/**
 * Spam-filter, blocklist and reputation rejections: never hard, never category 2, always with the
 * matched text as evidence - even when the code is 5.1.1. And the counter-examples that ARE invalid
 * addresses must stay invalid. The shared pattern list is replayed when ../shared is present.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PREFILTER, rules as fpRules } from '../../src/classify/false-positive.js';
import { classify } from '../../src/classify/index.js';
import { normalise } from '../../src/classify/status-codes.js';
import { finding, replyOf, report } from '../support/classify.js';

const verdict = (diagnostic: string, status = '5.1.1', lastCommand = 'RCPT') => {
  const f = finding({ diagnostic, status, lastCommand, replyCode: replyOf(diagnostic) });
  return classify(f, report([f]));
};

describe('false positives win over 5.1.1', () => {
  it.each([
    '550 5.1.1 <a@example.org>: Recipient address rejected: client 192.0.2.1 blocked using zen.spamhaus.org',
    '550 5.1.1 User unknown; your server is listed in bl.spamcop.net',
    '550 5.1.1 Mailbox unavailable - sender IP blacklisted',
    '550 5.1.1 Access denied, banned sending IP [192.0.2.1]',
    '550 5.1.1 Message content rejected: spam content detected',
    '550 5.1.1 no such user - [TSS09] all messages permanently deferred',
  ])('%s', (diag) => {
    const v = verdict(diag);
    expect(v.likelyFalsePositive).toBe(true);
    expect(v.hard).toBe(false);
    expect(v.category).toBe(1);
    expect(v.evidence).not.toBe('');
    expect(diag.toLowerCase()).toContain(v.evidence.split(' ')[0]!);
  });
});

describe('counter-examples stay invalid addresses', () => {
  it.each([
    ['550-5.1.1 The email account that you tried to reach does not exist. To protect our users from spam, this is final.', '5.1.1'],
    ['550 5.4.1 Recipient address rejected: Access denied. AS(201806281)', '5.4.1'],
    ["554 delivery error: dd This user doesn't have a yahoo.com account (x@yahoo.com) [0]", '5.0.0'],
    ['550 5.1.1 <x@icloud.com>: inactive email address', '5.1.1'],
    ['550 5.1.6 recipient no longer on server', '5.1.6'],
    ["553 5.1.2 We weren't able to find the recipient domain.", '5.1.2'],
  ])('%s', (diag, status) => {
    const v = verdict(diag, status);
    expect(v.likelyFalsePositive).toBe(false);
    expect(v.hard).toBe(true);
    expect(v.category).toBe(2);
  });
});

const tsv = new URL('../../../shared/reference/spam-block-patterns.tsv', import.meta.url).pathname;

describe.skipIf(!existsSync(tsv))('spam-block-patterns.tsv examples (skipped: ../shared/reference is absent)', () => {
  // Column 1 is a substring or /regex/; we feed the literal ones, embedded in a 5.1.1 reply.
  const rows = existsSync(tsv)
    ? readFileSync(tsv, 'utf8')
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => l.split('\t'))
        .filter((c) => c[0] && !c[0].startsWith('/') && (c[1] ?? '').startsWith('cat1'))
        .map((c) => [c[0]!, c[1]!] as const)
    : [];
  it.each(rows)('%s (%s) is a likely false positive, not hard', (text) => {
    const v = verdict(`550 5.1.1 Recipient rejected: ${text}`);
    expect(v.likelyFalsePositive).toBe(true);
    expect(v.hard).toBe(false);
  });
});

describe('words that look like blocklists but are not', () => {
  it.each([
    ['550 5.1.1 <a@example.org>: Recipient address rejected: not listed in example.org user database', 'userunknown'],
    ['550 5.1.1 User a (a@example.com) not listed in Domino Directory', 'userunknown'],
  ])('%s', (diag, reason) => {
    const v = verdict(diag);
    expect(v.reason).toBe(reason);
    expect(v.likelyFalsePositive).toBe(false);
  });
});

describe('the keyword prefilter never hides a false-positive rule', () => {
  it.each(fpRules.map((r) => [r.seen, r] as const))('%s', (_seen, r) => {
    const text = normalise(r.seen);
    expect(r.pattern.test(text)).toBe(true);
    expect(PREFILTER.test(text)).toBe(true);
  });
  it('passes every text the combined rules match, over generated replies', () => {
    const words = ['blocked', 'using', 'listed', 'in', 'rbl', 'spam', 'user', 'unknown', 'ip', 'reputation', 'deferred', '[ts01]', '[hme1]', '[cs01]', '[bl21]', 'envelope', 'for policy reasons', '_is_blocked', 'ube', 'virus', 'detected', 'bl000012', 'ofr004_104', 'ib212', 'not', 'at', 'zen.spamhaus.org', 'mailbox', 'content', 'rejected'];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
    for (let i = 0; i < 3000; i++) {
      const text = Array.from({ length: 1 + (next() % 6) }, () => words[next() % words.length]).join(' ');
      if (fpRules.some((r) => r.pattern.test(text))) expect(PREFILTER.test(text), text).toBe(true);
    }
  });
});
