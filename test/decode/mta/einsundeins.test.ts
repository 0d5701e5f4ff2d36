/**
 * einsundeins decoder: one row per fixture finding (test/fixtures/mta/einsundeins/), read through the real registry,
 * plus the corpus check against ../shared/sisimai/labels.json (skipped when ../shared is absent).
 */
import { describe, it } from 'vitest';
import { checkCorpus, checkRow, corpusCases, corpusPresent, type Row } from './group-b.js';

const rows: Row[] = [
  { file: '01-rejected-data', count: 1, i: 0, by: 'einsundeins', type: 'bounce', recipient: 'client@example.fr', action: 'failed', status: '5.7.1', replyCode: '550', diag: '550 5.7.1 Message refused: spam content detected [REF 1234]', lastCommand: 'DATA', remoteMta: 'smtp-in.example.fr' },
  { file: '02-rcpt', count: 1, i: 0, by: 'einsundeins', type: 'bounce', recipient: 'gone@example.at', action: 'failed', status: '5.1.1', replyCode: '550', diag: 'Recipient address rejected: User unknown', lastCommand: 'RCPT', remoteMta: 'mx.example.at' },
];

describe('einsundeins', () => {
  it.each(rows.map((r) => [`${r.file} #${r.i} ${r.recipient}`, r] as const))('%s', (_name, row) =>
    checkRow('einsundeins', row),
  );
});

describe.skipIf(!corpusPresent)('einsundeins corpus (needs ../shared/sisimai; absent here)', () => {
  it.each(corpusCases('lhost-einsundeins-'))('%s', (file, entries) => checkCorpus(file, entries));
});
