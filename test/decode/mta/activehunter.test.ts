/**
 * activehunter decoder: fixtures written for this project (test/fixtures/mta/activehunter/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { activehunter } from '../../../src/decode/mta/activehunter.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  ['01-rcpt.eml', 0, 'alice@gw.example.ac.jp', '5.1.1', '550', '', 'Recipient address rejected: unknown local user'],
];

fixtureSuite(activehunter, rows);
corpusSuite('activehunter');
