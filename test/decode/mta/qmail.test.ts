/**
 * qmail decoder: fixtures written for this project (test/fixtures/mta/qmail/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { qmail } from '../../../src/decode/mta/qmail.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  ['01-user-unknown.eml', 0, 'alice@example.org', '5.1.1', '550', '', 'Recipient address rejected: no such mailbox'],
  ['01-user-unknown.eml', 1, 'bob@example.org', '5.7.1', '553', '', '553 5.7.1 Sender domain has no valid SPF record'],
  ['02-no-host.eml', 0, 'carol@nowhere.example', '5.1.2', '', 'hostunknown', "couldn't find any host named nowhere.example"],
  ['02-no-host.eml', 1, 'dave@example.net', '4.4.1', '', 'networkerror', "wasn't able to establish an SMTP connection"],
  // A remote answer outranks qmail's queue-lifetime sentence: no 'expired' hint here.
  ['02-no-host.eml', 2, 'erin@example.net', '4.7.0', '421', '', '421 4.7.0 Too many connections'],
  ['03-expired.eml', 0, 'frank@example.net', '', '', 'expired', 'in the queue too long'],
  ['04-multiline.eml', 0, 'judy@example.org', '5.7.1', '554', '', '554 5.7.1 This message was classified as bulk mail and refused by policy'],
  ['04-multiline.eml', 1, 'karl@example.net', '5.4.6', '', '', 'This message is looping'],
  // Another intro and subject; the QSBMF paragraphs and separator are qmail-send's.
  ['05-custom-intro.eml', 0, 'ines@isp.example', '5.1.1', '', 'userunknown', 'no mailbox here by that name'],
  ['05-custom-intro.eml', 1, 'bruno@far.example', '5.7.1', '550', '', 'Relay access denied'],
];

fixtureSuite(qmail, rows);
corpusSuite('qmail');
