/**
 * gmail decoder: one row per fixture finding (test/fixtures/mta/gmail/), read through the real registry,
 * plus the corpus check against ../shared/sisimai/labels.json (skipped when ../shared is absent).
 */
import { describe, it } from 'vitest';
import { checkCorpus, checkRow, corpusCases, corpusPresent, type Row } from './group-b.js';

const rows: Row[] = [
  { file: '01-user-unknown', count: 1, i: 0, by: 'gmail', type: 'bounce', recipient: 'bob@mail.example.org', action: 'failed', status: '5.1.1', replyCode: '550', diag: '550 5.1.1 <bob@mail.example.org>: Recipient address rejected', remoteMta: 'mx1.mail.example.org' },
  { file: '02-header-error-state', count: 2, i: 0, by: 'gmail', type: 'bounce', recipient: 'dave@example.net', action: 'failed', status: '5.7.1', replyCode: '554', diag: '554 5.7.1 Service unavailable; Client host [192.0.2.77] blocked using dnsbl.example.org', lastCommand: 'MAIL' },
  { file: '02-header-error-state', count: 2, i: 1, by: 'gmail', type: 'bounce', recipient: 'erin@example.net', action: 'failed', status: '5.7.1', replyCode: '554', diag: 'blocked using dnsbl.example.org' },
  { file: '03-delay-mailbox-full', count: 1, i: 0, by: 'gmail', type: 'delayed', recipient: 'grace@example.com', action: 'delayed', status: '4.2.2', replyCode: '452', diag: '452 4.2.2 <grace@example.com>... Mailbox over quota', lastCommand: 'RCPT' },
  { file: '04-connect-failed', count: 1, i: 0, by: 'gmail', type: 'bounce', recipient: 'ivan@unreachable.example', action: 'failed', status: '', replyCode: '', diag: 'did not accept our requests to connect', hint: 'expired', remoteMta: 'unreachable.example' },
  { file: '05-quota', count: 1, i: 0, by: 'gmail', type: 'bounce', recipient: 'mallory@gmail.com', action: 'failed', status: '', replyCode: '', diag: 'Storage quota exceeded', hint: 'mailboxfull' },
  { file: '06-dns-error', count: 1, i: 0, by: 'gmail', type: 'bounce', recipient: 'ivan@no-such-domain.example', action: 'failed', status: '', replyCode: '', diag: 'DNS Error: Domain name not found', hint: 'hostunknown' },
  { file: '07-multiline-reply', count: 1, i: 0, by: 'gmail', type: 'bounce', recipient: 'nobody@gmail.com', action: 'failed', status: '5.1.1', replyCode: '550', diag: '550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient', remoteMta: 'gmail-smtp-in.l.google.com' },
];

describe('gmail', () => {
  it.each(rows.map((r) => [`${r.file} #${r.i} ${r.recipient}`, r] as const))('%s', (_name, row) =>
    checkRow('gmail', row),
  );
});

describe.skipIf(!corpusPresent)('gmail corpus (needs ../shared/sisimai; absent here)', () => {
  it.each(corpusCases('lhost-gmail-'))('%s', (file, entries) => checkCorpus(file, entries));
});
