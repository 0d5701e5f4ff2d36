/**
 * sendmail decoder: fixtures written for this project (test/fixtures/mta/sendmail/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { sendmail } from '../../../src/decode/mta/sendmail.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  // The remote reply ("<<< ...") is the diagnostic, not Sendmail's own summary line.
  ['01-transcript.eml', 0, 'alice@example.org', '5.1.1', '550', '', '550 5.1.1 <alice@example.org>... No such user'],
  ['01-transcript.eml', 1, 'bob@example.org', '5.2.2', '552', '', '552 5.2.2 Mailbox over quota'],
  ['02-warning.eml', 0, 'carol@example.org', '', '', '', 'Deferred: Connection timed out', 'delayed'],
];

fixtureSuite(sendmail, rows);
corpusSuite('sendmail', {
  // "Fwd: Returned mail: see transcript for details" from a person, the bounce quoted inline: a
  // forward is never a bounce (issue 13), though the label reads the quoted report.
  'lhost-sendmail-14.eml': 'a person forwarding a bounce inline',
});
