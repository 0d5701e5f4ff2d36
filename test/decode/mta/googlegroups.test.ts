/**
 * googlegroups decoder: one row per fixture finding (test/fixtures/mta/googlegroups/), read through the real registry,
 * plus the corpus check against ../shared/sisimai/labels.json (skipped when ../shared is absent).
 */
import { describe, it } from 'vitest';
import { checkCorpus, checkRow, corpusCases, corpusPresent, type Row } from './group-b.js';

const rows: Row[] = [
  { file: '01-no-permission', count: 1, i: 0, by: 'googlegroups', type: 'bounce', recipient: 'dev-team@googlegroups.com', action: 'failed', status: '', replyCode: '', diag: 'the group you tried to contact (dev-team) may not exist', hint: 'rejected' },
  { file: '02-french', count: 1, i: 0, by: 'googlegroups', type: 'bounce', recipient: 'club-lecture@googlegroups.com', action: 'failed', status: '', replyCode: '', diag: 'le groupe que vous avez essayé de contacter (club-lecture)', hint: 'rejected' },
  // A plain Gmail bounce with X-Failed-Recipients is not a Groups refusal.
  { file: '03-not-groups', count: 1, i: 0, by: 'gmail', type: 'bounce', recipient: 'someone@example.net', action: 'failed', status: '5.1.1', replyCode: '550', diag: '550 5.1.1 No such user' },
];

describe('googlegroups', () => {
  it.each(rows.map((r) => [`${r.file} #${r.i} ${r.recipient}`, r] as const))('%s', (_name, row) =>
    checkRow('googlegroups', row),
  );
});

describe.skipIf(!corpusPresent)('googlegroups corpus (needs ../shared/sisimai; absent here)', () => {
  it.each(corpusCases('lhost-googlegroups-'))('%s', (file, entries) => checkCorpus(file, entries));
});
