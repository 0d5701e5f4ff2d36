/**
 * mxlogic decoder: fixtures written for this project (test/fixtures/mta/mxlogic/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { mxlogic } from '../../../src/decode/mta/mxlogic.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  { file: '01-line.eml', index: 0, recipient: 'alice@example.org', status: '5.1.1', replyCode: '550', hint: '', diagnostic: 'User unknown in relay recipient table' },
];

fixtureSuite(mxlogic, rows);
corpusSuite('mxlogic');
