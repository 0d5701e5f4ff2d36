/**
 * dragonfly decoder: fixtures written for this project (test/fixtures/mta/dragonfly/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { dragonfly } from '../../../src/decode/mta/dragonfly.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  { file: '01-data.eml', index: 0, recipient: 'alice@example.org', status: '5.7.1', replyCode: '554', hint: '', diagnostic: '554 5.7.1 The message was rejected because it contains prohibited content' },
  { file: '02-expired.eml', index: 0, recipient: 'bob@example.net', status: '', replyCode: '', hint: 'expired', diagnostic: 'Could not deliver for the last 345600 seconds' },
];

fixtureSuite(dragonfly, rows);
corpusSuite('dragonfly');
