/**
 * trendmicro decoder: fixtures written for this project (test/fixtures/mta/trendmicro/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { trendmicro } from '../../../src/decode/mta/trendmicro.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  { file: '01-address.eml', index: 0, recipient: 'alice@gw.example.jp', status: '', replyCode: '', hint: 'userunknown', diagnostic: 'Please check if address is correct' },
];

fixtureSuite(trendmicro, rows);
corpusSuite('trendmicro');
