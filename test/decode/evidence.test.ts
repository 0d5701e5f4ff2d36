/**
 * Bounce evidence before anything is extracted (decode/evidence.ts, the registry's gate): a person's
 * message, a forward, a phishing mail dressed as a bounce, a ticket system's notice and a list
 * robot's command reply are never bounces; auto-replies stay auto-replies; the envelope (null MAIL
 * FROM, our RCPT TO) counts. Fixtures written for this project (test/fixtures/mta/not-bounce/).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeMessage } from '../../src/pipeline/analyze.js';
import { decodeMessage } from '../../src/decode/index.js';
import { forwardOrReplySubject, isDaemonAddress } from '../../src/decode/evidence.js';
import { parseMessage } from '../../src/parse/message.js';

const dir = resolve(new URL('.', import.meta.url).pathname, '../fixtures/mta/not-bounce');
const raw = (file: string) => readFileSync(resolve(dir, file));

describe('not bounces, whatever they say', () => {
  it.each([
    // A person forwarding a Postfix bounce as an attachment: its DSN is inside the attached message.
    ['01-forward-attachment.eml'],
    // A mail client's inline forward that re-attached the report's delivery-status part at the top.
    ['02-forward-parts-reattached.eml'],
    // "Mail Delivery System" as a display name over a no-reply address, a real return path, HTML prose.
    ['03-phishing.eml'],
    // A ticket system quoting "failure notice" in the middle of its subject.
    ['04-ticket-subject-later.eml'],
    // Mailing-list robots answering commands (Mailman, Majordomo), with error words and addresses.
    ['05-mailman-results.eml'],
    ['06-majordomo.eml'],
  ])('%s is not a bounce', async (file) => {
    const a = await analyzeMessage(raw(file));
    expect(a).toMatchObject({ type: 'not-bounce', recipients: [] });
  });

  it('needs a sign of a mail system before reading free prose', async () => {
    const msg = await parseMessage(raw('09-no-sender-evidence.eml'));
    expect(decodeMessage(msg)).toMatchObject({ type: 'not-bounce', findings: [] });
    // The same message delivered with a null envelope sender is a bounce.
    const r = decodeMessage(msg, { mailFrom: '' });
    expect(r.type).toBe('bounce');
    expect(r.findings.map((f) => f.recipient)).toEqual(['h.berg@old-relay.example']);
  });

  it('never reports our own envelope recipient (the VERP address) from a text report', async () => {
    const text = raw('09-no-sender-evidence.eml').toString().replace('Unknown user: h.berg@old-relay.example', 'Unknown user: bounces+h.berg=old-relay.example@bounce.shop.example');
    const r = decodeMessage(await parseMessage(text), { mailFrom: '', rcptTo: ['bounces+h.berg=old-relay.example@bounce.shop.example'] });
    expect(r.findings).toEqual([]);
  });
});

describe('auto-replies', () => {
  it.each([
    ['07-auto-prefix.eml', 'mira.holt@partner.example'],
    ['08-autosvar.eml', 'lars@partner.example'],
  ])('%s is an auto-reply of %s, never a failure', async (file, address) => {
    const a = await analyzeMessage(raw(file));
    expect(a.type).toBe('autoreply');
    expect(a.recipients).toEqual([expect.objectContaining({ address, reason: 'vacation', hard: false })]);
  });
});

describe('evidence helpers', () => {
  it('knows the forward and reply prefixes at the start of a subject only', () => {
    for (const s of ['Fwd: Undelivered Mail', 'FW: x', 'Re: failure notice', 'AW: Unzustellbar', 'WG: x', 'TR: Non remis', 'RV: x', '[list] Re: x', '转发: x']) {
      expect(forwardOrReplySubject(s), s).toBe(true);
    }
    for (const s of ['Undeliverable: Re: hello', 'failure notice', 'Returned mail: see transcript for details', 'Delivery Status Notification (Failure)']) {
      expect(forwardOrReplySubject(s), s).toBe(false);
    }
  });

  it('knows the mail systems by their local part', () => {
    for (const a of ['MAILER-DAEMON@mx.example', 'postmaster@example.org', 'post_master@vtext.example', 'Mail.Delivery.System@mx.example', 'MAILER-DAEMON']) expect(isDaemonAddress(a), a).toBe(true);
    for (const a of ['alice@example.org', 'no-reply@example.org', 'daemon-fan@example.org']) expect(isDaemonAddress(a), a).toBe(false);
  });
});
