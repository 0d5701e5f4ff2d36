/**
 * One row per reason rule family: a diagnostic written for this test (modelled on what real MTAs
 * say), the enhanced status, the SMTP command it answered, and the expected verdict.
 * Columns: [diagnostic, status, command, reason, hard, category, likelyFalsePositive].
 */
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classify/index.js';
import type { Reason } from '../../src/types.js';
import { finding, replyOf, report } from '../support/classify.js';

type Row = [string, string, string, Reason, boolean, number, boolean];

const rows: Row[] = [
  // userunknown: only when it answered RCPT or carries an X.1.x code
  ['550 5.1.1 <ann@example.org>: Recipient address rejected: User unknown in local recipient table', '5.1.1', 'RCPT', 'userunknown', true, 2, false],
  ['550 5.1.1 <bob@example.net>... User unknown', '5.1.1', '', 'userunknown', true, 2, false],
  ['550 No such user here', '', 'RCPT', 'userunknown', true, 2, false],
  ['550 5.1.1 Mailbox does not exist', '5.1.1', '', 'userunknown', true, 2, false],
  ["550-5.1.1 The email account that you tried to reach does not exist. Please try\n550-5.1.1 double-checking the recipient's email address", '5.1.1', 'RCPT', 'userunknown', true, 2, false],
  ['550 5.1.1 RESOLVER.ADR.RecipNotFound; not found', '5.1.1', '', 'userunknown', true, 2, false],
  ['553 5.3.0 <cat@example.com>... No such user here', '5.3.0', 'RCPT', 'userunknown', true, 2, false],
  // a 4xx class is temporary by definition: the reason stands, the verdict is soft
  ['450 4.1.1 <dog@example.org>: Recipient address rejected: User unknown in virtual alias table', '4.1.1', 'RCPT', 'userunknown', false, 4, false],
  // filtered: the same words after DATA, or with no command and no addressing code
  ['550 : User unknown', '5.0.0', 'DATA', 'filtered', false, 4, false],
  ['550 <user@example.org>... No such user', '', '', 'filtered', false, 4, false],
  ['550 5.2.0 Message Filtered', '5.2.0', 'DATA', 'filtered', false, 4, false],
  // rejected: about our sender - a sender-policy refusal, flagged as a likely false positive (category 4)
  ['501 5.1.8 Sender address rejected: Domain not found', '5.1.8', 'MAIL', 'rejected', false, 4, true],
  ['550 5.1.7 No such domain sender.example.net.', '5.1.7', 'MAIL', 'rejected', false, 4, true],
  ['550 Unknown user someone@example.com', '', 'MAIL', 'rejected', false, 4, true],
  // before RCPT TO the recipient has not been named: address verdicts are about us
  ['550 5.1.1 <bounce@example.com>... User unknown', '5.1.1', 'MAIL', 'rejected', false, 4, true],
  ['553 Requested action not taken', '', 'MAIL', 'rejected', false, 4, true],
  ['550 5.1.2 Host unknown', '5.1.2', 'EHLO', 'blocked', false, 1, true],
  // hostunknown / notaccept / networkerror
  ['Host or domain name not found. Name service error for name=nowhere.example type=A: Host not found', '5.4.4', '', 'hostunknown', true, 2, false],
  ["Sorry, I couldn't find any host named nowhere.example. (#5.1.2)", '5.1.2', '', 'hostunknown', true, 2, false],
  ["DNS Error: DNS type 'mx' lookup of nowhere.example responded with code NXDOMAIN Domain name not found: nowhere.example", '4.0.0', '', 'networkerror', false, 4, false],
  ["The domain example.net doesn't receive email according to the administrator: returned Null MX", '5.1.10', '', 'notaccept', true, 2, false],
  ['521 5.3.2 System not accepting network messages', '5.3.2', 'CONN', 'notaccept', true, 2, false],
  ['501 5.0.0 Invalid domain name', '5.0.0', 'HELO', 'blocked', false, 1, true],
  // hasmoved
  ['550 5.1.6 recipient no longer on server: old@example.jp', '5.1.6', 'RCPT', 'hasmoved', true, 2, false],
  ['551 not our user', '5.1.6', 'RCPT', 'hasmoved', true, 2, false],
  // mailbox states
  ['552 5.2.2 <full@example.org>: user is over quota', '5.2.2', 'RCPT', 'mailboxfull', false, 3, false],
  ['/home/u/Maildir/tmp/123.host: Disk quota exceeded', '4.3.0', '', 'mailboxfull', false, 3, false],
  ['525 5.7.13 Disabled recipient address', '5.7.13', 'RCPT', 'suspend', false, 3, false],
  ['550 5.2.1 The email account that you tried to reach is disabled.', '5.2.1', 'RCPT', 'suspend', false, 3, false],
  ['552 5.3.4 Message size exceeds fixed maximum message size', '5.3.4', 'DATA', 'mesgtoobig', false, 4, false],
  ['552 5.2.3 Message length exceeds administrative limit', '5.2.3', 'DATA', 'exceedlimit', false, 3, false],
  // volume
  ['452 4.3.2 Connection rate limit exceeded.', '4.3.2', 'MAIL', 'toomanyconn', false, 3, false],
  ['452 4.5.3 Too many recipients', '4.5.3', 'RCPT', 'toomanyconn', false, 3, false],
  ['450 4.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered.', '4.2.1', 'RCPT', 'speeding', false, 3, false],
  // timeouts and network
  ['connect to mx.example.org[192.0.2.9]:25: Connection timed out', '4.4.1', '', 'expired', false, 3, false],
  ['retry timeout exceeded', '', '', 'expired', false, 3, false],
  ['lost connection with mx.example.org[192.0.2.9] while sending RCPT TO', '4.4.2', '', 'networkerror', false, 4, false],
  ['554 5.4.6 Too many hops', '5.4.6', '', 'networkerror', false, 4, false],
  // sender-side causes; sender authentication (SPF/DKIM/DMARC/PTR) is a likely false positive in category 4
  ['554 5.7.1 <x@example.com>: Relay access denied', '5.7.1', 'RCPT', 'norelaying', false, 4, false],
  ["550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's\n550-5.7.26 DMARC policy.", '5.7.26', 'DATA', 'authfailure', false, 4, true],
  ['550 5.7.23 SPF validation failed', '5.7.23', 'MAIL', 'authfailure', false, 4, true],
  ['550 5.7.25 Reverse DNS validation failed', '5.7.25', 'CONN', 'requireptr', false, 4, true],
  ['450 4.7.1 Client host rejected: cannot find your hostname, [192.0.2.4]', '4.7.1', 'RCPT', 'requireptr', false, 4, true],
  ['550 5.7.0 Local Policy Violation', '5.7.0', 'DATA', 'policyviolation', false, 4, false],
  ['550 5.6.9 improper use of 8-bit data in message header', '5.6.9', 'DATA', 'contenterror', false, 4, false],
  ["554 Transaction failed: Duplicate header 'Message-ID'.", '', 'DATA', 'notcompliantrfc', false, 4, false],
  ['503 Improper sequence of commands', '5.5.1', 'DATA', 'syntaxerror', false, 4, false],
  ['530 5.7.0 Authentication required', '5.7.0', 'MAIL', 'securityerror', false, 4, false],
  // an access list refusing our sender at MAIL FROM (Postfix check_sender_access, Sendmail access map)
  ['550 5.7.1 Access denied', '5.7.1', 'MAIL', 'blocked', false, 1, true],
  ['550 Access denied', '', 'CONN', 'blocked', false, 1, true],
  ['TLS negotiation failed with error: certificate verify failed', '4.7.5', '', 'failedstarttls', false, 4, false],
  // system
  ['452 4.4.5 Insufficient disk space; try again later', '4.4.5', 'MAIL', 'systemfull', false, 3, false],
  ['554 5.3.0 Internal system error', '5.3.0', 'DATA', 'systemerror', false, 4, false],
  ['Recipient address rejected: Mailer error', '5.3.0', '', 'mailererror', false, 4, false],
  // spam, blocklists, reputation: category 1, likely false positive, never hard
  ['554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org', '5.7.1', 'RCPT', 'blocked', false, 1, true],
  ['550 5.7.1 IP address blacklisted by recipient', '5.1.1', 'RCPT', 'blocked', false, 1, true],
  ['550 5.1.1 <x@example.org>: Recipient address rejected: your IP is listed at bl.example-dnsbl.org', '5.1.1', 'RCPT', 'blocked', false, 1, true],
  ['554 5.6.0 This message has been scored as spam with a probability of 97%', '5.6.0', 'DATA', 'spamdetected', false, 1, true],
  ['550 5.7.1 Message content rejected, UBE, id=12345-01', '5.7.1', 'DATA', 'spamdetected', false, 1, true],
  ['550 Virus Detected; Content Rejected', '', 'DATA', 'virusdetected', false, 1, true],
  ['451 4.7.650 The mail server [192.0.2.5] has been temporarily rate limited due to IP reputation.', '4.7.650', 'MAIL', 'badreputation', false, 1, true],
  // a bare 5.7.1: about our host when it names an IP, else the receiver's policy; never an address
  ['550 5.7.1 Message from 192.0.2.77 refused', '5.7.1', 'RCPT', 'blocked', false, 1, true],
  ['550 5.7.1 Delivery refused', '5.7.1', 'RCPT', 'policyviolation', false, 4, false],
  // greylisting is throttling; cPanel's callout text names no blocklist
  ['450 4.7.1 <a@example.org>: Recipient address rejected: Greylisted, see http://postgrey.example/help', '4.7.1', 'RCPT', 'speeding', false, 3, false],
  ['The mail server could not deliver mail to a@example.net. The account or domain may not exist, they may be blacklisted, or missing the proper dns entries.', '', '', 'hostunknown', true, 2, false],
  ['421 4.7.0 Try again later, closing connection. (EHLO)', '4.7.0', 'EHLO', 'blocked', false, 1, true],
  // Exim and Exchange wordings
  ["all hosts for 'example.com' have been failing for a long time (and retry time not reached)", '', '', 'expired', false, 3, false],
  ['all relevant MX records point to non-existent hosts', '', '', 'hostunknown', true, 2, false],
  ['554 5.4.4 SMTPSEND.DNS.NonExistentDomain; nonexistent domain', '5.4.4', '', 'hostunknown', true, 2, false],
  ['#550 5.1.1 RESOLVER.ADR.ExRecipNotFound; not found ##', '5.1.1', '', 'userunknown', true, 2, false],
  ['550 5.7.1 RESOLVER.RST.NotAuthorized; not authorized', '5.7.1', 'RCPT', 'securityerror', false, 4, false],
  ['Message could not be delivered for 5 days', '4.4.7', '', 'expired', false, 3, false],
  // the sending service's own suppression
  ['Amazon SES has suppressed sending to this address because it has a recent history of bouncing as an invalid address.', '5.1.1', '', 'suppressed', false, 4, false],
  ['You tried to send to a recipient that has been marked as inactive.', '', '', 'suppressed', false, 4, false],
  // nothing to go on
  ['550 Go away', '', '', 'onhold', false, 9, false],
  ['', '', '', 'undefined', false, 9, false],
];

describe('classify: reason rules', () => {
  it.each(rows)('%s [%s %s] -> %s', (diagnostic, status, lastCommand, reason, hard, category, fp) => {
    const f = finding({ diagnostic, status, lastCommand, replyCode: replyOf(diagnostic) });
    const v = classify(f, report([f]));
    expect({ reason: v.reason, hard: v.hard, category: v.category, fp: v.likelyFalsePositive }).toEqual({ reason, hard, category, fp });
    if (fp) expect(v.evidence, 'a false positive names its evidence').not.toBe('');
  });
});

describe('classify: generality guards', () => {
  it.each<[string, string, string, Reason]>([
    ['550 5.1.1 User someone (someone@example.com) not listed in Domino Directory', '5.1.1', 'RCPT', 'userunknown'],
    ['450 4.2.0 Requested mail action not taken: mailbox unavailable', '4.2.0', 'RCPT', 'onhold'],
    ['553 5.1.8 Sender domain not found', '5.1.8', 'MAIL', 'rejected'],
    ['550 5.7.1 Email flagged as spam by the recipient filter', '5.7.1', 'DATA', 'spamdetected'],
  ])('%s -> %s', (diagnostic, status, lastCommand, reason) => {
    const f = finding({ diagnostic, status, lastCommand, replyCode: replyOf(diagnostic) });
    expect(classify(f, report([f])).reason).toBe(reason);
  });
});

describe("classify: the reporter's own lookup needs no SMTP command", () => {
  it.each([
    "Your message wasn't delivered to a@example.it because the address couldn't be found. Check for typos or unnecessary spaces and try again.",
    "The email address wasn't found at the destination domain. It might be misspelled or it might not exist any longer.",
    "Sorry, no mailbox here by that name. (#5.1.1)",
  ])('%s', (diagnostic) => {
    const f = finding({ diagnostic, status: '5.0.0' });
    expect(classify(f, report([f]))).toMatchObject({ reason: 'userunknown', hard: true, category: 2 });
  });
});

describe('classify: a relayed reply without stage or code is not proof', () => {
  it.each([
    "This user doesn't have a example.com account (a@example.com) [0]",
    'The email account that you tried to reach does not exist.',
  ])('%s -> filtered', (diagnostic) => {
    const f = finding({ diagnostic, status: '5.0.0' });
    expect(classify(f, report([f]))).toMatchObject({ reason: 'filtered', hard: false });
  });
});
