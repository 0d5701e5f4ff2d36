/** Status and reply code tables, the most-specific-status rule and diagnostic normalisation. */
import { describe, expect, it } from 'vitest';
import { classOf, normalise, reasonFromReply, reasonFromStatus, replyInText, specificStatus } from '../../src/classify/status-codes.js';

describe('reasonFromStatus', () => {
  it.each([
    ['5.1.1', 'userunknown'],
    // RFC 3463: X.1.1 is "only useful for permanent failures"; a 4.1.1 is a deferral (address verification in progress)
    ['4.1.1', null],
    ['5.1.3', 'userunknown'],
    ['4.2.1', 'suspend'],
    ['5.7.30', 'failedstarttls'],
    ['5.1.2', 'hostunknown'],
    ['5.1.6', 'hasmoved'],
    ['5.1.10', 'notaccept'],
    ['5.2.2', 'mailboxfull'],
    ['4.2.2', 'mailboxfull'],
    ['5.3.4', 'mesgtoobig'],
    ['4.4.7', 'expired'],
    ['5.7.26', 'authfailure'],
    ['5.7.25', 'requireptr'],
    ['5.0.0', null],
    ['5.7.1', null],
    ['5.3.0', null],
    ['2.0.0', null],
    ['', null],
    ['garbage', null],
  ])('%s -> %s', (status, want) => {
    expect(reasonFromStatus(status)).toBe(want);
  });
});

describe('reasonFromReply', () => {
  it.each([
    ['551', 'hasmoved'],
    ['521', 'notaccept'],
    ['550', null],
    ['554', null],
  ])('%s -> %s', (code, want) => {
    expect(reasonFromReply(code)).toBe(want);
  });
});

describe('specificStatus', () => {
  it('prefers a code in the diagnostic over X.0.0', () => {
    expect(specificStatus('5.0.0', 'smtp; 550 5.7.606 Access denied, banned sending IP')).toBe('5.7.606');
  });
  it('keeps a specific Status field', () => {
    expect(specificStatus('5.1.1', '550 5.7.1 IP address blacklisted by recipient')).toBe('5.1.1');
  });
  it('ignores a code of another class', () => {
    expect(specificStatus('4.0.0', 'earlier: 550 5.1.1 user unknown')).toBe('4.0.0');
  });
  it('returns the empty string when there is nothing', () => {
    expect(specificStatus('', 'no codes here')).toBe('');
  });
});

describe('classOf and replyInText', () => {
  it('takes the class from the status, else the reply', () => {
    expect(classOf('4.2.2', '550')).toBe('4');
    expect(classOf('', '550')).toBe('5');
    expect(classOf('', '')).toBe('');
  });
  it('reads the reply code at the start of a diagnostic', () => {
    expect(replyInText('smtp; 552-5.2.2 over quota')).toBe('552');
    expect(replyInText('Host not found')).toBe('');
  });
});

describe('normalise', () => {
  it('lower-cases and folds whitespace', () => {
    expect(normalise('  550 5.1.1  User\n\tUnknown ')).toBe('550 5.1.1 user unknown');
  });
  it('removes the prefixes a multi-line reply repeats', () => {
    expect(normalise('550-5.7.1 Messages with multiple\n550-5.7.1 addresses in From: header\n550 5.7.1 are not accepted')).toBe(
      '550-5.7.1 messages with multiple addresses in from: header are not accepted',
    );
  });
  it('removes a repeated code in the middle of one line', () => {
    expect(normalise('550-5.7.1 [192.0.2.1 13] Messages with multiple 550 5.7.1 addresses in From:')).toContain('multiple addresses in from');
  });
});

describe('normalise folds whitespace as /\\s+/ -> one space does', () => {
  it('on generated texts with mixed whitespace', () => {
    const parts = ['550', '5.1.1', 'user', 'unknown', ' ', '  ', '\t', '\n', '\r\n', '\u00a0', ' \t ', '550-5.7.1', 'x'];
    let seed = 11;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
    for (let i = 0; i < 2000; i++) {
      const raw = Array.from({ length: 1 + (next() % 10) }, () => parts[next() % parts.length]).join(next() % 2 ? ' ' : '');
      const folded = raw.toLowerCase().replace(/\s+/g, ' ').trim();
      if (!/[245]\d\d[ -]/.test(folded)) expect(normalise(raw), JSON.stringify(raw)).toBe(folded);
      else expect(normalise(raw), JSON.stringify(raw)).toBe(normalise(folded));
    }
  });
});
