/**
 * mailfoundry decoder: fixtures written for this project (test/fixtures/mta/mailfoundry/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { mailfoundry } from '../../../src/decode/mta/mailfoundry.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  { file: '01-rcpt.eml', index: 0, recipient: 'alice@example.org', status: '5.1.1', replyCode: '550', hint: '', diagnostic: '550 5.1.1 <alice@example.org> recipient rejected' },
];

fixtureSuite(mailfoundry, rows);
corpusSuite('mailfoundry');
