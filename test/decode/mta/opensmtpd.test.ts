/**
 * opensmtpd decoder: fixtures written for this project (test/fixtures/mta/opensmtpd/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { opensmtpd } from '../../../src/decode/mta/opensmtpd.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  ['01-error.eml', 0, 'alice@example.org', '5.1.1', '550', '', 'Recipient address rejected: unknown user'],
  ['01-error.eml', 1, 'bob@nowhere.example', '', '', 'hostunknown', 'Domain does not exist'],
  ['02-warning.eml', 0, 'carol@example.org', '', '', 'networkerror', 'Network error on destination MXs', 'delayed'],
  // The warning template for an expired envelope: the message is gone, a final failure.
  ['03-expired-dsn.eml', 0, 'rolf@gone.example', '', '', 'expired', 'Envelope expired', 'failed'],
];

fixtureSuite(opensmtpd, rows);
corpusSuite('opensmtpd');
