/**
 * biglobe decoder: fixtures written for this project (test/fixtures/mta/biglobe/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { biglobe } from '../../../src/decode/mta/biglobe.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  { file: '01-full.eml', index: 0, recipient: 'alice@mail.biglobe.ne.jp', status: '', replyCode: '', hint: 'mailboxfull', diagnostic: "recipient's mailbox exceeded the local limit" },
];

fixtureSuite(biglobe, rows);
corpusSuite('biglobe');
