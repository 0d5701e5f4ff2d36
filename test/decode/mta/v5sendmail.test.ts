/**
 * v5sendmail decoder: fixtures written for this project (test/fixtures/mta/v5sendmail/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { v5sendmail } from '../../../src/decode/mta/v5sendmail.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  ['01-transcript.eml', 0, 'alice@example.org', '', '550', '', '550 <alice@example.org>... Addressee unknown'],
  ['01-transcript.eml', 1, 'bob@nowhere.example', '', '550', 'hostunknown', '550 Host unknown (Authoritative answer from name server)'],
  // No address in the transcript: the returned message's To: names the recipient.
  ['02-days.eml', 0, 'carol@example.org', '', '', 'expired', 'Deferred: Connection refused by example.org'],
];

fixtureSuite(v5sendmail, rows);
corpusSuite('v5sendmail');
