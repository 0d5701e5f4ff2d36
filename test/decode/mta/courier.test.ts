/**
 * courier decoder: fixtures written for this project (test/fixtures/mta/courier/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { courier } from '../../../src/decode/mta/courier.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  ['01-text.eml', 0, 'alice@example.org', '5.1.1', '550', '', '550 5.1.1 <alice@example.org>: mailbox unavailable'],
  ['01-text.eml', 1, 'bob@nowhere.example', '', '', 'hostunknown', 'No such domain.'],
  // A template without Courier's banner: the "<addr>:" block with host and transcript lines.
  ['02-custom-template.eml', 0, 'eva@remote.example', '5.1.1', '550', '', 'Recipient address rejected: User unknown'],
];

fixtureSuite(courier, rows);
corpusSuite('courier');
