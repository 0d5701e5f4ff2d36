/**
 * apachejames decoder: fixtures written for this project (test/fixtures/mta/apachejames/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { apachejames } from '../../../src/decode/mta/apachejames.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  { file: '01-user.eml', index: 0, recipient: 'alice@james.example.org', status: '', replyCode: '550', hint: '', diagnostic: '550 Requested action not taken: mailbox unavailable' },
];

fixtureSuite(apachejames, rows);
corpusSuite('apachejames');
