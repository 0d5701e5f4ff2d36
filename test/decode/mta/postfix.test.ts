/**
 * postfix decoder: fixtures written for this project (test/fixtures/mta/postfix/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { postfix } from '../../../src/decode/mta/postfix.js';
import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../../src/decode/index.js';
import { parseMessage } from '../../../src/parse/message.js';
import { corpusSuite, fixture, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  ['01-text.eml', 0, 'alice@example.org', '5.1.1', '550', '', 'Recipient address rejected: User unknown in virtual mailbox table'],
  ['01-text.eml', 1, 'bob@nowhere.example', '', '', 'hostunknown', 'Host or domain name not found'],
  ['01-text.eml', 2, 'team@example.net', '5.7.1', '554', '', 'blocked using zen.example.org'],
  ['02-transcript.eml', 0, 'dave@example.net', '4.3.1', '452', '', '452 4.3.1 Insufficient system storage'],
  ['03-dsn.eml', 0, 'henry@example.org', '5.2.2', '552', '', 'Recipient address rejected: mailbox full'],
  // The warning template: same entries, action delayed.
  ['04-delayed.eml', 0, 'ivan@example.org', '', '', '', 'Connection timed out', 'delayed'],
  // bounce_template_file: subject, From's name, every paragraph the administrator's. The entries
  // are Postfix's; the alias we sent to ("expanded from") is the recipient.
  ['05-custom-template.eml', 0, 'anna.berg@example.org', '5.1.1', '550', '', 'User unknown in local recipient table'],
  ['05-custom-template.eml', 1, 'vertrieb@example.org', '5.2.2', '552', '', 'Mailbox full'],
  // A custom delay template: only the DSN part says "Action: delayed".
  ['06-delayed-dsn.eml', 0, 'ole@slow.example', '', '', '', 'Connection timed out', 'delayed'],
];

fixtureSuite(postfix, rows);
corpusSuite('postfix');

describe('postfix enrich', () => {
  it('adds the SMTP command that only the text names', async () => {
    const report = decodeMessage(await parseMessage(fixture('postfix', '03-dsn.eml')));
    expect(report.decodedBy).toBe('rfc3464');
    expect(report.findings[0]).toMatchObject({ recipient: 'henry@example.org', status: '5.2.2', lastCommand: 'RCPT' });
  });
});
