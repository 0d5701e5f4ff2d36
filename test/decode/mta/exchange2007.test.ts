/**
 * exchange2007 decoder: one row per fixture finding (test/fixtures/mta/exchange2007/), read through the real registry,
 * plus the corpus check against ../shared/sisimai/labels.json (skipped when ../shared is absent).
 */
import { describe, it } from 'vitest';
import { checkCorpus, checkRow, corpusCases, corpusPresent, type Row } from './group-b.js';

const rows: Row[] = [
  { file: '01-text-two-recipients', count: 2, i: 0, by: 'exchange2007', type: 'bounce', recipient: 'ann@corp.example.com', action: 'failed', status: '5.1.1', replyCode: '550', diag: '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found' },
  { file: '01-text-two-recipients', count: 2, i: 1, by: 'exchange2007', type: 'bounce', recipient: 'bo@corp.example.com', action: 'failed', status: '5.2.2', replyCode: '550', diag: '550 5.2.2 STOREDRV.Deliver; recipient mailbox is full' },
  { file: '02-italian', count: 1, i: 0, by: 'exchange2007', type: 'bounce', recipient: 'rossi@azienda.example.it', action: 'failed', status: '5.1.1', replyCode: '550', diag: '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found' },
  // An Exchange hub relays the remote reply inside its own "#< #5.0.0 smtp;...> #SMTP#" wrapper.
  { file: '04-relay-quoted', count: 1, i: 0, by: 'exchange2007', type: 'bounce', recipient: 'buyer@shop.example.org', action: 'failed', status: '5.1.1', replyCode: '550', diag: '550 5.1.1 <buyer@shop.example.org>... User unknown' },
  // The DSN says 5.0.0 and nothing else; enrich takes 5.7.606 and the remote's words from the text.
  // The delay notice ("Delivery is delayed to these recipients or groups:"): delayed, not failed.
  { file: '05-delayed', count: 1, i: 0, by: 'exchange2007', type: 'delayed', recipient: 'nora.lind@corp.example', action: 'delayed', status: '4.4.7', replyCode: '400', diag: '400 4.4.7 Message delayed' },
  { file: '03-dsn-generic-status', count: 1, i: 0, by: 'rfc3464', type: 'bounce', recipient: 'reader@partner.example.org', action: 'failed', status: '5.7.606', replyCode: '550', diag: '550 5.7.606 Access denied, banned sending IP [192.0.2.1]', remoteMta: 'mx.partner.example.org' },
];

describe('exchange2007', () => {
  it.each(rows.map((r) => [`${r.file} #${r.i} ${r.recipient}`, r] as const))('%s', (_name, row) =>
    checkRow('exchange2007', row),
  );
});

describe.skipIf(!corpusPresent)('exchange2007 corpus (needs ../shared/sisimai; absent here)', () => {
  // lhost-exchange2007-05: the label (4.4.1) is the older of two attempts; the DSN's Status and the
  // newest attempt both say 4.4.7 (QUEUE.Expired), which is what we report.
  const known = new Set(['lhost-exchange2007-05.eml']);
  it.each(corpusCases('lhost-exchange2007-').filter(([f]) => !known.has(f)))('%s', (file, entries) => checkCorpus(file, entries));
});
