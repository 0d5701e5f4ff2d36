/**
 * exim decoder: fixtures written for this project (test/fixtures/mta/exim/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { exim } from '../../../src/decode/mta/exim.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  // A multi-line reply is joined without its repeated "550-5.1.1" prefixes.
  ['01-rcpt.eml', 0, 'alice@example.org', '5.1.1', '550', '', '550 5.1.1 The mailbox you tried to reach does not exist here. Please check'],
  ['01-rcpt.eml', 1, 'bob@example.org', '5.7.1', '554', '', 'your IP is listed at bl.example.net'],
  ['02-local.eml', 0, 'carol@example.net', '', '', 'expired', 'retry timeout exceeded'],
  // "save to" and "pipe to" deliveries are reported for the address that generated them.
  ['02-local.eml', 1, 'dave@example.net', '', '', 'mailboxfull', 'mailbox is full'],
  ['02-local.eml', 2, 'erin@example.net', '', '', 'mailererror', 'address_pipe transport returned 69'],
  ['03-delayed.eml', 0, 'frank@example.org', '4.3.0', '451', '', '451 4.3.0 Temporary lookup failure', 'delayed'],
];

fixtureSuite(exim, rows);
corpusSuite('exim');
