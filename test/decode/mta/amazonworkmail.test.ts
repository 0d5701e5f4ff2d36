/**
 * amazonworkmail decoder: one row per fixture finding (test/fixtures/mta/amazonworkmail/), read through the real registry,
 * plus the corpus check against ../shared/sisimai/labels.json (skipped when ../shared is absent).
 */
import { describe, it } from 'vitest';
import { checkCorpus, checkRow, corpusCases, corpusPresent, type Row } from './group-b.js';

const rows: Row[] = [
  { file: '01-user-unknown', count: 2, i: 0, by: 'amazonworkmail', type: 'bounce', recipient: 'nobody@example.jp', action: 'failed', status: '5.1.1', replyCode: '550', diag: '550 5.1.1 <nobody@example.jp>... User Unknown' },
  { file: '01-user-unknown', count: 2, i: 1, by: 'amazonworkmail', type: 'bounce', recipient: 'full@example.jp', action: 'failed', status: '5.2.2', replyCode: '552', diag: '552 5.2.2 <full@example.jp>... Mailbox Full' },
];

describe('amazonworkmail', () => {
  it.each(rows.map((r) => [`${r.file} #${r.i} ${r.recipient}`, r] as const))('%s', (_name, row) =>
    checkRow('amazonworkmail', row),
  );
});

describe.skipIf(!corpusPresent)('amazonworkmail corpus (needs ../shared/sisimai; absent here)', () => {
  it.each(corpusCases('lhost-amazonworkmail-'))('%s', (file, entries) => checkCorpus(file, entries));
});
