/**
 * x1 decoder: fixtures written for this project (test/fixtures/mta/x1/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { x1 } from '../../../src/decode/mta/x1.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  { file: '01-user.eml', index: 0, recipient: 'alice@example.org', status: '', replyCode: '', hint: '', diagnostic: 'User unknown' },
  { file: '01-user.eml', index: 1, recipient: 'bob@example.org', status: '', replyCode: '', hint: '', diagnostic: 'Mailbox full' },
  { file: '02-warning.eml', index: 0, recipient: 'carol@example.org', status: '', replyCode: '', hint: '', diagnostic: 'Connection timed out', action: 'delayed' },
];

fixtureSuite(x1, rows);
corpusSuite('x1');
