/**
 * kddi decoder: fixtures written for this project (test/fixtures/mta/kddi/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { kddi } from '../../../src/decode/mta/kddi.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  ['01-full.eml', 0, 'alice@x123.dion.ne.jp', '', '', 'mailboxfull', 'As their mailbox is full.'],
];

fixtureSuite(kddi, rows);
corpusSuite('kddi');
