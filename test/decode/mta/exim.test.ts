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
  ['01-rcpt.eml', 0, 'alice@example.org', '5.1.1', '550', '', '550 5.1.1 The mailbox you tried to reach does not exist here. Please check'],
  ['01-rcpt.eml', 1, 'bob@example.org', '5.7.1', '554', '', 'your IP is listed at bl.example.net'],
  ['02-local.eml', 0, 'carol@example.net', '', '', 'expired', 'retry timeout exceeded'],
  // "save to" and "pipe to" deliveries are reported for the address that generated them.
  ['02-local.eml', 1, 'dave@example.net', '', '', 'mailboxfull', 'mailbox is full'],
  ['02-local.eml', 2, 'erin@example.net', '', '', 'mailererror', 'address_pipe transport returned 69'],
  ['03-delayed.eml', 0, 'frank@example.org', '4.3.0', '451', '', '451 4.3.0 Temporary lookup failure', 'delayed'],
  ['04-dsn-local.eml', 0, 'grace@example.net', '', '', 'mailboxfull', 'mailbox is full'],
  ['05-generated.eml', 0, 'liam@example.org', '5.3.4', '552', '', '552 5.3.4 Message size exceeds fixed maximum message size'],
  // bounce_message_file: subject and every sentence the administrator's; X-Failed-Recipients, the
  // message id and the address blocks are Exim's.
  ['06-custom-bounce-file.eml', 0, 'maria@example.net', '5.1.1', '550', '', 'Recipient address rejected: User unknown'],
  ['06-custom-bounce-file.eml', 1, 'jun@example.jp', '', '', 'hostunknown', 'Unrouteable address'],
  // Older Exims' warning: "The address to which the message has not yet been delivered is:".
  ['07-old-warning.eml', 0, 'sven@lagging.example', '4.3.0', '451', '', '451 4.3.0 Temporary lookup failure', 'delayed'],
  // warn_message_file: no sentence of Exim's left; "Delay reason:" and no X-Failed-Recipients.
  ['08-custom-warning.eml', 0, 'pia@busy.example', '4.2.2', '452', '', 'Mailbox over quota', 'delayed'],
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
