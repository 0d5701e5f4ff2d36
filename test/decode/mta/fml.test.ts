/**
 * fml decoder: fixtures written for this project (test/fixtures/mta/fml/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { fml } from '../../../src/decode/mta/fml.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  // The list address is what refused our message.
  { file: '01-not-member.eml', index: 0, recipient: 'cats@lists.example.org', status: '', replyCode: '', hint: 'rejected', diagnostic: 'You are not a member of this mailing list' },
];

fixtureSuite(fml, rows);
corpusSuite('fml');
