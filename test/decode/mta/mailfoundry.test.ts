/**
 * mailfoundry decoder: fixtures written for this project (test/fixtures/mta/mailfoundry/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { mailfoundry } from '../../../src/decode/mta/mailfoundry.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  ['01-rcpt.eml', 0, 'alice@example.org', '5.1.1', '550', '', '550 5.1.1 <alice@example.org> recipient rejected'],
];

fixtureSuite(mailfoundry, rows);
corpusSuite('mailfoundry');
