/**
 * yahoo decoder: one row per fixture finding (test/fixtures/mta/yahoo/), read through the real registry,
 * plus the corpus check against ../shared/sisimai/labels.json (skipped when ../shared is absent).
 */
import { describe, it } from 'vitest';
import { checkCorpus, checkRow, corpusCases, corpusPresent, type Row } from './group-b.js';

const rows: Row[] = [
  { file: '01-mailbox-full', count: 1, i: 0, by: 'yahoo', type: 'bounce', recipient: 'quinn@example.com', action: 'failed', status: '5.2.2', replyCode: '552', diag: '552 5.2.2 <quinn@example.com>... Mailbox quota exceeded', lastCommand: 'RCPT' },
  { file: '02-two-recipients', count: 2, i: 0, by: 'yahoo', type: 'bounce', recipient: 'sam@example.jp', action: 'failed', status: '5.1.8', replyCode: '501', diag: '501 5.1.8 Sender address rejected', lastCommand: 'MAIL' },
  { file: '02-two-recipients', count: 2, i: 1, by: 'yahoo', type: 'bounce', recipient: 'tom@example.jp', action: 'failed', status: '5.1.1', replyCode: '550', diag: '550 5.1.1 <tom@example.jp>... User Unknown', lastCommand: '' },
  { file: '03-no-mx', count: 1, i: 0, by: 'yahoo', type: 'bounce', recipient: 'victor@nomx.example', action: 'failed', status: '', replyCode: '', diag: 'No mx record found for domain=nomx.example' },
  { file: '04-qmail-stages', count: 2, i: 0, by: 'yahoo', type: 'bounce', recipient: 'wendy@example.net', action: 'failed', status: '5.1.1', replyCode: '550', diag: '550 5.1.1 <wendy@example.net>: Recipient address rejected: User unknown in virtual alias table', lastCommand: 'RCPT', remoteMta: '192.0.2.45' },
  { file: '04-qmail-stages', count: 2, i: 1, by: 'yahoo', type: 'bounce', recipient: 'xavier@example.net', action: 'failed', status: '5.7.1', replyCode: '553', diag: '553 5.7.1 <uma@yahoo.com>: Sender address rejected: Access denied', lastCommand: 'MAIL', remoteMta: '192.0.2.45' },
];

describe('yahoo', () => {
  it.each(rows.map((r) => [`${r.file} #${r.i} ${r.recipient}`, r] as const))('%s', (_name, row) =>
    checkRow('yahoo', row),
  );
});

describe.skipIf(!corpusPresent)('yahoo corpus (needs ../shared/sisimai; absent here)', () => {
  it.each(corpusCases('lhost-yahoo-'))('%s', (file, entries) => checkCorpus(file, entries));
});
