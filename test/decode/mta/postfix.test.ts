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
  { file: '01-text.eml', index: 0, recipient: 'alice@example.org', status: '5.1.1', replyCode: '550', hint: '', diagnostic: 'Recipient address rejected: User unknown in virtual mailbox table' },
  { file: '01-text.eml', index: 1, recipient: 'bob@nowhere.example', status: '', replyCode: '', hint: 'hostunknown', diagnostic: 'Host or domain name not found' },
  { file: '01-text.eml', index: 2, recipient: 'team@example.net', status: '5.7.1', replyCode: '554', hint: '', diagnostic: 'blocked using zen.example.org' },
  { file: '02-transcript.eml', index: 0, recipient: 'dave@example.net', status: '4.3.1', replyCode: '452', hint: '', diagnostic: '452 4.3.1 Insufficient system storage' },
  { file: '03-dsn.eml', index: 0, recipient: 'henry@example.org', status: '5.2.2', replyCode: '552', hint: '', diagnostic: 'Recipient address rejected: mailbox full' },
  // The warning template: same entries, action delayed.
  { file: '04-delayed.eml', index: 0, recipient: 'ivan@example.org', status: '', replyCode: '', hint: '', diagnostic: 'Connection timed out', action: 'delayed' },
  // bounce_template_file: subject, From's name, every paragraph the administrator's. The entries
  // are Postfix's; the alias we sent to ("expanded from") is the recipient.
  { file: '05-custom-template.eml', index: 0, recipient: 'anna.berg@example.org', status: '5.1.1', replyCode: '550', hint: '', diagnostic: 'User unknown in local recipient table' },
  { file: '05-custom-template.eml', index: 1, recipient: 'vertrieb@example.org', status: '5.2.2', replyCode: '552', hint: '', diagnostic: 'Mailbox full' },
  // A custom delay template: only the DSN part says "Action: delayed".
  { file: '06-delayed-dsn.eml', index: 0, recipient: 'ole@slow.example', status: '', replyCode: '', hint: '', diagnostic: 'Connection timed out', action: 'delayed' },
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
