/**
 * imailserver decoder: fixtures written for this project (test/fixtures/mta/imailserver/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { imailserver } from '../../../src/decode/mta/imailserver.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  { file: '01-keys.eml', index: 0, recipient: 'alice@imail.example.org', status: '', replyCode: '', hint: 'userunknown', diagnostic: 'Unknown user' },
  { file: '01-keys.eml', index: 1, recipient: 'bob@imail.example.org', status: '', replyCode: '', hint: 'mailboxfull', diagnostic: 'User mailbox exceeds allowed size' },
  { file: '02-response.eml', index: 0, recipient: 'carol@example.net', status: '5.7.1', replyCode: '550', hint: '', diagnostic: '550 5.7.1 Message rejected: URL in body is listed at uribl.example.org' },
];

fixtureSuite(imailserver, rows);
corpusSuite('imailserver');
