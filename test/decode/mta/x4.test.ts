/**
 * x4 decoder: fixtures written for this project (test/fixtures/mta/x4/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { x4 } from '../../../src/decode/mta/x4.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  ['01-child.eml', 0, 'alice@example.org', '', '', 'mailboxfull', "because the user's mailfolder is full"],
];

fixtureSuite(x4, rows);
corpusSuite('x4');
