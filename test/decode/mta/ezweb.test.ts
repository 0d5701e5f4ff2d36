/**
 * ezweb decoder: fixtures written for this project (test/fixtures/mta/ezweb/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { ezweb } from '../../../src/decode/mta/ezweb.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  { file: '01-transcript.eml', index: 0, recipient: 'alice@ezweb.ne.jp', status: '', replyCode: '550', hint: '', diagnostic: '550 <alice@ezweb.ne.jp>: User unknown' },
  { file: '02-timeout.eml', index: 0, recipient: 'bob@ezweb.ne.jp', status: '', replyCode: '', hint: 'expired', diagnostic: 'Remote host is not responding.' },
  { file: '03-filter.eml', index: 0, recipient: 'carol@ezweb.ne.jp', status: '', replyCode: '', hint: 'filtered', diagnostic: 'rejected by a remote mail server' },
];

fixtureSuite(ezweb, rows);
corpusSuite('ezweb');
