/**
 * The classify() contract: message types that are not bounces, decoder hints, delays never hard,
 * and robustness (never throws, bounded time) on random findings.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classify/index.js';
import { REASONS } from '../../src/types.js';
import type { Action, Finding } from '../../src/types.js';
import { finding, report } from '../support/classify.js';

describe('not bounces', () => {
  it('Action delivered is delivered, category 0', () => {
    const f = finding({ action: 'delivered', status: '2.0.0', diagnostic: '250 2.0.0 OK' });
    expect(classify(f, report([f]))).toMatchObject({ reason: 'delivered', hard: false, category: 0, likelyFalsePositive: false });
  });
  it.each(['relayed', 'expanded'] as const)('Action %s is a success notice too', (action) => {
    const f = finding({ action, status: '2.0.0' });
    expect(classify(f, report([f]))).toMatchObject({ reason: 'delivered', category: 0, hard: false });
  });
  it('a feedback report is feedback with its type as evidence', () => {
    const f = finding({ action: '', feedbackType: 'abuse', reasonHint: 'feedback' });
    expect(classify(f, report([f], { type: 'feedback' }))).toMatchObject({ reason: 'feedback', category: 0, evidence: 'abuse' });
  });
  it('an auto-reply is vacation', () => {
    const f = finding({ action: '', reasonHint: 'vacation', diagnostic: 'I am out of the office until Monday.' });
    expect(classify(f, report([f], { type: 'autoreply' }))).toMatchObject({ reason: 'vacation', hard: false, category: 0 });
  });
});

describe('delays', () => {
  it('take the reason from the text but are never hard', () => {
    const f = finding({ action: 'delayed', status: '4.1.1', diagnostic: '450 4.1.1 <a@example.org>: Recipient address rejected: User unknown', lastCommand: 'RCPT' });
    const v = classify(f, report([f], { type: 'delayed' }));
    expect(v.reason).toBe('userunknown');
    expect(v.hard).toBe(false);
    expect(v.category).toBe(4);
  });
  it('without any text are expired', () => {
    const f = finding({ action: 'delayed', status: '4.0.0' });
    expect(classify(f, report([f], { type: 'delayed' })).reason).toBe('expired');
  });
});

describe('hints', () => {
  it('a decoder hint decides when present', () => {
    const f = finding({ reasonHint: 'expired', diagnostic: 'Sorry, I could not deliver for 7 days', decodedBy: 'qmail' });
    expect(classify(f, report([f]))).toMatchObject({ reason: 'expired', rule: 'hint:qmail' });
  });
  it('an onhold hint leaves the decision to the text', () => {
    const f = finding({ reasonHint: 'onhold', diagnostic: '552 5.2.2 Mailbox full', status: '5.2.2' });
    expect(classify(f, report([f])).reason).toBe('mailboxfull');
  });
  it('false-positive evidence still overrides an address hint', () => {
    const f = finding({ reasonHint: 'userunknown', diagnostic: '550 rejected: blocked using bl.spamcop.net' });
    expect(classify(f, report([f]))).toMatchObject({ reason: 'blocked', hard: false, likelyFalsePositive: true });
  });
});

describe('hardness', () => {
  it('notaccept is hard only with a 5xx code', () => {
    const five = finding({ status: '5.1.10', diagnostic: 'returned Null MX' });
    const four = finding({ status: '4.1.10', diagnostic: 'returned Null MX' });
    expect(classify(five, report([five])).hard).toBe(true);
    expect(classify(four, report([four])).hard).toBe(false);
  });
  it('is true only for address reasons', () => {
    fc.assert(
      fc.property(fc.constantFrom(...REASONS), (reason) => {
        const f = finding({ reasonHint: reason, status: '5.0.0' });
        const v = classify(f, report([f]));
        if (v.hard) expect(['userunknown', 'hostunknown', 'hasmoved', 'notaccept']).toContain(v.reason);
        expect(v.hard).toBe(v.category === 2);
      }),
    );
  });
});

const actions: Action[] = ['failed', 'delayed', 'delivered', 'relayed', 'expanded', ''];

describe('robustness', () => {
  it('never throws and always returns a known reason on random findings', () => {
    const arbFinding = fc.record({
      diagnostic: fc.oneof(fc.string({ maxLength: 400 }), fc.string({ unit: 'binary', maxLength: 200 })),
      status: fc.oneof(fc.constant(''), fc.stringMatching(/^[245]\.\d{1,3}\.\d{1,3}$/), fc.string({ maxLength: 8 })),
      replyCode: fc.oneof(fc.constant(''), fc.stringMatching(/^[245]\d\d$/), fc.string({ maxLength: 4 })),
      lastCommand: fc.constantFrom('', 'CONN', 'HELO', 'EHLO', 'MAIL', 'RCPT', 'DATA', 'junk'),
      remoteMta: fc.oneof(fc.constant(''), fc.domain()),
      reportingMta: fc.oneof(fc.constant(''), fc.domain()),
      action: fc.constantFrom(...actions),
    });
    fc.assert(
      fc.property(arbFinding, (over) => {
        const f = finding(over as Partial<Finding>);
        const v = classify(f, report([f]));
        expect(REASONS).toContain(v.reason);
        expect([0, 1, 2, 3, 4, 9]).toContain(v.category);
        if (v.likelyFalsePositive) expect(v.hard).toBe(false);
      }),
      { numRuns: 2_000 },
    );
  });

  it('survives a finding with missing fields (a decoder bug) without throwing', () => {
    const broken = { recipient: 'x@example.org' } as unknown as Finding;
    expect(() => classify(broken, report([broken]))).not.toThrow();
  });

  it('stays in the tens of microseconds per finding (a guard against a pathological rule)', () => {
    const samples = [
      '550 5.1.1 <a@example.org>: Recipient address rejected: User unknown in virtual mailbox table',
      '552-5.2.2 The email account that you tried to reach is over quota. Please direct the recipient to https://support.google.com/mail/?p=OverQuotaTemp - gsmtp',
      '554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.1',
      'connect to mx.example.org[192.0.2.9]:25: Connection timed out',
      '421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1',
    ];
    const fs = samples.map((d, i) => finding({ diagnostic: d, status: ['5.1.1', '5.2.2', '5.7.1', '4.4.1', '4.7.0'][i]!, remoteMta: i === 4 ? 'mta6.am0.yahoodns.net' : 'mx.example.org' }));
    const r = report(fs);
    const t0 = performance.now();
    for (let i = 0; i < 20_000; i++) classify(fs[i % fs.length]!, r);
    const perFinding = (performance.now() - t0) / 20_000;
    // About 20-30 us in plain Node; the bound leaves room for a loaded 2-core CI machine.
    expect(perFinding).toBeLessThan(250);
  });
});

describe('bounded input', () => {
  it('reads only the head of a huge diagnostic, quickly', () => {
    const huge = '550 5.1.1 <a@example.org>: Recipient address rejected: User unknown ' + 'x '.repeat(2_000_000);
    const f = finding({ diagnostic: huge, status: '5.1.1', lastCommand: 'RCPT' });
    const t0 = performance.now();
    const v = classify(f, report([f]));
    expect(performance.now() - t0).toBeLessThan(500);
    expect(v.reason).toBe('userunknown');
  });
});

describe('local mailer (x-unix)', () => {
  it.each([
    ['temporary failure', '4.3.0', 'mailererror'],
    ['255', '5.0.0', 'mailererror'],
    ['/home/a/Maildir/tmp/1.host: Disk quota exceeded', '4.3.0', 'mailboxfull'],
    ['550 5.0.0 Insufficient permission', '5.3.0', 'systemerror'],
  ])('x-unix; %s -> %s', (diagnostic, status, reason) => {
    const f = finding({ diagnostic, status, diagnosticType: 'x-unix' });
    expect(classify(f, report([f])).reason).toBe(reason);
  });
});
