/**
 * x6 decoder: fixtures written for this project (test/fixtures/mta/x6/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { x6 } from '../../../src/decode/mta/x6.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  ['01-rcpt.eml', 0, 'alice@example.org', '5.1.1', '550', '', '550 5.1.1 No such user'],
  ['01-rcpt.eml', 1, 'bob@example.org', '4.2.2', '452', '', '452 4.2.2 Over quota'],
];

fixtureSuite(x6, rows);
corpusSuite('x6');
