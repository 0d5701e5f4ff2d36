/**
 * domino decoder: fixtures written for this project (test/fixtures/mta/domino/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { domino } from '../../../src/decode/mta/domino.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  { file: '01-directory.eml', index: 0, recipient: 'alice@corp.example.com', status: '', replyCode: '', hint: 'userunknown', diagnostic: 'not listed in Domino Directory' },
];

fixtureSuite(domino, rows);
corpusSuite('domino');
