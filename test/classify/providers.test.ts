/**
 * Provider rules: one row per rule family, with the remote host that identifies the provider.
 * Columns: [provider, remote MTA, diagnostic, status, command, reason, hard, category, fp].
 */
import { describe, expect, it } from 'vitest';
import { MARK_KEYS, classify } from '../../src/classify/index.js';
import { PROVIDERS } from '../../src/classify/reasons.js';
import type { Reason } from '../../src/types.js';
import { finding, replyOf, report } from '../support/classify.js';

type Row = [string, string, string, string, string, Reason, boolean, number, boolean];

const rows: Row[] = [
  ['google', 'gmail-smtp-in.l.google.com', '550-5.7.1 This message is likely unsolicited mail. To reduce spam, it has been blocked. - gsmtp', '5.7.1', 'DATA', 'spamdetected', false, 1, true],
  ['google', 'aspmx.l.google.com', '550-5.7.1 Our system has detected that this message is\n550-5.7.1 likely suspicious due to the very low reputation of the sending IP', '5.7.1', 'DATA', 'badreputation', false, 1, true],
  ['google', 'aspmx.l.google.com', '550-5.7.28 There is an unusual rate of unsolicited mail originating from your IP address.', '5.7.28', 'DATA', 'blocked', false, 1, true],
  ['google', 'aspmx.l.google.com', '550-5.2.1 The email account that you tried to reach is inactive.', '5.2.1', 'RCPT', 'suspend', false, 3, false],
  ['google', 'aspmx.l.google.com', '550-5.7.25 The IP address sending this message does not have a\n550-5.7.25 PTR record setup', '5.7.25', 'CONN', 'requireptr', false, 4, true],
  ['google', 'aspmx.l.google.com', '552-5.7.0 This message was blocked because its content presents a potential\n552-5.7.0 security issue.', '5.7.0', 'DATA', 'policyviolation', false, 1, true],
  ['google', '', 'Your email to group team@example.com was rejected due to spam classification.', '5.0.0', '', 'spamdetected', false, 1, true],
  ['microsoft', 'example-com.mail.protection.outlook.com', '550 5.7.606 Access denied, banned sending IP [192.0.2.7].', '5.7.606', 'RCPT', 'blocked', false, 1, true],
  ['microsoft', 'example-com.mail.protection.outlook.com', '550 5.7.509 Access denied, sending domain [EXAMPLE.COM] does not pass DMARC verification', '5.7.509', 'DATA', 'authfailure', false, 4, true],
  ['microsoft', 'example-com.mail.protection.outlook.com', '550 5.4.1 Recipient address rejected: Access denied. AS(201806281)', '5.4.1', 'RCPT', 'userunknown', true, 2, false],
  ['microsoft', '', '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup', '5.1.10', '', 'userunknown', true, 2, false],
  ['microsoft', 'outlook-com.olc.protection.outlook.com', '451 4.7.650 The mail server [192.0.2.25] has been temporarily rate limited due to IP reputation.', '4.7.650', 'MAIL', 'badreputation', false, 1, true],
  ['microsoft', '', '550 5.4.316 Message expired, connection refused', '5.4.316', '', 'expired', false, 3, false],
  ['microsoft', 'nowhere-example.mail.protection.outlook.com', '550 5.4.310 DNS domain nowhere.example does not exist', '5.4.310', '', 'hostunknown', true, 2, false],
  ['microsoft', 'mx4.hotmail.com', "550 5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150).", '5.7.1', 'MAIL', 'blocked', false, 1, true],
  ['yahoo', 'mta6.am0.yahoodns.net', '421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints', '4.7.0', 'MAIL', 'badreputation', false, 1, true],
  ['yahoo', 'mta6.am0.yahoodns.net', '553 5.7.2 [TSS09] All messages from 192.0.2.1 will be permanently deferred; Retrying will NOT succeed.', '5.7.2', 'MAIL', 'blocked', false, 1, true],
  ['yahoo', 'mx-aol.mail.gm0.yahoodns.net', '554 5.7.9 Message not accepted for policy reasons. See https://postmaster.yahooinc.com/error-codes', '5.7.9', 'DATA', 'policyviolation', false, 1, true],
  ['yahoo', 'mta5.am0.yahoodns.net', "554 delivery error: dd This user doesn't have a yahoo.com account (someone@yahoo.com) [0]", '5.0.0', 'DATA', 'userunknown', true, 2, false],
  ['apple', 'mx01.mail.icloud.com', "554 5.7.1 Your message was rejected due to example.org's DMARC policy.", '5.7.1', 'DATA', 'authfailure', false, 4, true],
  ['apple', 'mx01.mail.icloud.com', '550 5.1.1 <gone@icloud.com>: inactive email address', '5.1.1', 'RCPT', 'userunknown', true, 2, false],
  ['apple', 'mx01.mail.icloud.com', '550 5.7.1 [CS01] Message rejected due to local policy.', '5.7.1', 'DATA', 'blocked', false, 1, true],
  ['kddi', 'lsean.ezweb.ne.jp', '550 : User unknown', '5.0.0', '', 'filtered', false, 4, false],
  ['kddi', 'lsean.ezweb.ne.jp', '550 <user@example.org>: User unknown', '5.0.0', '', 'userunknown', true, 2, false],
  ['nttdocomo', 'mfsmax.docomo.ne.jp', '550 Unknown user someone@docomo.ne.jp', '5.2.0', 'DATA', 'filtered', false, 4, false],
  ['nttdocomo', 'mfsmax.docomo.ne.jp', '550 Unknown user someone@docomo.ne.jp', '5.1.1', 'RCPT', 'userunknown', true, 2, false],
  ['nttdocomo', 'mfsmax.docomo.ne.jp', '552 Too many recipients', '5.0.0', 'RCPT', 'toomanyconn', false, 3, false],
  ['orange', 'smtp-in.orange.fr', '550 mwinf5c04 ME Adresse IP source bloquee pour incident de spam. OFR006_102 Ref http://csi.cloudmark.com/reset-request', '5.0.0', 'CONN', 'blocked', false, 1, true],
  ['orange', 'smtp-in.orange.fr', '550 5.2.0 Mail rejete. Mail rejected. OFR_506 [506]', '5.2.0', 'DATA', 'spamdetected', false, 1, true],
  ['orange', 'smtpz4.laposte.net', '550 5.5.0 Le compte du destinataire est bloque. The recipient account is blocked. LPN007_426', '5.5.0', 'RCPT', 'suspend', false, 3, false],
  ['orange', 'smtpz4.laposte.net', '550 5.5.0 Adresse destinataire invalide. Invalid recipient. LPN007_416', '5.5.0', 'RCPT', 'userunknown', true, 2, false],
  ['cox', 'cxr.mx.a.cloudfilter.net', '550 5.1.0 <bounce@example.com> sender rejected. AUP#CDRBL', '5.1.0', 'MAIL', 'blocked', false, 1, true],
  ['spectrum', 'dnvrco-cmedge01.email.rr.com', '550 5.1.0 <bounce@example.com> sender rejected. AUP#In-1310', '5.1.0', 'MAIL', 'toomanyconn', false, 3, false],
  ['comcast', 'mx1.comcast.net', '554 Comcast block for spam. See http://postmaster.comcast.net/smtp-error-codes.php#BL000010', '', 'CONN', 'blocked', false, 1, true],
  ['att', 'ff-ip4-mx-vip1.prodigy.net', '553 5.3.0 flpd575 DNSBL:RBL 521< 192.0.2.1 >_is_blocked.', '5.3.0', 'CONN', 'blocked', false, 1, true],
  ['tencent', 'mx3.qq.com', '550 Ip frequency limited. http://service.mail.qq.com/cgi-bin/help?subtype=1', '', 'MAIL', 'toomanyconn', false, 3, false],
  ['tencent', 'mx3.qq.com', '550 DMARC check failed. http://service.mail.qq.com/cgi-bin/help', '', 'DATA', 'authfailure', false, 4, true],
  ['zoho', 'smtpin.zoho.com', '554 5.7.7 Email policy violation detected', '5.7.7', 'DATA', 'policyviolation', false, 4, false],
  ['zoho', 'mx.zoho.com', '541 5.4.1 Mail rejected by destination domain', '5.4.1', 'DATA', 'rejected', false, 4, true],
  ['cloudflare', 'route1.mx.cloudflare.net', '421 4.3.0 Upstream error, please check https://developers.cloudflare.com/email-routing/postmaster', '4.3.0', 'DATA', 'systemerror', false, 4, false],
  ['facebook', 'mx.facebook.com', '550 5.1.1 RCP-P2 http://postmaster.facebook.com/response_codes#rcp Refused due to recipient preferences', '5.1.1', 'RCPT', 'filtered', false, 4, false],
  ['facebook', 'mx.facebook.com', '550 5.1.1 RCP-P1 http://postmaster.facebook.com/response_codes#rcp Recipient address does not exist', '5.1.1', 'RCPT', 'userunknown', true, 2, false],
  ['messagelabs', 'cluster1.eu.messagelabs.com', '550-Please turn on SMTP Authentication in your mail client.', '', 'MAIL', 'securityerror', false, 4, false],
  ['mimecast', 'eu-smtp-inbound-1.mimecast.com', '550 Envelope blocked - User Entry - https://community.mimecast.com/docs/DOC-1369#550', '', 'RCPT', 'blocked', false, 1, true],
  ['t-online', 'mx00.t-online.de', '554 IP=192.0.2.1 - A problem occurred. (Ask your postmaster for help or to contact tosa@rx.t-online.de to clarify.) (BL)', '5.5.0', 'CONN', 'blocked', false, 1, true],
  ['barracuda', 'd123.ess.barracudanetworks.com', '550 permanent failure for one or more recipients (someone@example.com:blocked)', '', 'DATA', 'blocked', false, 1, true],
  ['yahoo', 'mta7.am0.yahoodns.net', '421 4.7.0 [GL01] Message from (192.0.2.1) temporarily deferred - 4.16.50', '4.7.0', 'MAIL', 'speeding', false, 3, false],
  ['godaddy', 'smtp.secureserver.net', '552 This message has been rejected due to content judged to be spam by the internet community IB212', '', 'DATA', 'spamdetected', false, 1, true],
];

describe('classify: provider rules', () => {
  it.each(rows)('%s (%s): %s', (provider, remoteMta, diagnostic, status, lastCommand, reason, hard, category, fp) => {
    const f = finding({ diagnostic, status, lastCommand, remoteMta, replyCode: replyOf(diagnostic) });
    const v = classify(f, report([f]));
    expect({ reason: v.reason, hard: v.hard, category: v.category, fp: v.likelyFalsePositive }).toEqual({ reason, hard, category, fp });
    if (v.rule.startsWith('provider:')) expect(v.rule).toBe(`provider:${provider}`);
  });

  it('asks the reporting host only when no provider owns the remote host', () => {
    // An iCloud relay reporting an au rejection: the au rules decide, not Apple's.
    const f = finding({ diagnostic: '550 : User unknown', status: '5.0.0', remoteMta: 'lsean.ezweb.ne.jp', reportingMta: 'mr21p00im.me.com' });
    expect(classify(f, report([f])).rule).toBe('provider:kddi');
  });
});

describe('the provider-mark keyword scan never hides a mark', () => {
  const samples = [
    'see https://support.apple.com/en-us/102322',
    'abuse_rbl@abuse-att.net',
    'dnsbl:att 521< 192.0.2.1 >',
    'permanent failure for one or more recipients (x@example.org:blocked)',
    'see https://developers.cloudflare.com/email-routing/postmaster/',
    'bl000010 (cloudmark csi)',
    'rl000001',
    'https://www.cox.com/residential/support/email-error-codes.html',
    'aup#cxbl',
    'https://postmaster.facebook.com/',
    'ib212',
    '550 5.1.1 user unknown x12si gsmtp',
    'https://support.google.com/mail/?p=nosuchuser',
    'https://go.microsoft.com/fwlink/?linkid=526653',
    'resolver.adr.recipientnotfound',
    'resolver.rst.notauthorized',
    'x.prod.outlook.com',
    'https://community.mimecast.com/docs/doc-1369',
    'rejected by mimecast policy',
    'ofr006_102',
    'ofr_506',
    'lpn007_510',
    'https://www.spectrum.net/support/internet/understanding-email-error-codes',
    'aup#in-1310',
    'please ask your postmaster for help or to contact tosa@rx.t-online.de to clarify',
    'https://service.mail.qq.com/detail/0/310',
    'https://postmaster.yahooinc.com/error-codes',
    'senders.yahooinc.com',
  ];
  it.each(samples)('%s', (text) => {
    // Only samples that some provider's marks actually match say anything about the scan.
    expect(PROVIDERS.some((p) => p.marks?.test(text))).toBe(true);
    expect(MARK_KEYS.test(text)).toBe(true);
  });
});
