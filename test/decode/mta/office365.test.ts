/**
 * office365 decoder: one row per fixture finding (test/fixtures/mta/office365/), read through the real registry,
 * plus the corpus check against ../shared/sisimai/labels.json (skipped when ../shared is absent).
 */
import { describe, it } from 'vitest';
import { checkCorpus, checkRow, corpusCases, corpusPresent, type Row } from './group-b.js';

const rows: Row[] = [
  { file: '01-reported-error', count: 1, i: 0, by: 'office365', type: 'bounce', recipient: 'nobody@contoso.example.com', action: 'failed', status: '5.1.10', replyCode: '550', diag: '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup' },
  { file: '02-server-returned', count: 1, i: 0, by: 'office365', type: 'bounce', recipient: 'colleague@nodns.example', action: 'failed', status: '5.4.312', replyCode: '550', diag: '550 5.4.312 Message expired, DNS query failed(InfoNoRecords)' },
];

describe('office365', () => {
  it.each(rows.map((r) => [`${r.file} #${r.i} ${r.recipient}`, r] as const))('%s', (_name, row) =>
    checkRow('office365', row),
  );
});

describe.skipIf(!corpusPresent)('office365 corpus (needs ../shared/sisimai; absent here)', () => {
  it.each([...corpusCases('lhost-office365-'), ...corpusCases('rhost-microsoft-')])('%s', (file, entries) => checkCorpus(file, entries));
});
