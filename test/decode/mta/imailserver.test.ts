/**
 * imailserver decoder: fixtures written for this project (test/fixtures/mta/imailserver/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { imailserver } from '../../../src/decode/mta/imailserver.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  ['01-keys.eml', 0, 'alice@imail.example.org', '', '', 'userunknown', 'Unknown user'],
  ['01-keys.eml', 1, 'bob@imail.example.org', '', '', 'mailboxfull', 'User mailbox exceeds allowed size'],
  ['02-response.eml', 0, 'carol@example.net', '5.7.1', '550', '', '550 5.7.1 Message rejected: URL in body is listed at uribl.example.org'],
];

fixtureSuite(imailserver, rows);
corpusSuite('imailserver');
