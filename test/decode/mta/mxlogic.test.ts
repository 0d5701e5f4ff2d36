/**
 * mxlogic decoder: fixtures written for this project (test/fixtures/mta/mxlogic/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { mxlogic } from '../../../src/decode/mta/mxlogic.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  ['01-line.eml', 0, 'alice@example.org', '5.1.1', '550', '', 'User unknown in relay recipient table'],
];

fixtureSuite(mxlogic, rows);
corpusSuite('mxlogic');
