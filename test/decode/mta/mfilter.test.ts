/**
 * mfilter decoder: fixtures written for this project (test/fixtures/mta/mfilter/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { mfilter } from '../../../src/decode/mta/mfilter.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  // One server message for every listed address.
  { file: '01-server.eml', index: 0, recipient: 'alice@example.co.jp', status: '5.7.1', replyCode: '550', hint: '', diagnostic: 'Message rejected as spam by content filter' },
  { file: '01-server.eml', index: 1, recipient: 'bob@example.co.jp', status: '5.7.1', replyCode: '550', hint: '', diagnostic: 'Message rejected as spam by content filter' },
];

fixtureSuite(mfilter, rows);
corpusSuite('mfilter');
