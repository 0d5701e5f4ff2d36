/**
 * x6 decoder: fixtures written for this project (test/fixtures/mta/x6/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { x6 } from '../../../src/decode/mta/x6.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  { file: '01-rcpt.eml', index: 0, recipient: 'alice@example.org', status: '5.1.1', replyCode: '550', hint: '', diagnostic: '550 5.1.1 No such user' },
  { file: '01-rcpt.eml', index: 1, recipient: 'bob@example.org', status: '4.2.2', replyCode: '452', hint: '', diagnostic: '452 4.2.2 Over quota' },
];

fixtureSuite(x6, rows);
corpusSuite('x6');
