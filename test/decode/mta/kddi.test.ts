/**
 * kddi decoder: fixtures written for this project (test/fixtures/mta/kddi/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { kddi } from '../../../src/decode/mta/kddi.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  { file: '01-full.eml', index: 0, recipient: 'alice@x123.dion.ne.jp', status: '', replyCode: '', hint: 'mailboxfull', diagnostic: 'As their mailbox is full.' },
];

fixtureSuite(kddi, rows);
corpusSuite('kddi');
