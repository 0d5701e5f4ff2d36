/**
 * zoho decoder: one row per fixture finding (test/fixtures/mta/zoho/), read through the real registry,
 * plus the corpus check against ../shared/sisimai/labels.json (skipped when ../shared is absent).
 */
import { describe, it } from 'vitest';
import { checkCorpus, checkRow, corpusCases, corpusPresent, type Row } from './group-b.js';

const rows: Row[] = [
  { file: '01-two-recipients', count: 2, i: 0, by: 'zoho', type: 'bounce', recipient: 'omar@example.com', action: 'failed', status: '5.1.1', replyCode: '550', diag: '550 5.1.1 <omar@example.com>... User Unknown' },
  { file: '01-two-recipients', count: 2, i: 1, by: 'zoho', type: 'bounce', recipient: 'pia@example.com', action: 'failed', status: '5.2.2', replyCode: '552', diag: '552 5.2.2 <pia@example.com>... Mailbox Full' },
  { file: '02-host-unreachable', count: 1, i: 0, by: 'zoho', type: 'bounce', recipient: 'quentin@down.example.jp', action: 'failed', status: '', replyCode: '421', diag: '421 Host not reachable.', hint: 'expired' },
  { file: '03-delay', count: 1, i: 0, by: 'zoho', type: 'delayed', recipient: 'rita@slow.example.co.jp', action: 'delayed', status: '', replyCode: '421', diag: '421 Host not reachable.' },
  { file: '04-newer-layout', count: 1, i: 0, by: 'zoho', type: 'bounce', recipient: 'sven@example.se', action: 'failed', status: '5.1.1', replyCode: '550', diag: '550 5.1.1 <sven@example.se>: Recipient address rejected: User unknown in local recipient table' },
];

describe('zoho', () => {
  it.each(rows.map((r) => [`${r.file} #${r.i} ${r.recipient}`, r] as const))('%s', (_name, row) =>
    checkRow('zoho', row),
  );
});

describe.skipIf(!corpusPresent)('zoho corpus (needs ../shared/sisimai; absent here)', () => {
  it.each(corpusCases('lhost-zoho-'))('%s', (file, entries) => checkCorpus(file, entries));
});
