/**
 * verizon decoder: one row per fixture finding (test/fixtures/mta/verizon/), read through the real registry,
 * plus the corpus check against ../shared/sisimai/labels.json (skipped when ../shared is absent).
 */
import { describe, it } from 'vitest';
import { checkCorpus, checkRow, corpusCases, corpusPresent, type Row } from './group-b.js';

const rows: Row[] = [
  { file: '01-invalid-user', count: 1, i: 0, by: 'verizon', type: 'bounce', recipient: '5555550100@vtext.com', action: 'failed', status: '', replyCode: '550', diag: '550 Requested action not taken: no such user here', hint: 'userunknown' },
];

describe('verizon', () => {
  it.each(rows.map((r) => [`${r.file} #${r.i} ${r.recipient}`, r] as const))('%s', (_name, row) =>
    checkRow('verizon', row),
  );
});

describe.skipIf(!corpusPresent)('verizon corpus (needs ../shared/sisimai; absent here)', () => {
  it.each(corpusCases('lhost-verizon-'))('%s', (file, entries) => checkCorpus(file, entries));
});
