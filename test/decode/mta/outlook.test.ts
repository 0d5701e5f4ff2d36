/**
 * outlook decoder: one row per fixture finding (test/fixtures/mta/outlook/), read through the real registry,
 * plus the corpus check against ../shared/sisimai/labels.json (skipped when ../shared is absent).
 */
import { describe, it } from 'vitest';
import { checkCorpus, checkRow, corpusCases, corpusPresent, type Row } from './group-b.js';

const rows: Row[] = [
  { file: '01-text-only', count: 2, i: 0, by: 'outlook', type: 'bounce', recipient: 'friend@offline.example.com', action: 'failed', status: '', replyCode: '', diag: 'due to being unable to connect successfully', hint: 'expired' },
  { file: '01-text-only', count: 2, i: 1, by: 'outlook', type: 'bounce', recipient: 'other@offline.example.com', action: 'failed', status: '', replyCode: '', diag: 'due to being unable to connect successfully', hint: 'expired' },
  // The DSN has no Diagnostic-Code; enrich adds Hotmail's sentence.
  { file: '02-dsn-no-diagnostic', count: 1, i: 0, by: 'rfc3464', type: 'bounce', recipient: 'friend@offline.example.com', action: 'failed', status: '4.4.7', replyCode: '', diag: 'Unable to deliver message to the following recipients', hint: 'expired' },
];

describe('outlook', () => {
  it.each(rows.map((r) => [`${r.file} #${r.i} ${r.recipient}`, r] as const))('%s', (_name, row) =>
    checkRow('outlook', row),
  );
});

describe.skipIf(!corpusPresent)('outlook corpus (needs ../shared/sisimai; absent here)', () => {
  it.each([...corpusCases('lhost-outlook-'), ...corpusCases('rhost-outlook-')])('%s', (file, entries) => checkCorpus(file, entries));
});
