/**
 * qmail decoder: fixtures written for this project (test/fixtures/mta/qmail/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { qmail } from '../../../src/decode/mta/qmail.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  { file: '01-user-unknown.eml', index: 0, recipient: 'alice@example.org', status: '5.1.1', replyCode: '550', hint: '', diagnostic: 'Recipient address rejected: no such mailbox' },
  { file: '01-user-unknown.eml', index: 1, recipient: 'bob@example.org', status: '5.7.1', replyCode: '553', hint: '', diagnostic: '553 5.7.1 Sender domain has no valid SPF record' },
  { file: '02-no-host.eml', index: 0, recipient: 'carol@nowhere.example', status: '5.1.2', replyCode: '', hint: 'hostunknown', diagnostic: "couldn't find any host named nowhere.example" },
  { file: '02-no-host.eml', index: 1, recipient: 'dave@example.net', status: '4.4.1', replyCode: '', hint: 'networkerror', diagnostic: "wasn't able to establish an SMTP connection" },
  // A remote answer outranks qmail's queue-lifetime sentence: no 'expired' hint here.
  { file: '02-no-host.eml', index: 2, recipient: 'erin@example.net', status: '4.7.0', replyCode: '421', hint: '', diagnostic: '421 4.7.0 Too many connections' },
  { file: '03-expired.eml', index: 0, recipient: 'frank@example.net', status: '', replyCode: '', hint: 'expired', diagnostic: 'in the queue too long' },
  { file: '04-multiline.eml', index: 0, recipient: 'judy@example.org', status: '5.7.1', replyCode: '554', hint: '', diagnostic: '554 5.7.1 This message was classified as bulk mail and refused by policy' },
  { file: '04-multiline.eml', index: 1, recipient: 'karl@example.net', status: '5.4.6', replyCode: '', hint: '', diagnostic: 'This message is looping' },
  // Another intro and subject; the QSBMF paragraphs and separator are qmail-send's.
  { file: '05-custom-intro.eml', index: 0, recipient: 'ines@isp.example', status: '5.1.1', replyCode: '', hint: 'userunknown', diagnostic: 'no mailbox here by that name' },
  { file: '05-custom-intro.eml', index: 1, recipient: 'bruno@far.example', status: '5.7.1', replyCode: '550', hint: '', diagnostic: 'Relay access denied' },
];

fixtureSuite(qmail, rows);
corpusSuite('qmail');
