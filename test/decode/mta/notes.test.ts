/**
 * notes decoder: fixtures written for this project (test/fixtures/mta/notes/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { notes } from '../../../src/decode/mta/notes.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  ['01-nab.eml', 0, 'alice@notes.example.com', '', '', 'userunknown', 'User not listed in public Name & Address Book'],
  // ISO-2022-JP text: "not in the directory list".
  ['02-japanese.eml', 0, 'bob@notes.example.co.jp', '', '', 'userunknown', 'ディレクトリのリストにありません'],
];

fixtureSuite(notes, rows);
corpusSuite('notes');
