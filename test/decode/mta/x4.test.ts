/**
 * x4 decoder: fixtures written for this project (test/fixtures/mta/x4/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { x4 } from '../../../src/decode/mta/x4.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  { file: '01-child.eml', index: 0, recipient: 'alice@example.org', status: '', replyCode: '', hint: 'mailboxfull', diagnostic: "because the user's mailfolder is full" },
];

fixtureSuite(x4, rows);
corpusSuite('x4');
