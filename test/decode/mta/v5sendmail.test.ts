/**
 * v5sendmail decoder: fixtures written for this project (test/fixtures/mta/v5sendmail/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { v5sendmail } from '../../../src/decode/mta/v5sendmail.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  { file: '01-transcript.eml', index: 0, recipient: 'alice@example.org', status: '', replyCode: '550', hint: '', diagnostic: '550 <alice@example.org>... Addressee unknown' },
  { file: '01-transcript.eml', index: 1, recipient: 'bob@nowhere.example', status: '', replyCode: '550', hint: 'hostunknown', diagnostic: '550 Host unknown (Authoritative answer from name server)' },
  // No address in the transcript: the returned message's To: names the recipient.
  { file: '02-days.eml', index: 0, recipient: 'carol@example.org', status: '', replyCode: '', hint: 'expired', diagnostic: 'Deferred: Connection refused by example.org' },
];

fixtureSuite(v5sendmail, rows);
corpusSuite('v5sendmail');
