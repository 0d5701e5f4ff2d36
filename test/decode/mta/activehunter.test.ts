/**
 * activehunter decoder: fixtures written for this project (test/fixtures/mta/activehunter/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { activehunter } from '../../../src/decode/mta/activehunter.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  { file: '01-rcpt.eml', index: 0, recipient: 'alice@gw.example.ac.jp', status: '5.1.1', replyCode: '550', hint: '', diagnostic: 'Recipient address rejected: unknown local user' },
];

fixtureSuite(activehunter, rows);
corpusSuite('activehunter');
