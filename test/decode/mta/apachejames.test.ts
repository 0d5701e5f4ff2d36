/**
 * apachejames decoder: fixtures written for this project (test/fixtures/mta/apachejames/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { apachejames } from '../../../src/decode/mta/apachejames.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  ['01-user.eml', 0, 'alice@james.example.org', '', '550', '', '550 Requested action not taken: mailbox unavailable'],
];

fixtureSuite(apachejames, rows);
corpusSuite('apachejames');
