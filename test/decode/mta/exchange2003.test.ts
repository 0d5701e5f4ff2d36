/**
 * exchange2003 decoder: one row per fixture finding (test/fixtures/mta/exchange2003/), read through the real registry,
 * plus the corpus check against ../shared/sisimai/labels.json (skipped when ../shared is absent).
 */
import { describe, it } from 'vitest';
import { checkCorpus, checkRow, corpusCases, corpusPresent, type Row } from './group-b.js';

const rows: Row[] = [
  { file: '01-unknown-recipient', count: 2, i: 0, by: 'exchange2003', type: 'bounce', recipient: 'jsmith@corp.example.com', action: 'failed', status: '', replyCode: '', diag: 'The recipient name is not recognized MSEXCH:IMS:Corp:Site:EXCHANGE 0 (000C05A6) Unknown Recipient', hint: 'userunknown' },
  { file: '01-unknown-recipient', count: 2, i: 1, by: 'exchange2003', type: 'bounce', recipient: 'mjones@corp.example.com', action: 'failed', status: '', replyCode: '', diag: '(000C05A6) Unknown Recipient', hint: 'userunknown' },
  { file: '02-imc', count: 1, i: 0, by: 'exchange2003', type: 'bounce', recipient: 'team@old.example.com', action: 'failed', status: '', replyCode: '', diag: 'The message exceeds the maximum message size allowed' },
  { file: '03-smtp-connector', count: 1, i: 0, by: 'exchange2003', type: 'bounce', recipient: 'buyer@shop.example.org', action: 'failed', status: '5.1.1', replyCode: '', diag: 'The e-mail account does not exist at the organization', remoteMta: 'mx.shop.example.org' },
];

describe('exchange2003', () => {
  it.each(rows.map((r) => [`${r.file} #${r.i} ${r.recipient}`, r] as const))('%s', (_name, row) =>
    checkRow('exchange2003', row),
  );
});

describe.skipIf(!corpusPresent)('exchange2003 corpus (needs ../shared/sisimai; absent here)', () => {
  it.each(corpusCases('lhost-exchange2003-'))('%s', (file, entries) => checkCorpus(file, entries));
});
