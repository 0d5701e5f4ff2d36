/**
 * text-bounce helpers: status and reply-code extraction, reply joining, address finding.
 */
import { describe, expect, it } from 'vitest';
import { commandOf, findAddress, findReplyCode, findStatus, joinReply, addressFromField } from '../../../src/decode/mta/text-bounce.js';

describe('findStatus', () => {
  it.each([
    ['550 5.1.1 <a@example.org>: User unknown', '5.1.1'],
    ['550 5.7.606 Access denied, banned sending IP [192.0.2.225]', '5.7.606'],
    ['Sorry, I couldn\'t find any host named x. (#5.1.2)', '5.1.2'],
    // Not inside an IP address or a longer dotted number.
    ['connect to 192.0.2.25 failed', ''],
    ['deferred - 4.16.55.1; see https://postmaster.example', ''],
    ['no code at all', ''],
  ])('%s -> %j', (s, want) => expect(findStatus(s)).toBe(want));
});

describe('findReplyCode', () => {
  it.each([
    ['550 5.1.1 User unknown', '550'],
    ['550-5.7.26 Unauthenticated email', '550'],
    ['host mx[192.0.2.1] said: 552 sorry, mailbox is over quota', '552'],
    ['Connected to 192.0.2.225 but sender was rejected.', ''],
    ['port 25 is closed', ''],
  ])('%s -> %j', (s, want) => expect(findReplyCode(s)).toBe(want));
});

describe('joinReply', () => {
  it('drops the repeated code and status of continuation lines', () => {
    expect(joinReply(['550-5.7.26 Unauthenticated email from example.jp is not', '550-5.7.26 accepted due to domain\'s', '550 5.7.26 DMARC policy.'])).toBe(
      "550 5.7.26 Unauthenticated email from example.jp is not accepted due to domain's DMARC policy.",
    );
  });
  it('keeps a one-line reply as it is', () => {
    expect(joinReply(['  554 5.7.1 Service unavailable  '])).toBe('554 5.7.1 Service unavailable');
  });
});

describe('findAddress / addressFromField', () => {
  it.each([
    ['<Alice@Example.ORG>: User unknown', 'Alice@example.org'],
    ['Delivery failed: bob@example.net', 'bob@example.net'],
    ['user (carol@example.co.jp) not listed', 'carol@example.co.jp'],
    ['mailbox dave@example.org. is full', 'dave@example.org'],
    ['no address here @ all', ''],
    ['a@'.repeat(1000), ''],
  ])('%s -> %j', (s, want) => expect(findAddress(s)).toBe(want));

  it('strips brackets and trailing punctuation', () => {
    expect(addressFromField(' <erin@EXAMPLE.net>, ')).toBe('erin@example.net');
  });
});

describe('commandOf', () => {
  it.each([
    ['RCPT TO:<a@example.org>', 'RCPT'],
    ['MAIL FROM:<a@example.org> SIZE=1024', 'MAIL'],
    ['end of data', 'DATA'],
    ['our final DATA', 'DATA'],
    ['initial connection', 'CONN'],
    ['EHLO example.com', 'EHLO'],
    ['SMTP error from remote mail server after initial connection', 'CONN'],
  ])('%s -> %s', (s, want) => expect(commandOf(s)).toBe(want));
});
