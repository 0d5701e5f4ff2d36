/**
 * mimecast decoder: one row per fixture finding (test/fixtures/mta/mimecast/), read through the real registry,
 * plus the corpus check against ../shared/sisimai/labels.json (skipped when ../shared is absent).
 */
import { describe, it } from 'vitest';
import { checkCorpus, checkRow, corpusCases, corpusPresent, type Row } from './group-b.js';

const rows: Row[] = [
  { file: '01-text-only', count: 1, i: 0, by: 'mimecast', type: 'bounce', recipient: 'nobody@partner.example.com', action: 'failed', status: '5.4.1', replyCode: '550', diag: '550 5.4.1 Recipient address rejected: Access denied.' },
  { file: '02-problem-only', count: 1, i: 0, by: 'mimecast', type: 'bounce', recipient: 'late@partner.example.com', action: 'failed', status: '', replyCode: '', diag: 'Timeout waiting for remote server response' },
];

describe('mimecast', () => {
  it.each(rows.map((r) => [`${r.file} #${r.i} ${r.recipient}`, r] as const))('%s', (_name, row) =>
    checkRow('mimecast', row),
  );
});

describe.skipIf(!corpusPresent)('mimecast corpus (needs ../shared/sisimai; absent here)', () => {
  it.each(corpusCases('lhost-mimecast-'))('%s', (file, entries) => checkCorpus(file, entries));
});
