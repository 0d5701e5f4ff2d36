/**
 * x2 decoder: fixtures written for this project (test/fixtures/mta/x2/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { x2 } from '../../../src/decode/mta/x2.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  { file: '01-blocks.eml', index: 0, recipient: 'alice@portal.example.jp', status: '', replyCode: '', hint: '', diagnostic: "This user doesn't have a portal.example.jp account" },
  { file: '01-blocks.eml', index: 1, recipient: 'bob@example.org', status: '', replyCode: '', hint: 'expired', diagnostic: 'unable to connect to remote server' },
  { file: '02-notice.eml', index: 0, recipient: 'carol@example.org', status: '5.3.4', replyCode: '552', hint: '', diagnostic: '552 5.3.4 Message size exceeds fixed limit' },
];

fixtureSuite(x2, rows);
corpusSuite('x2');
