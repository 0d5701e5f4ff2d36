/**
 * mfilter decoder: fixtures written for this project (test/fixtures/mta/mfilter/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { mfilter } from '../../../src/decode/mta/mfilter.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  // One server message for every listed address.
  ['01-server.eml', 0, 'alice@example.co.jp', '5.7.1', '550', '', 'Message rejected as spam by content filter'],
  ['01-server.eml', 1, 'bob@example.co.jp', '5.7.1', '550', '', 'Message rejected as spam by content filter'],
];

fixtureSuite(mfilter, rows);
corpusSuite('mfilter');
