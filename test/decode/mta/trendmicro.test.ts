/**
 * trendmicro decoder: fixtures written for this project (test/fixtures/mta/trendmicro/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { trendmicro } from '../../../src/decode/mta/trendmicro.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  ['01-address.eml', 0, 'alice@gw.example.jp', '', '', 'userunknown', 'Please check if address is correct'],
];

fixtureSuite(trendmicro, rows);
corpusSuite('trendmicro');
