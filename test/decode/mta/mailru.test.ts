/**
 * mailru decoder: one row per fixture finding (test/fixtures/mta/mailru/), read through the real registry,
 * plus the corpus check against ../shared/sisimai/labels.json (skipped when ../shared is absent).
 */
import { describe, it } from 'vitest';
import { checkCorpus, checkRow, corpusCases, corpusPresent, type Row } from './group-b.js';

const rows: Row[] = [
  { file: '01-two-recipients', count: 2, i: 0, by: 'mailru', type: 'bounce', recipient: 'anna@example.org', action: 'failed', status: '5.2.2', replyCode: '552', diag: '552 5.2.2 <anna@example.org>: Mailbox full', lastCommand: 'RCPT', remoteMta: 'mx.example.org' },
  { file: '01-two-recipients', count: 2, i: 1, by: 'mailru', type: 'bounce', recipient: 'boris@example.org', action: 'failed', status: '5.1.1', replyCode: '550', diag: '550 5.1.1 <boris@example.org>: No such user', lastCommand: 'RCPT' },
  { file: '02-retry-timeout', count: 1, i: 0, by: 'mailru', type: 'bounce', recipient: 'olga@slow.example.net', action: 'failed', status: '', replyCode: '', diag: 'retry timeout exceeded', hint: 'expired' },
  { file: '03-unrouteable', count: 1, i: 0, by: 'mailru', type: 'bounce', recipient: 'petr@nowhere.example', action: 'failed', status: '', replyCode: '', diag: 'Unrouteable address', hint: 'hostunknown' },
  { file: '04-end-of-data', count: 1, i: 0, by: 'mailru', type: 'bounce', recipient: 'zoya@example.com', action: 'failed', status: '5.7.1', replyCode: '554', diag: '554 5.7.1 Message rejected as spam by content filter', lastCommand: 'DATA', remoteMta: 'mx2.example.com' },
];

describe('mailru', () => {
  it.each(rows.map((r) => [`${r.file} #${r.i} ${r.recipient}`, r] as const))('%s', (_name, row) =>
    checkRow('mailru', row),
  );
});

describe.skipIf(!corpusPresent)('mailru corpus (needs ../shared/sisimai; absent here)', () => {
  it.each(corpusCases('lhost-mailru-'))('%s', (file, entries) => checkCorpus(file, entries));
});
