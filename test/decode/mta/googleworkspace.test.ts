/**
 * googleworkspace decoder: one row per fixture finding (test/fixtures/mta/googleworkspace/), read through the real registry,
 * plus the corpus check against ../shared/sisimai/labels.json (skipped when ../shared is absent).
 */
import { describe, it } from 'vitest';
import { checkCorpus, checkRow, corpusCases, corpusPresent, type Row } from './group-b.js';

const rows: Row[] = [
  { file: '01-send-mail-as', count: 1, i: 0, by: 'googleworkspace', type: 'bounce', recipient: 'planning@lists.example.net', action: 'failed', status: '', replyCode: '', diag: 'Unspecified Error (SENT_SECOND_EHLO): Smtp server does not advertise AUTH capability', hint: 'rejected' },
  { file: '02-domain-not-found', count: 1, i: 0, by: 'googleworkspace', type: 'bounce', recipient: 'someone@nxdomain.example', action: 'failed', status: '', replyCode: '', diag: "DNS Error: 27847493 DNS type 'mx' lookup of nxdomain.example responded with code NXDOMAIN", hint: 'hostunknown' },
  { file: '03-delay', count: 1, i: 0, by: 'googleworkspace', type: 'delayed', recipient: 'slow@example.net', action: 'delayed', status: '4.7.0', replyCode: '421', diag: '421 4.7.0 [192.0.2.10] Try again later, closing connection. (TOO_MANY_CONNECTIONS)' },
  // A DSN part without Diagnostic-Code: enrich takes the response and its 5.7.1 from the text.
  { file: '04-dsn-without-diagnostic', count: 1, i: 0, by: 'rfc3464', type: 'bounce', recipient: 'customer@shop.example.org', action: 'failed', status: '5.7.1', replyCode: '550', diag: '550 5.7.1 Message rejected per content policy: suspected spam' },
  // No response at all: Google's own sentence becomes the diagnostic and states the reason.
  { file: '05-address-not-found', count: 1, i: 0, by: 'rfc3464', type: 'bounce', recipient: 'typo@example.it', action: 'failed', status: '5.0.0', replyCode: '', diag: "Your message wasn't delivered to typo@example.it because the address couldn't be found.", hint: 'userunknown' },
];

describe('googleworkspace', () => {
  it.each(rows.map((r) => [`${r.file} #${r.i} ${r.recipient}`, r] as const))('%s', (_name, row) =>
    checkRow('googleworkspace', row),
  );
});

describe.skipIf(!corpusPresent)('googleworkspace corpus (needs ../shared/sisimai; absent here)', () => {
  it.each(corpusCases('lhost-googleworkspace-'))('%s', (file, entries) => checkCorpus(file, entries));
});
