/**
 * groupwise decoder: fixtures written for this project from GWIA's notice layout
 * (test/fixtures/mta/groupwise/); no corpus samples of this format exist here.
 */
import { groupwise } from '../../../src/decode/mta/groupwise.js';
import { fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  ['01-two-recipients.eml', 0, 'r.haas@westside.example', '', '', '', 'user not found'],
  ['01-two-recipients.eml', 1, 'team-sales@westside.example', '', '', '', 'host not found'],
  // No GroupWise header or From: GWIA's sentence and its indented list; the reason wraps.
  ['02-banner-only-structure.eml', 0, 'l.moreau@eastside.example', '5.7.1', '554', '', '554 5.7.1 Message rejected as spam by content filter'],
];

fixtureSuite(groupwise, rows);
