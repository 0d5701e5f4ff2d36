/**
 * Evidence weighed before "hard": each veto makes an address verdict soft and says why in the
 * evidence; the reply families the classifier must know whatever the wording; providers chosen by
 * the recipient's domain when the remote host is an IP literal; sender authentication flagged as a
 * likely false positive; the remote server's own address never read as "our IP is blocked".
 */
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classify/index.js';
import type { Finding, Reason } from '../../src/types.js';
import { finding, replyOf, report } from '../support/classify.js';

const verdict = (over: Partial<Finding>) => {
  const f = finding({ replyCode: replyOf(over.diagnostic ?? ''), ...over });
  return classify(f, report([f]));
};

describe('hard needs agreement: each veto makes an address verdict soft and names itself', () => {
  it.each<[string, Partial<Finding>, RegExp]>([
    ['a 4xx class', { diagnostic: '450 4.1.1 <a@example.org>: Recipient address rejected: User unknown in local recipient table', status: '4.1.1', lastCommand: 'RCPT' }, /4xx/],
    ['a 4xx class on Action: failed (the queue gave up)', { diagnostic: '450 4.1.1 <a@example.org>: User unknown', status: '4.1.1', lastCommand: 'RCPT', action: 'failed' }, /queue gave up/],
    ['a temporary qualifier', { diagnostic: '550 5.1.1 <a@example.org>: user unknown at the moment, please try again later', status: '5.1.1', lastCommand: 'RCPT' }, /temporary/],
    ['"temporarily" in the reply', { diagnostic: '550 5.1.1 Mailbox temporarily unknown', status: '5.1.1', lastCommand: 'RCPT' }, /temporary/],
    ['an X.7 policy code', { diagnostic: '554 5.7.1 <a@example.ch>: Recipient address rejected: Access denied', status: '5.7.1', lastCommand: 'RCPT' }, /policy code 5\.7\.1/],
    ['an X.7 policy code in Status only', { diagnostic: '553 Invalid recipient a@example.org (Mode: normal)', status: '5.7.1', lastCommand: 'RCPT' }, /policy code/],
    ['a local mailer (x-unix)', { diagnostic: '550 5.1.1 user unknown', status: '5.1.1', diagnosticType: 'x-unix' }, /local mailer/],
    ['a local mailer named in the text', { diagnostic: 'Command died with status 67: "/usr/bin/procmail". Command output: user unknown', status: '5.1.1', lastCommand: 'RCPT' }, /local mailer/],
    ['a mailbox-full code next to "user unknown"', { diagnostic: '552 5.2.2 <a@example.org>: user unknown', status: '5.2.2', lastCommand: 'RCPT' }, /status 5\.2\.2 disagrees/],
    ['a human part that says the mailbox is full', { diagnostic: '550 5.1.1 <a@example.org>: user unknown', status: '5.1.1', lastCommand: 'RCPT', human: "The recipient's mailbox is full and can't accept messages now." }, /human-readable part/],
    ['Action: delayed', { diagnostic: '550 5.1.1 <a@example.org>: user unknown', status: '5.1.1', lastCommand: 'RCPT', action: 'delayed' }, /delayed/],
  ])('%s', (_what, over, why) => {
    const v = verdict(over);
    expect(v.hard).toBe(false);
    expect(v.category).not.toBe(2);
    expect(v.evidence).toMatch(/\[soft: /);
    expect(v.evidence).toMatch(why);
  });

  it.each<[string, Partial<Finding>, Reason]>([
    ['RCPT, 5.1.1, user unknown', { diagnostic: '550 5.1.1 <a@example.org>: Recipient address rejected: User unknown in local recipient table', status: '5.1.1', lastCommand: 'RCPT' }, 'userunknown'],
    ['"check for typos and try again" is no temporary qualifier', { diagnostic: "Your message wasn't delivered to a@example.it because the address couldn't be found. Check for typos or unnecessary spaces and try again.", status: '5.0.0' }, 'userunknown'],
    ['"this is not a temporary error"', { diagnostic: '550 5.1.1 <a@example.org>: no such user here - this is not a temporary error', status: '5.1.1', lastCommand: 'RCPT' }, 'userunknown'],
    ['an X.1.x detail beyond the RFC (Exchange 5.1.351)', { diagnostic: '550 5.1.351 Remote server returned unknown recipient or mailbox unavailable -> 550 Unknown user a@example.ne.jp', status: '5.1.351' }, 'userunknown'],
    ['null MX (RFC 7505) with its permanent code', { diagnostic: '556 5.1.10 <a@example.com>: Recipient address rejected: Domain example.com does not accept mail (nullMX)', status: '5.1.10', lastCommand: 'RCPT' }, 'notaccept'],
    ['a permanent host-not-found', { diagnostic: 'Host or domain name not found. Name service error for name=nowhere.example type=A: Host not found', status: '5.4.4' }, 'hostunknown'],
  ])('agreement: %s -> hard', (_what, over, reason) => {
    const v = verdict(over);
    expect(v).toMatchObject({ reason, hard: true, category: 2, likelyFalsePositive: false });
    expect(v.evidence).not.toMatch(/\[soft: /);
  });
});

describe('temporary DNS trouble is a network error, not a dead domain', () => {
  it.each<[string, string]>([
    ['Host or domain name not found. Name service error for name=example.org type=MX: Host not found, try again', '4.4.3'],
    ['Host or domain name not found. Name service error for name=example.org type=MX: Host not found, try again', '5.4.4'],
    ['Deferred: Name server: example.org.: host name lookup failure', '4.4.3'],
    ['all host address lookups failed temporarily', ''],
    ['example.org: Temporary failure in MX lookup', ''],
    ['451 4.4.0 DNS lookup failure: example.org: try again later', '4.4.0'],
  ])('%s [%s]', (diagnostic, status) => {
    expect(verdict({ diagnostic, status })).toMatchObject({ reason: 'networkerror', hard: false });
  });
});

describe('the reply families, whatever the wording', () => {
  it.each<[string, string, string, Reason, boolean]>([
    // relaying refused
    ['550 5.7.1 <a@example.net>... Relaying denied. Proper authentication required.', '5.7.1', 'RCPT', 'norelaying', false],
    ['550 5.7.64 TenantAttribution; Relay Access Denied', '5.7.64', 'RCPT', 'norelaying', false],
    ['550 relay not permitted', '', 'RCPT', 'norelaying', false],
    // PTR / reverse DNS (sender authentication: flagged)
    ['550 5.7.25 Client host rejected: cannot find your reverse hostname, [192.0.2.7]', '5.7.25', 'RCPT', 'requireptr', true],
    ['554 5.7.1 We do not accept mail from hosts without a valid reverse DNS entry', '5.7.1', 'CONN', 'requireptr', true],
    // TLS required
    ['TLS is required, but was not offered by host mx.example.org[192.0.2.1]', '4.7.4', '', 'failedstarttls', false],
    ['530 5.7.0 Must issue a STARTTLS command first', '5.7.0', 'MAIL', 'failedstarttls', false],
    ['451 4.4.317 STARTTLS is required to send mail', '4.4.317', '', 'failedstarttls', false],
    // size limits
    ['message size 30512345 exceeds size limit 10240000 of server mx.example.org[192.0.2.1]', '5.3.4', '', 'mesgtoobig', false],
    ['552 Message size exceeds maximum permitted', '', 'DATA', 'mesgtoobig', false],
    ['message has lines too long for transport', '5.0.0', '', 'mesgtoobig', false],
    // protocol and header violations
    ['503 5.5.1 Error: improper use of SMTP command pipelining', '5.5.1', 'DATA', 'syntaxerror', false],
    ['550 5.7.1 Messages missing a valid Date: header are not accepted.', '5.7.1', 'DATA', 'notcompliantrfc', false],
    ['521 5.5.2 mx.example.org Error: bare <LF> received', '5.5.2', 'DATA', 'notcompliantrfc', false],
    // content-filter verdicts
    ['554 5.7.0 Reject, id=20025-09 - SPAM', '5.7.0', 'DATA', 'spamdetected', false],
    ['554 5.7.0 Reject, id=20025-10 - VIRUS: Eicar-Test-Signature', '5.7.0', 'DATA', 'virusdetected', false],
    ['554 5.7.0 Reject, id=20025-11 - BANNED: P=p003,T=exe,N=setup.exe', '5.7.0', 'DATA', 'policyviolation', false],
    ['554 5.7.0 Reject, id=20025-12 - BAD HEADER: Duplicate header field: "Subject"', '5.7.0', 'DATA', 'notcompliantrfc', false],
    // queue expiry after N attempts
    ['retry timeout exceeded', '', '', 'expired', false],
    ['Cannot send message for 5 days', '4.4.7', '', 'expired', false],
    ["I'm not going to try again; this message has been in the queue too long.", '', '', 'expired', false],
    ['a@example.org: Envelope expired', '4.4.7', '', 'expired', false],
    ['Delivery failed after 12 attempts over 5 days', '', '', 'expired', false],
    // null MX
    ['Domain example.com does not accept mail (nullMX)', '5.1.0', '', 'notaccept', true],
    ['an MX or SRV record indicated no SMTP service', '', '', 'notaccept', true],
    // verification still running: no verdict
    ['450 4.1.1 <a@example.com>: Recipient address rejected: unverified address: Address verification in progress', '4.1.1', 'RCPT', 'expired', false],
  ])('%s -> %s', (diagnostic, status, lastCommand, reason, hardOrFlag) => {
    const v = verdict({ diagnostic, status, lastCommand });
    expect(v.reason).toBe(reason);
    if (reason === 'notaccept') expect(v.hard).toBe(hardOrFlag);
    else expect(v.hard).toBe(false);
    if (reason === 'requireptr') expect(v.likelyFalsePositive).toBe(hardOrFlag);
  });
});

describe('sender authentication is a likely false positive with a cause that names it', () => {
  it.each<[string, string, Reason]>([
    ["550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC policy.", '5.7.26', 'authfailure'],
    ['550 5.7.23 The message was rejected because of Sender Policy Framework violation', '5.7.23', 'authfailure'],
    ['550 5.7.20 No passing DKIM signature found', '5.7.20', 'authfailure'],
    ['550 5.7.29 ARC validation failure', '5.7.29', 'authfailure'],
    ['550-5.7.25 The IP address sending this message does not have a PTR record setup', '5.7.25', 'requireptr'],
  ])('%s', (diagnostic, status, reason) => {
    const v = verdict({ diagnostic, status, lastCommand: 'DATA' });
    expect(v).toMatchObject({ reason, hard: false, likelyFalsePositive: true, category: 4 });
    expect(v.evidence).toMatch(/^sender authentication/);
  });
  it('a user-unknown text with an authentication failure is not an address verdict', () => {
    const v = verdict({ diagnostic: '550 5.1.1 <a@example.org>: rejected: SPF check failed for example.com', status: '5.1.1', lastCommand: 'RCPT' });
    expect(v).toMatchObject({ hard: false, likelyFalsePositive: true });
  });
});

describe('"names an IP" reads the remote server\'s own words', () => {
  it('the remote server in "host x[ip] said:" is not our IP', () => {
    const v = verdict({ diagnostic: 'host mx.example.org[192.0.2.1] said: 550 5.7.1 Delivery refused (in reply to RCPT TO command)', status: '5.7.1', lastCommand: 'RCPT' });
    expect(v).toMatchObject({ reason: 'policyviolation', likelyFalsePositive: false });
  });
  it("Exim's \"host x [ip]:\" prefix is not our IP either", () => {
    const v = verdict({ diagnostic: 'SMTP error from remote mail server after RCPT TO:<a@example.org>: host mx.example.org [192.0.2.1]: 550 5.7.1 Not allowed', status: '5.7.1', lastCommand: 'RCPT' });
    expect(v.reason).toBe('policyviolation');
  });
  it('an IP in the reply itself is about the sending side', () => {
    const v = verdict({ diagnostic: 'host mx.example.org[192.0.2.1] said: 550 5.7.1 Message from 198.51.100.77 refused (in reply to RCPT TO command)', status: '5.7.1', lastCommand: 'RCPT' });
    expect(v).toMatchObject({ reason: 'blocked', likelyFalsePositive: true, evidence: '198.51.100.77' });
  });
});

describe("providers are chosen by the recipient's domain when the remote host is an IP literal", () => {
  const gl01 = '421 4.7.0 [GL01] Message from (198.51.100.1) temporarily deferred - 4.16.50';
  it.each(['', '[192.0.2.9]', '192.0.2.9', '[IPv6:2001:db8::1]'])('remote %j, recipient @yahoo.com -> provider:yahoo', (remoteMta) => {
    const v = verdict({ diagnostic: gl01, status: '4.7.0', lastCommand: 'MAIL', remoteMta, recipient: 'a@yahoo.com' });
    expect(v).toMatchObject({ reason: 'speeding', rule: 'provider:yahoo' });
  });
  it('not when the remote host is a named host of someone else (a relay answered)', () => {
    const v = verdict({ diagnostic: gl01, status: '4.7.0', lastCommand: 'MAIL', remoteMta: 'smarthost.example.net', recipient: 'a@yahoo.com' });
    expect(v.rule).not.toBe('provider:yahoo');
  });
});

describe('provider replies read as the provider documents them', () => {
  it.each<[string, string, string, string, Reason]>([
    ['outlook-com.olc.protection.outlook.com', '432 4.3.2 STOREDRV.Deliver; recipient thread limit exceeded', '4.3.2', 'RCPT', 'speeding'],
    ['mta7.am0.yahoodns.net', '450 User is receiving mail too quickly', '', 'RCPT', 'speeding'],
    ['mx01.mail.icloud.com', '421 4.7.1 Messages to a@icloud.com deferred due to excessive volume. Try again later', '4.7.1', 'RCPT', 'speeding'],
    ['aspmx.l.google.com', '450-4.2.1 The user you are trying to contact is receiving mail too quickly.', '4.2.1', 'RCPT', 'speeding'],
  ])('%s: %s -> %s', (remoteMta, diagnostic, status, lastCommand, reason) => {
    expect(verdict({ diagnostic, status, lastCommand, remoteMta })).toMatchObject({ reason, hard: false });
  });
  it('a 450 "mailbox unavailable" (RFC 5321: busy, try later) is no address verdict', () => {
    const v = verdict({ diagnostic: '450 4.2.0 Requested mail action not taken: mailbox unavailable', status: '4.2.0', lastCommand: 'RCPT' });
    expect(v.reason).not.toBe('userunknown');
    expect(v.hard).toBe(false);
  });
});

describe('sender policy, content verdicts and server states', () => {
  it('a refusal of our envelope sender is flagged, category 4, with a cause that names it', () => {
    const v = verdict({ diagnostic: '550 5.1.8 <bounce@example.org>: Sender address rejected: Domain not found', status: '5.1.8', lastCommand: 'MAIL' });
    expect(v).toMatchObject({ reason: 'rejected', likelyFalsePositive: true, category: 4, hard: false });
    expect(v.evidence).toMatch(/^sender authentication\/policy: /);
  });
  it('a sender rejection that names a blocklist is the block', () => {
    const v = verdict({ diagnostic: '554 5.7.1 <bounce@example.org>: Sender address rejected: blocked using dbl.spamhaus.org', status: '5.7.1', lastCommand: 'MAIL' });
    expect(v).toMatchObject({ reason: 'blocked', likelyFalsePositive: true, category: 1 });
  });
  it.each(['504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname', '550 Bad HELO - Host impersonating [192.0.2.25]'])(
    'our HELO name (%s) is sender authentication, not the address',
    (diagnostic) => {
      const v = verdict({ diagnostic, status: '', lastCommand: 'RCPT' });
      expect(v).toMatchObject({ reason: 'requireptr', likelyFalsePositive: true, category: 4, hard: false });
    },
  );
  it('a bare 5.7.1 refusal after DATA is a filter verdict on the message', () => {
    const v = verdict({ diagnostic: '550 5.7.1 Requested action not taken: message refused', status: '5.7.1', lastCommand: 'DATA' });
    expect(v).toMatchObject({ likelyFalsePositive: true, hard: false });
    expect(v.evidence).toMatch(/after DATA/);
  });
  it('but not a temporary one (rspamd greylisting answers 451 4.7.1 Try again later)', () => {
    const v = verdict({ diagnostic: '451 4.7.1 Try again later', status: '4.7.1', lastCommand: 'DATA' });
    expect(v.likelyFalsePositive).toBe(false);
  });
  it('"system not accepting messages" (X.3.2) is a server state: notaccept, soft', () => {
    const v = verdict({ diagnostic: '554 mx.example.com not accepting messages', status: '', lastCommand: 'MAIL' });
    expect(v.hard).toBe(false);
  });
  it('RFC 7504 521 "does not accept mail" stays hard', () => {
    const v = verdict({ diagnostic: '521 5.3.2 <a@example.org>: Recipient address rejected: System not accepting network messages', status: '5.3.2', lastCommand: 'RCPT' });
    expect(v).toMatchObject({ reason: 'notaccept', hard: true });
  });
  it('551 "User not local" with an X.7 code is a relay refusal; with X.1.6 a moved address', () => {
    expect(verdict({ diagnostic: '551 5.7.1 User not local; please try <forward-path>', status: '5.7.1', lastCommand: 'RCPT' }).reason).toBe('norelaying');
    expect(verdict({ diagnostic: '551 5.1.6 User not local; please try <a@example.net>', status: '5.1.6', lastCommand: 'RCPT' })).toMatchObject({ reason: 'hasmoved', hard: true });
  });
});

describe('exceptions to the X.7 veto carry their own evidence', () => {
  it('a provider documents its own use of 5.7.1 (Yandex "No such user!")', () => {
    const v = verdict({ diagnostic: '550 5.7.1 No such user!', status: '5.7.1', lastCommand: 'RCPT', remoteMta: '[213.180.204.89]', recipient: 'a@yandex.ru' });
    expect(v).toMatchObject({ reason: 'userunknown', hard: true, rule: 'provider:yandex' });
  });
  it("a recipient-validation gateway's list says the address is invalid", () => {
    const v = verdict({ diagnostic: '550 5.7.1 <a@example.ch>: Recipient address rejected: User email address is marked as invalid', status: '5.7.1', lastCommand: 'RCPT' });
    expect(v).toMatchObject({ reason: 'userunknown', hard: true });
  });
  it('the same code with "user unknown" from anyone else stays soft', () => {
    const v = verdict({ diagnostic: '550 5.7.1 <a@example.ch>: Recipient address rejected: User unknown', status: '5.7.1', lastCommand: 'RCPT' });
    expect(v).toMatchObject({ reason: 'userunknown', hard: false });
  });
});

describe("a provider's rules read its reply before the explanation around it", () => {
  it('a later rule matching the reply wins over an earlier rule matching only the human part', () => {
    const v = verdict({
      diagnostic: '552 5.2.2 The email account that you tried to reach is over quota. - gsmtp',
      status: '5.2.2',
      lastCommand: 'RCPT',
      remoteMta: 'gmail-smtp-in.l.google.com',
      human: 'The email account that you tried to reach is disabled.',
    });
    expect(v).toMatchObject({ reason: 'mailboxfull', rule: 'provider:google' });
  });
  it('the human part decides when the reply says nothing the provider documents', () => {
    const v = verdict({ diagnostic: '550 user unknown', status: '', lastCommand: 'RCPT', recipient: 'a@ezweb.ne.jp', human: 'The user(s) account is disabled.' });
    expect(v).toMatchObject({ reason: 'suspend', rule: 'provider:kddi' });
  });
});

describe('the stage read from the reply when the reporter does not write it (OpenSMTPD: "<rcpt>: <reply>")', () => {
  it('Postfix\'s "Recipient address rejected:" answered RCPT TO: an account-closed reply is an address verdict', () => {
    const v = verdict({ diagnostic: '550 <a@example.org>: Recipient address rejected: Account Closed', status: '5.0.0', recipient: 'a@example.org' });
    expect(v).toMatchObject({ reason: 'userunknown', hard: true });
  });
  it('a reply that opens with an address in another domain answered MAIL FROM: our sender, not the recipient', () => {
    const v = verdict({ diagnostic: '550 5.7.1 <bounces+a=example.com@bounces.example.net>... Access denied', status: '5.7.1', recipient: 'a@example.com' });
    expect(v).toMatchObject({ reason: 'blocked', hard: false, likelyFalsePositive: true });
  });
  it('the same domain (an alias or a rewritten recipient) tells nothing: no stage', () => {
    const v = verdict({ diagnostic: '550 5.2.1 <other@example.jp>... User Unknown', status: '5.2.1', recipient: 'a@example.jp' });
    expect(v).toMatchObject({ reason: 'filtered', hard: false, likelyFalsePositive: false });
  });
  it('"user unknown" with no stage, no code and no such prefix stays soft (a filter may say it after DATA)', () => {
    const v = verdict({ diagnostic: 'a@example.org: 550 Unknown user', status: '5.0.0', recipient: 'a@example.org' });
    expect(v).toMatchObject({ reason: 'filtered', hard: false });
  });
  it('a bare 5.7.1 that says the message itself was refused is a filter verdict on the message', () => {
    const v = verdict({ diagnostic: '550 5.7.1 Requested action not taken: message refused', status: '5.7.1' });
    expect(v).toMatchObject({ likelyFalsePositive: true, hard: false });
    expect(v.evidence).toMatch(/message refused/);
  });
  it('but with the stage RCPT the same words stay the receiver\'s policy, unflagged', () => {
    const v = verdict({ diagnostic: '550 5.7.1 Requested action not taken: message refused', status: '5.7.1', lastCommand: 'RCPT' });
    expect(v).toMatchObject({ reason: 'policyviolation', likelyFalsePositive: false });
  });
});
