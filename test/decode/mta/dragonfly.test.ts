/**
 * dragonfly decoder: fixtures written for this project (test/fixtures/mta/dragonfly/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { dragonfly } from '../../../src/decode/mta/dragonfly.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  ['01-data.eml', 0, 'alice@example.org', '5.7.1', '554', '', '554 5.7.1 The message was rejected because it contains prohibited content'],
  ['02-expired.eml', 0, 'bob@example.net', '', '', 'expired', 'Could not deliver for the last 345600 seconds'],
];

fixtureSuite(dragonfly, rows);
corpusSuite('dragonfly');
