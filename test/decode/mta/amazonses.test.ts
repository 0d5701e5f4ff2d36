/**
 * amazonses decoder: one row per fixture finding (test/fixtures/mta/amazonses/), read through the real registry,
 * plus the corpus check against ../shared/sisimai/labels.json (skipped when ../shared is absent).
 */
import { describe, it } from 'vitest';
import { checkCorpus, checkRow, corpusCases, corpusPresent, type Row } from './group-b.js';

const rows: Row[] = [
  { file: '01-sns-bounce', count: 2, i: 0, by: 'amazonses', type: 'bounce', recipient: 'ghost@example.net', action: 'failed', status: '5.1.1', replyCode: '550', diag: '550 5.1.1 <ghost@example.net>: Recipient address rejected: User unknown', hint: 'userunknown' },
  { file: '01-sns-bounce', count: 2, i: 1, by: 'amazonses', type: 'bounce', recipient: 'ghost2@example.net', action: 'failed', status: '5.1.1', replyCode: '550', diag: '550 5.1.1 no mailbox here', hint: 'userunknown' },
  { file: '02-sns-envelope-complaint', count: 1, i: 0, by: 'amazonses', type: 'feedback', recipient: 'reader@example.org', action: '', status: '', replyCode: '', diag: '', hint: 'feedback' },
  { file: '03-sns-delivery', count: 1, i: 0, by: 'amazonses', type: 'delivered', recipient: 'happy@example.org', action: 'delivered', status: '2.6.0', replyCode: '250', diag: '250 2.6.0 Message received', hint: 'delivered' },
  // SES's DSN says 5.0.0 and wraps the remote reply: enrich keeps the remote's code and words.
  { file: '04-dsn-wrapped', count: 1, i: 0, by: 'rfc3464', type: 'bounce', recipient: 'full@example.jp', action: 'failed', status: '5.2.2', replyCode: '552', diag: '552 5.2.2 <full@example.jp>... Mailbox Full' },
  { file: '05-ses-text-expired', count: 1, i: 0, by: 'amazonses', type: 'bounce', recipient: 'slow@example.org', action: 'failed', status: '4.4.2', replyCode: '421', diag: 'Message expired: unable to deliver in 840 minutes.', hint: 'expired' },
];

describe('amazonses', () => {
  it.each(rows.map((r) => [`${r.file} #${r.i} ${r.recipient}`, r] as const))('%s', (_name, row) =>
    checkRow('amazonses', row),
  );
});

describe.skipIf(!corpusPresent)('amazonses corpus (needs ../shared/sisimai; absent here)', () => {
  it.each([...corpusCases('lhost-amazonses-'), ...corpusCases('lhost-receivingses-')])('%s', (file, entries) => checkCorpus(file, entries));
});
