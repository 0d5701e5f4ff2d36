import { describe, expect, it } from 'vitest';
import { decodeAddressEscapes } from '../../src/address/index.js';
import {
  bestStatusIn,
  findLastCommand,
  findReplyCode,
  findStatus,
  mostSpecificStatus,
  parseDeliveryStatus,
  readAddressField,
  readMtaField,
  splitTyped,
  stripComments,
} from '../../src/parse/dsn.js';

describe('parseDeliveryStatus', () => {
  it('reads per-message and per-recipient blocks in order, unfolding', () => {
    const ds = parseDeliveryStatus(`Reporting-MTA: dns; mx.example.net
X-Postfix-Queue-ID: 4F1A
Arrival-Date: Thu, 29 Apr 2021 23:34:45 +0900

Final-Recipient: rfc822; alice@example.org
Original-Recipient: rfc822;Alice@Example.ORG
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.org
Diagnostic-Code: smtp; 550 5.1.1 <alice@example.org>: Recipient address rejected:
    User unknown in local recipient table

Final-Recipient: rfc822; bob@example.org
Action: delayed
Status: 4.4.1
Will-Retry-Until: Fri, 30 Apr 2021 23:34:45 +0900
`);
    expect(ds.message['reporting-mta']).toBe('dns; mx.example.net');
    expect(ds.message['arrival-date']).toBe('Thu, 29 Apr 2021 23:34:45 +0900');
    expect(ds.recipients).toHaveLength(2);
    expect(ds.recipients[0]!['diagnostic-code']).toBe('smtp; 550 5.1.1 <alice@example.org>: Recipient address rejected: User unknown in local recipient table');
    expect(ds.recipients[1]!['will-retry-until']).toBe('Fri, 30 Apr 2021 23:34:45 +0900');
    expect(ds.problems).toEqual([]);
  });

  it('splits recipients when the blank line between them is missing, and takes message fields from a mixed block', () => {
    const ds = parseDeliveryStatus('Reporting-MTA: dns; a.example\nFinal-Recipient: rfc822; a@x.example\nAction: failed\nStatus: 5.0.0\nFinal-Recipient: rfc822; b@x.example\nAction: failed\nStatus: 5.0.0\n');
    expect(ds.message['reporting-mta']).toBe('dns; a.example');
    expect(ds.recipients.map((r) => r['final-recipient'])).toEqual(['rfc822; a@x.example', 'rfc822; b@x.example']);
  });

  it('appends an unindented wrapped line to the field before it', () => {
    const ds = parseDeliveryStatus('Final-Recipient: rfc822; a@x.example\nDiagnostic-Code: smtp; 550 mailbox\nunavailable\nStatus: 5.2.1\n');
    expect(ds.recipients[0]!['diagnostic-code']).toBe('smtp; 550 mailbox unavailable');
    expect(ds.recipients[0]!['status']).toBe('5.2.1');
  });
});

describe('field values', () => {
  it.each([
    ['rfc822; alice@Example.ORG', 'alice@example.org'],
    ['RFC822; <bob@example.org>', 'bob@example.org'],
    ['carol@example.org', 'carol@example.org'],
    ['rfc822; dave+2Bx@example.org', 'dave+x@example.org'],
    ['rfc822; a+2Bb@example.org (comment)', 'a+b@example.org'],
    ['utf-8; \\x{65E5}\\x{672C}@example.jp', '日本@example.jp'],
    ['utf-8; user@例え.jp', 'user@例え.jp'],
    // xtext escapes a UTF-8 local part byte by byte (RFC 3461 with RFC 6533's ORCPT): one character.
    ['rfc822; j+C3+BCrgen@example.de', 'jürgen@example.de'],
    ['rfc822; "neko..nyaan."@example.org', '"neko..nyaan."@example.org'],
    ['rfc822; "a@example.org"', 'a@example.org'],
  ])('address %s', (v, want) => {
    expect(readAddressField(v)).toBe(want);
  });

  it('xtext keeps a plus that is not an escape', () => {
    expect(decodeAddressEscapes('a+tag@example.org')).toBe('a+tag@example.org');
    expect(decodeAddressEscapes('a+3Db@example.org')).toBe('a=b@example.org');
  });

  it('reads MTA names, types and comments', () => {
    expect(readMtaField('dns; mx.example.org.')).toBe('mx.example.org');
    expect(readMtaField('dns; mx.example.org (192.0.2.1)')).toBe('mx.example.org');
    expect(splitTyped('smtp; 550 no')).toEqual({ type: 'smtp', value: '550 no' });
    expect(splitTyped('550 5.1.1 <a@b>; no such user')).toEqual({ type: '', value: '550 5.1.1 <a@b>; no such user' });
    expect(stripComments('failed (permanent (really))')).toBe('failed');
  });

  it.each([
    ['550 5.1.1 User unknown', '5.1.1'],
    ['host 10.5.1.1 said 4.2.2 full', '4.2.2'],
    ['version 4.16.55.1 then 5.7.606', '5.7.606'],
    ['no code', ''],
  ])('findStatus(%s)', (s, want) => expect(findStatus(s)).toBe(want));

  it.each([
    ['5.0.0', '550 5.7.606 Access denied, banned sending IP', '5.7.606'],
    ['5.1.1', '550 5.0.0 unknown', '5.1.1'],
    ['5.1.1', '550 5.7.1 IP address blacklisted', '5.7.1'],
    ['', '452 4.2.2 mailbox full', '4.2.2'],
    ['4.4.7', 'no code here', '4.4.7'],
    ['5.0.0', "5.1.0 - Unknown address error 550-'5.7.1 <x@y>... Access denied'", '5.7.1'],
  ])('status %s + diagnostic %s => %s', (status, diag, want) => {
    expect(mostSpecificStatus(status, diag)).toBe(want);
  });

  it('prefers the last of equally specific codes (the quoted cause)', () => {
    expect(bestStatusIn('554 4.4.7 Message expired <421 4.4.2 Connection timed out>')).toBe('4.4.2');
  });

  it.each([
    ['550 5.1.1 <a@b>: user unknown', '550'],
    ['smtp; 552-5.2.2 full', '552'],
    ['host said: 554 rejected', '554'],
    ['Remote server replied: 421 try later', '421'],
    ['exceeded 500 messages', ''],
  ])('findReplyCode(%s)', (s, want) => expect(findReplyCode(s)).toBe(want));

  it('finds the command a reply answered', () => {
    expect(findLastCommand('550 no (in reply to RCPT TO command)')).toBe('RCPT');
    expect(findLastCommand('(in reply to end of DATA command)')).toBe('DATA');
    expect(findLastCommand('SMTP error from remote mail server after MAIL FROM:<a@b>')).toBe('MAIL');
    expect(findLastCommand('nothing')).toBe('');
  });
});
