/**
 * gmx decoder: one row per fixture finding (test/fixtures/mta/gmx/), read through the real registry,
 * plus the corpus check against ../shared/sisimai/labels.json (skipped when ../shared is absent).
 */
import { describe, it } from 'vitest';
import { checkCorpus, checkRow, corpusCases, corpusPresent, type Row } from './group-b.js';

const rows: Row[] = [
  { file: '01-two-recipients', count: 2, i: 0, by: 'gmx', type: 'bounce', recipient: 'max@example.de', action: 'failed', status: '5.1.1', replyCode: '', diag: '5.1.1 <max@example.de>... User Unknown', lastCommand: 'RCPT', remoteMta: 'mx.example.de' },
  { file: '01-two-recipients', count: 2, i: 1, by: 'gmx', type: 'bounce', recipient: 'nina@example.de', action: 'failed', status: '5.2.2', replyCode: '552', diag: '552 5.2.2 <nina@example.de>... Mailbox Full' },
  { file: '02-retry-timeout', count: 1, i: 0, by: 'gmx', type: 'bounce', recipient: 'otto@down.example.de', action: 'failed', status: '', replyCode: '', diag: 'delivery retry timeout exceeded', hint: 'expired' },
];

describe('gmx', () => {
  it.each(rows.map((r) => [`${r.file} #${r.i} ${r.recipient}`, r] as const))('%s', (_name, row) =>
    checkRow('gmx', row),
  );
});

describe.skipIf(!corpusPresent)('gmx corpus (needs ../shared/sisimai; absent here)', () => {
  it.each(corpusCases('lhost-gmx-'))('%s', (file, entries) => checkCorpus(file, entries));
});
