/**
 * ezweb decoder: fixtures written for this project (test/fixtures/mta/ezweb/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { ezweb } from '../../../src/decode/mta/ezweb.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  ['01-transcript.eml', 0, 'alice@ezweb.ne.jp', '', '550', '', '550 <alice@ezweb.ne.jp>: User unknown'],
  ['02-timeout.eml', 0, 'bob@ezweb.ne.jp', '', '', 'expired', 'Remote host is not responding.'],
  ['03-filter.eml', 0, 'carol@ezweb.ne.jp', '', '', 'filtered', 'rejected by a remote mail server'],
];

fixtureSuite(ezweb, rows);
corpusSuite('ezweb');
