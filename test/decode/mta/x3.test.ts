/**
 * x3 decoder: fixtures written for this project (test/fixtures/mta/x3/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { x3 } from '../../../src/decode/mta/x3.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  ['01-technical.eml', 0, 'alice@example.org', '5.1.1', '550', '', '550 5.1.1 <alice@example.org>... mailbox unknown'],
];

fixtureSuite(x3, rows);
corpusSuite('x3');
