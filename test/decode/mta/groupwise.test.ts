/**
 * groupwise decoder: fixtures written for this project from GWIA's notice layout
 * (test/fixtures/mta/groupwise/); no corpus samples of this format exist here.
 */
import { groupwise } from '../../../src/decode/mta/groupwise.js';
import { fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  { file: '01-two-recipients.eml', index: 0, recipient: 'r.haas@westside.example', status: '', replyCode: '', hint: '', diagnostic: 'user not found' },
  { file: '01-two-recipients.eml', index: 1, recipient: 'team-sales@westside.example', status: '', replyCode: '', hint: '', diagnostic: 'host not found' },
  // No GroupWise header or From: GWIA's sentence and its indented list; the reason wraps.
  { file: '02-banner-only-structure.eml', index: 0, recipient: 'l.moreau@eastside.example', status: '5.7.1', replyCode: '554', hint: '', diagnostic: '554 5.7.1 Message rejected as spam by content filter' },
];

fixtureSuite(groupwise, rows);
