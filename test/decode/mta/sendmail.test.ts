/**
 * sendmail decoder: fixtures written for this project (test/fixtures/mta/sendmail/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { sendmail } from '../../../src/decode/mta/sendmail.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  // The remote reply ("<<< ...") is the diagnostic, not Sendmail's own summary line.
  { file: '01-transcript.eml', index: 0, recipient: 'alice@example.org', status: '5.1.1', replyCode: '550', hint: '', diagnostic: '550 5.1.1 <alice@example.org>... No such user' },
  { file: '01-transcript.eml', index: 1, recipient: 'bob@example.org', status: '5.2.2', replyCode: '552', hint: '', diagnostic: '552 5.2.2 Mailbox over quota' },
  { file: '02-warning.eml', index: 0, recipient: 'carol@example.org', status: '', replyCode: '', hint: '', diagnostic: 'Deferred: Connection timed out', action: 'delayed' },
];

fixtureSuite(sendmail, rows);
corpusSuite('sendmail', {
  // "Fwd: Returned mail: see transcript for details" from a person, the bounce quoted inline: a
  // forward is never a bounce (issue 13), though the label reads the quoted report.
  'lhost-sendmail-14.eml': 'a person forwarding a bounce inline',
});
