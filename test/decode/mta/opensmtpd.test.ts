/**
 * opensmtpd decoder: fixtures written for this project (test/fixtures/mta/opensmtpd/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { opensmtpd } from '../../../src/decode/mta/opensmtpd.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  { file: '01-error.eml', index: 0, recipient: 'alice@example.org', status: '5.1.1', replyCode: '550', hint: '', diagnostic: 'Recipient address rejected: unknown user' },
  { file: '01-error.eml', index: 1, recipient: 'bob@nowhere.example', status: '', replyCode: '', hint: 'hostunknown', diagnostic: 'Domain does not exist' },
  { file: '02-warning.eml', index: 0, recipient: 'carol@example.org', status: '', replyCode: '', hint: 'networkerror', diagnostic: 'Network error on destination MXs', action: 'delayed' },
  // The warning template for an expired envelope: the message is gone, a final failure.
  { file: '03-expired-dsn.eml', index: 0, recipient: 'rolf@gone.example', status: '', replyCode: '', hint: 'expired', diagnostic: 'Envelope expired', action: 'failed' },
];

fixtureSuite(opensmtpd, rows);
corpusSuite('opensmtpd');
