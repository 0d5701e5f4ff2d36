/**
 * courier decoder: fixtures written for this project (test/fixtures/mta/courier/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { courier } from '../../../src/decode/mta/courier.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  { file: '01-text.eml', index: 0, recipient: 'alice@example.org', status: '5.1.1', replyCode: '550', hint: '', diagnostic: '550 5.1.1 <alice@example.org>: mailbox unavailable' },
  { file: '01-text.eml', index: 1, recipient: 'bob@nowhere.example', status: '', replyCode: '', hint: 'hostunknown', diagnostic: 'No such domain.' },
  // A template without Courier's banner: the "<addr>:" block with host and transcript lines.
  { file: '02-custom-template.eml', index: 0, recipient: 'eva@remote.example', status: '5.1.1', replyCode: '550', hint: '', diagnostic: 'Recipient address rejected: User unknown' },
];

fixtureSuite(courier, rows);
corpusSuite('courier');
