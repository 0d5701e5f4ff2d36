/**
 * domino decoder: fixtures written for this project (test/fixtures/mta/domino/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { domino } from '../../../src/decode/mta/domino.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  ['01-directory.eml', 0, 'alice@corp.example.com', '', '', 'userunknown', 'not listed in Domino Directory'],
];

fixtureSuite(domino, rows);
corpusSuite('domino');
