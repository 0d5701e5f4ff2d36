/**
 * exim decoder: fixtures written for this project (test/fixtures/mta/exim/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { exim } from '../../../src/decode/mta/exim.js';
import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../../src/decode/index.js';
import { parseMessage } from '../../../src/parse/message.js';
import { classify } from '../../../src/classify/index.js';
import { corpusSuite, fixture, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  // A multi-line reply is joined without its repeated "550-5.1.1" prefixes.
  { file: '01-rcpt.eml', index: 0, recipient: 'alice@example.org', status: '5.1.1', replyCode: '550', hint: '', diagnostic: '550 5.1.1 The mailbox you tried to reach does not exist here. Please check' },
  { file: '01-rcpt.eml', index: 1, recipient: 'bob@example.org', status: '5.7.1', replyCode: '554', hint: '', diagnostic: 'your IP is listed at bl.example.net' },
  { file: '02-local.eml', index: 0, recipient: 'carol@example.net', status: '', replyCode: '', hint: 'expired', diagnostic: 'retry timeout exceeded' },
  // "save to" and "pipe to" deliveries are reported for the address that generated them.
  { file: '02-local.eml', index: 1, recipient: 'dave@example.net', status: '', replyCode: '', hint: 'mailboxfull', diagnostic: 'mailbox is full' },
  { file: '02-local.eml', index: 2, recipient: 'erin@example.net', status: '', replyCode: '', hint: 'mailererror', diagnostic: 'address_pipe transport returned 69' },
  { file: '03-delayed.eml', index: 0, recipient: 'frank@example.org', status: '4.3.0', replyCode: '451', hint: '', diagnostic: '451 4.3.0 Temporary lookup failure', action: 'delayed' },
  { file: '04-dsn-local.eml', index: 0, recipient: 'grace@example.net', status: '', replyCode: '', hint: 'mailboxfull', diagnostic: 'mailbox is full' },
  { file: '05-generated.eml', index: 0, recipient: 'liam@example.org', status: '5.3.4', replyCode: '552', hint: '', diagnostic: '552 5.3.4 Message size exceeds fixed maximum message size' },
  // bounce_message_file: subject and every sentence the administrator's; X-Failed-Recipients, the
  // message id and the address blocks are Exim's.
  { file: '06-custom-bounce-file.eml', index: 0, recipient: 'maria@example.net', status: '5.1.1', replyCode: '550', hint: '', diagnostic: 'Recipient address rejected: User unknown' },
  { file: '06-custom-bounce-file.eml', index: 1, recipient: 'jun@example.jp', status: '', replyCode: '', hint: 'hostunknown', diagnostic: 'Unrouteable address' },
  // Older Exims' warning: "The address to which the message has not yet been delivered is:".
  { file: '07-old-warning.eml', index: 0, recipient: 'sven@lagging.example', status: '4.3.0', replyCode: '451', hint: '', diagnostic: '451 4.3.0 Temporary lookup failure', action: 'delayed' },
  // warn_message_file: no sentence of Exim's left; "Delay reason:" and no X-Failed-Recipients.
  { file: '08-custom-warning.eml', index: 0, recipient: 'pia@busy.example', status: '4.2.2', replyCode: '452', hint: '', diagnostic: 'Mailbox over quota', action: 'delayed' },
];

fixtureSuite(exim, rows);
corpusSuite('exim');

describe('exim enrich', () => {
  it('fills the diagnostic an Exim DSN leaves out (the classifier reads its words)', async () => {
    const report = decodeMessage(await parseMessage(fixture('exim', '04-dsn-local.eml')));
    expect(report.decodedBy).toBe('rfc3464');
    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]).toMatchObject({ recipient: 'grace@example.net', diagnostic: 'mailbox is full: retry timeout exceeded' });
    expect(classify(report.findings[0]!, report).reason).toBe('mailboxfull');
  });
});
