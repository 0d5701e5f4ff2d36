/**
 * postfix decoder: fixtures written for this project (test/fixtures/mta/postfix/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { postfix } from '../../../src/decode/mta/postfix.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  ['01-text.eml', 0, 'alice@example.org', '5.1.1', '550', '', 'Recipient address rejected: User unknown in virtual mailbox table'],
  ['01-text.eml', 1, 'bob@nowhere.example', '', '', 'hostunknown', 'Host or domain name not found'],
  ['01-text.eml', 2, 'carol@example.net', '5.7.1', '554', '', 'blocked using zen.example.org'],
  ['02-transcript.eml', 0, 'dave@example.net', '4.3.1', '452', '', '452 4.3.1 Insufficient system storage'],
];

fixtureSuite(postfix, rows);
corpusSuite('postfix');
