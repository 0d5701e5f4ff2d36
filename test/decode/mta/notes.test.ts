/**
 * notes decoder: fixtures written for this project (test/fixtures/mta/notes/), then the labelled
 * corpus samples of the format (skipped when ../shared is absent).
 */
import { notes } from '../../../src/decode/mta/notes.js';
import { corpusSuite, fixtureSuite, type Row } from './group-a.js';

const rows: Row[] = [
  { file: '01-nab.eml', index: 0, recipient: 'alice@notes.example.com', status: '', replyCode: '', hint: 'userunknown', diagnostic: 'User not listed in public Name & Address Book' },
  // ISO-2022-JP text: "not in the directory list".
  { file: '02-japanese.eml', index: 0, recipient: 'bob@notes.example.co.jp', status: '', replyCode: '', hint: 'userunknown', diagnostic: 'ディレクトリのリストにありません' },
];

fixtureSuite(notes, rows);
corpusSuite('notes');
