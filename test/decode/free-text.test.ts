/**
 * free-text: the last-resort reader of bounces written as prose by mail systems no decoder knows.
 * Fixtures written for this project (test/fixtures/mta/free-text/) in the layouts of older MTAs
 * and gateways, read through analyzeMessage.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeMessage } from '../../src/pipeline/analyze.js';

const dir = resolve(new URL('.', import.meta.url).pathname, '../fixtures/mta/free-text');
const analyze = (file: string) => analyzeMessage(readFileSync(resolve(dir, file)));

/** [file, recipients in order, a substring of the first diagnostic] */
const cases: Array<[string, string[], string]> = [
  ['01-invalid-receiver.eml', ['karin.obst@csi.example'], 'Invalid receiver address'],
  ['02-undeliverable-address.eml', ['r.almeida@hotpost.example'], 'Mailbox does not exist'],
  ['03-failed-addresses-follow.eml', ['p.tremblay@example.ca', 'j.roy@example.ca'], 'unknown user'],
  // The transcript's reply names the reason; the help-desk address in the closing prose is no recipient.
  ['04-did-not-receive-copy.eml', ['lucia.benitez@pla.example'], '550 <lucia.benitez@pla.example>... No such user here'],
  ['05-error-for.eml', ['dieter.wolf@example.de'], '550 5.1.1'],
  ['06-recipient-smtp.eml', ['tom.baker@enable.example'], '550 5.2.2 Mailbox full'],
  // "Intended recipient:" names the address; the reason is the paragraph above; "Please reply to
  // Postmaster@..." is not a recipient.
  ['07-intended-recipient.eml', ['anna.k@usanet.example'], 'account is disabled'],
  ['08-unable-to-deliver-to.eml', ['mo.ellis@earth.example'], '552 Quota violation'],
  ['09-did-not-reach.eml', ['ken.ito@gomaps.example'], 'recipient name is not recognized'],
];

describe('free-text bounces', () => {
  it.each(cases)('%s', async (file, recipients, diagnostic) => {
    const a = await analyze(file);
    expect(a.type).toBe('bounce');
    expect(a.recipients.map((r) => r.address)).toEqual(recipients);
    expect(a.recipients[0]!.diagnostic).toContain(diagnostic);
    // Never the bounce's own To (our sender address) nor a mail system's address.
    for (const r of a.recipients) expect(r.address).not.toMatch(/^(?:newsletter@bounce\.shop\.example|postmaster@|mailer-daemon@)/i);
  });

  it('takes no address from prose that only names contacts', async () => {
    const a = await analyze('10-prose-only.eml');
    expect(a).toMatchObject({ type: 'not-bounce', recipients: [] });
  });
});
