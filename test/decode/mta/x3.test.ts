/**
 * x3 decoder: fixtures written for this project (test/fixtures/mta/x3/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { x3 } from '../../../src/decode/mta/x3.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  { file: '01-technical.eml', index: 0, recipient: 'alice@example.org', status: '5.1.1', replyCode: '550', hint: '', diagnostic: '550 5.1.1 <alice@example.org>... mailbox unknown' },
];

fixtureSuite(x3, rows);
corpusSuite('x3');
