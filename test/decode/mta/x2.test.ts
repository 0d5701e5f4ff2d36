/**
 * x2 decoder: fixtures written for this project (test/fixtures/mta/x2/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { x2 } from '../../../src/decode/mta/x2.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  ['01-blocks.eml', 0, 'alice@portal.example.jp', '', '', '', "This user doesn't have a portal.example.jp account"],
  ['01-blocks.eml', 1, 'bob@example.org', '', '', 'expired', 'unable to connect to remote server'],
  ['02-notice.eml', 0, 'carol@example.org', '5.3.4', '552', '', '552 5.3.4 Message size exceeds fixed limit'],
];

fixtureSuite(x2, rows);
corpusSuite('x2');
