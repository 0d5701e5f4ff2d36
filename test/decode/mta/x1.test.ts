/**
 * x1 decoder: fixtures written for this project (test/fixtures/mta/x1/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { x1 } from '../../../src/decode/mta/x1.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  ['01-user.eml', 0, 'alice@example.org', '', '', '', 'User unknown'],
  ['01-user.eml', 1, 'bob@example.org', '', '', '', 'Mailbox full'],
  ['02-warning.eml', 0, 'carol@example.org', '', '', '', 'Connection timed out', 'delayed'],
];

fixtureSuite(x1, rows);
corpusSuite('x1');
