/**
 * End to end: bounce files (test/fixtures/store/, written for these tests, modelled on what Postfix,
 * mailbox providers' FBLs and auto-responders send) -> intake/file -> store -> parse + classify ->
 * events -> Marketo address state. The real analyzer runs; the clock is injected.
 *
 * All fixtures carry `Date: Sat, 10 Jan 2026 12:00:00 +0000` (the ARF one 14:30); we "receive"
 * them ten minutes later, so the bounce time (Date header) and the receipt time differ.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ingest } from '../../src/cli/ingest.js';
import { bounceTime } from '../../src/pipeline/plan.js';
import { openStore, type Store } from '../../src/store/index.js';
import { openProcessingStore, type ProcessingStore } from '../support/pipeline.js';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'store');
const f = (name: string) => join(FIX, `${name}.eml`);
const HOUR = 3_600_000;
const BOUNCE_AT = Date.UTC(2026, 0, 10, 12, 0, 0);
const RECEIVED = BOUNCE_AT + 10 * 60_000;

const dir = mkdtempSync(join(tmpdir(), 'rebound-pipeline-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let now = RECEIVED;
let store: ProcessingStore;
let n = 0;
beforeEach(() => {
  now = RECEIVED;
  store?.close();
  store = openProcessingStore({ path: join(dir, `t${n++}.db`), clock: () => now });
});

const run = (...names: string[]) => ingest(store.pipeline, names.map(f), { now: () => now });

describe('pipeline: file -> store -> state', () => {
  it('a spam-block 5.7.1 suspends for 24 h from the bounce and does not invalidate', async () => {
    const s = await run('spam-block-571');
    expect(s).toMatchObject({ messages: 1, stored: 1, processed: 1, failed: 0, bounces: 1, byCategory: { '1': 1 } });
    const st = store.addressStatus('carol@blocked.example');
    expect(st).toMatchObject({ emailSuspended: true, emailSuspendedAt: BOUNCE_AT, emailInvalid: false });
    expect(st.emailSuspendedCause).toContain('zen.spamhaus.org');
    expect(st.mayISend).toMatchObject({ verdict: 'suspended', until: BOUNCE_AT + 24 * HOUR });
  });

  it('the suspension ends 24 h after the bounce (controllable clock); the flag stays', async () => {
    await run('spam-block-571');
    now = BOUNCE_AT + 24 * HOUR - 1;
    expect(store.mayISend('carol@blocked.example').verdict).toBe('suspended');
    now = BOUNCE_AT + 24 * HOUR;
    expect(store.mayISend('carol@blocked.example')).toEqual({ address: 'carol@blocked.example', verdict: 'ok', cause: '' });
    expect(store.addressStatus('carol@blocked.example').emailSuspended).toBe(true);
    expect(store.list('suspended')[0]).toMatchObject({ address: 'carol@blocked.example', active: false });
  });

  it('a 5.1.1 user unknown sets Email Invalid with the diagnostic as cause', async () => {
    await run('user-unknown-511');
    const st = store.addressStatus('BOB@invalid.example');
    expect(st).toMatchObject({ emailInvalid: true, emailInvalidAt: BOUNCE_AT, emailSuspended: false });
    expect(st.emailInvalidCause).toBe('550 5.1.1 <bob@invalid.example>: Recipient address rejected: User unknown in virtual mailbox table');
    now = RECEIVED + 400 * 24 * HOUR;
    expect(store.mayISend('bob@invalid.example').verdict).toBe('invalid');
  });

  it('a 5.1.1 whose diagnostic shows a spam filter does not invalidate', async () => {
    await run('user-unknown-spamfilter');
    const st = store.addressStatus('dave@filtered.example');
    expect(st.emailInvalid).toBe(false);
    expect(st.emailSuspended).toBe(true);
    expect(store.history('dave@filtered.example')[0]).toMatchObject({ status: '5.1.1', likelyFalsePositive: true, effect: 'suspend' });
  });

  it('reset is the only way out of Email Invalid, and it is audited', async () => {
    await run('user-unknown-511');
    now = RECEIVED + HOUR;
    const r = store.reset('bob@invalid.example', 'invalid', 'address confirmed by phone', 'ops-anna');
    expect(r.changed).toBe(true);
    expect(store.mayISend('bob@invalid.example').verdict).toBe('ok');
    const h = store.history('bob@invalid.example');
    expect(h[0]).toMatchObject({ kind: 'reset', what: 'invalid', who: 'ops-anna', why: 'address confirmed by phone', at: RECEIVED + HOUR });
    expect(h[1]).toMatchObject({ kind: 'event', reason: 'userunknown', effect: 'invalid' });
    // The same bounce ingested again (duplicate) does not bring the flag back.
    const again = await run('user-unknown-511');
    expect(again).toMatchObject({ duplicates: 1, stored: 0, processed: 0 });
    expect(store.mayISend('bob@invalid.example').verdict).toBe('ok');
  });

  it('duplicates do not double-count', async () => {
    await run('mailbox-full');
    const s = await run('mailbox-full', 'mailbox-full');
    expect(s).toMatchObject({ messages: 2, stored: 0, duplicates: 2, bounces: 0 });
    expect(store.addressStatus('erin@full.example')).toMatchObject({ softBounces: 1, events: 1 });
    expect(store.stats().messages.total).toBe(1);
  });

  it('a soft bounce sets no flag; a delivered report resets the soft counters', async () => {
    await run('mailbox-full');
    let st = store.addressStatus('erin@full.example');
    expect(st).toMatchObject({ emailInvalid: false, emailSuspended: false, softBounces: 1, lastSoftAt: BOUNCE_AT });
    expect(st.mayISend.verdict).toBe('ok');
    now += HOUR;
    await run('delivered');
    st = store.addressStatus('erin@full.example');
    expect(st).toMatchObject({ softBounces: 0, events: 2 });
  });

  it('delay warnings, auto-replies and read receipts are recorded and change no state', async () => {
    const s = await run('delayed', 'vacation', 'read-receipt');
    expect(s).toMatchObject({ messages: 3, failed: 0, bounces: 0 });
    expect(s.byType).toMatchObject({ delayed: 1, autoreply: 1 });
    for (const a of ['frank@slow.example', 'heidi@away.example']) {
      const st = store.addressStatus(a);
      expect(st).toMatchObject({ known: true, events: 1, emailInvalid: false, emailSuspended: false, complained: false, softBounces: 0 });
    }
    expect(store.history('frank@slow.example')[0]).toMatchObject({ messageType: 'delayed', action: 'delayed', effect: 'none' });
  });

  it('an ARF abuse report marks the address complained, not invalid', async () => {
    await run('arf-complaint');
    const st = store.addressStatus('grace@complainer.example');
    expect(st).toMatchObject({ complained: true, complainedAt: Date.UTC(2026, 0, 10, 12, 10, 0), emailInvalid: false });
    expect(st.mayISend.verdict).toBe('complained');
  });

  it('a malformed message is kept and marked failed, and can be reprocessed', async () => {
    const s = await run('malformed', 'not-a-bounce');
    expect(s).toMatchObject({ messages: 2, stored: 2, failed: 1, notABounce: 1 });
    const st = store.stats();
    expect(st.messages).toMatchObject({ total: 2, failed: 1, 'not-a-bounce': 1, pending: 0 });
    const failedId = s.errors.map((e) => Number(/#(\d+)/.exec(e.source)?.[1])).find(Number.isFinite)!;
    const m = store.getMessage(failedId)!;
    expect(m.state).toBe('failed');
    expect(m.error).toMatch(/no recipient|bounce/);
    expect(m.raw?.toString()).toContain('never-closed');
    const again = await store.reprocess({ states: ['failed'] });
    expect(again).toHaveLength(1);
    expect(again[0]!.state).toBe('failed');
    expect(store.getMessage(failedId)!.attempts).toBe(2);
  });

  it('a message the parser cannot read is kept and marked failed with the reason, and can be reprocessed', async () => {
    // A header block over mailparser's 1 MiB limit: the parse stage gives up and says why.
    const path = join(dir, 'huge-header.eml');
    writeFileSync(path, `${'Received: from relay.example (192.0.2.1)\n'.repeat(40_000)}From: MAILER-DAEMON@mx.example\nSubject: Undelivered Mail\n\nhi\n`);
    const s = await ingest(store.pipeline, [path], { now: () => now });
    expect(s).toMatchObject({ messages: 1, stored: 1, failed: 1, bounces: 0 });
    const [row] = await store.reprocess({ states: ['failed'] });
    expect(row).toMatchObject({ state: 'failed', events: 0 });
    const m = store.getMessage(row!.id)!;
    expect(m.error).toMatch(/^unreadable: mailparser: Max header size/);
    expect(m.raw?.length).toBeGreaterThan(1024 * 1024);
    expect(m.attempts).toBe(2);
  });
});

describe('pipeline: soft-bounce escalation end to end', () => {
  it('mailbox-full bounces on 3 distinct days escalate to invalid; two on one day count once', async () => {
    const esc = openProcessingStore({
      path: join(dir, 'escalation.db'),
      clock: () => now,
      state: { escalation: { enabled: true, softBounces: 3, distinctDays: 3, withinDays: 30, action: 'invalid' } },
    });
    const copy = (date: string, n: number) => {
      const p = join(dir, `full-${n}.eml`);
      writeFileSync(p, readFileSync(f('mailbox-full'), 'utf8').replace(/^Date: .*$/m, `Date: ${date}`).replace('id 4XyZ1234ABC;', `id 4XyZ1234AB${n};`));
      return p;
    };
    now = Date.UTC(2026, 0, 20);
    const days = ['Sat, 10 Jan 2026 08:00:00 +0000', 'Sat, 10 Jan 2026 18:00:00 +0000', 'Mon, 12 Jan 2026 09:00:00 +0000'];
    await ingest(esc.pipeline, days.map(copy), { now: () => now });
    expect(esc.addressStatus('erin@full.example')).toMatchObject({ softBounces: 3, softDays: 2, emailInvalid: false });
    await ingest(esc.pipeline, [copy('Wed, 14 Jan 2026 09:00:00 +0000', 9)], { now: () => now });
    const st = esc.addressStatus('erin@full.example');
    expect(st.emailInvalid).toBe(true);
    expect(st.emailInvalidAt).toBe(Date.UTC(2026, 0, 14, 9));
    expect(st.emailInvalidCause).toMatch(/^escalated: 3 soft bounces .*Mailbox full/);
    esc.close();
  });
});

describe('pipeline: mbox', () => {
  it('each message of an mbox is stored and processed on its own', async () => {
    const mbox = join(dir, 'bounces.mbox');
    const from = 'From MAILER-DAEMON Sat Jan 10 12:00:00 2026\n';
    const read = (name: string) => readFileSync(f(name), 'utf8');
    writeFileSync(mbox, `${from}${read('user-unknown-511')}\n${from}${read('spam-block-571')}\n`);
    const s = await ingest(store.pipeline, [mbox], { now: () => now });
    expect(s).toMatchObject({ messages: 2, stored: 2, processed: 2, byCategory: { '1': 1, '2': 1 } });
    expect(store.mayISend('bob@invalid.example').verdict).toBe('invalid');
    expect(store.mayISend('carol@blocked.example').verdict).toBe('suspended');
  });
});

describe('bounceTime', () => {
  const msg = (date: string) => Buffer.from(`From: x\r\nDate: ${date}\r\n\r\nbody\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n`);
  it('uses the Date header when it is before our receipt', () => {
    expect(bounceTime(msg('Sat, 10 Jan 2026 12:00:00 +0000'), RECEIVED)).toBe(BOUNCE_AT);
  });
  it('never later than our receipt (sender clock ahead)', () => {
    expect(bounceTime(msg('Sat, 10 Jan 2026 18:00:00 +0000'), RECEIVED)).toBe(RECEIVED);
  });
  it('ignores an unreadable or absurdly old date, and body lines', () => {
    expect(bounceTime(msg('yesterday-ish'), RECEIVED)).toBe(RECEIVED);
    expect(bounceTime(msg('Sat, 10 Jan 2015 12:00:00 +0000'), RECEIVED)).toBe(RECEIVED);
    expect(bounceTime(Buffer.from('From: x\r\n\r\nDate: Sat, 10 Jan 2026 12:00:00 +0000\r\n'), RECEIVED)).toBe(RECEIVED);
  });
  it('reads a folded date with a comment', () => {
    expect(bounceTime(msg('Sat, 10 Jan 2026\r\n 12:00:00 +0000 (UTC)'), RECEIVED)).toBe(BOUNCE_AT);
  });
});

describe('pipeline: the envelope reaches the decode stage', () => {
  // A free-text report from an address that is no mail daemon, with no delivery-status part and no
  // returned message (test/fixtures/mta/not-bounce/09-no-sender-evidence.eml): only the envelope
  // can say it came from a mail system.
  const raw = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'mta', 'not-bounce', '09-no-sender-evidence.eml'));
  const env = (source: 'smtp' | 'file') => ({ source, origin: 'test', mailFrom: '', rcptTo: ['bounces+h.berg=old-relay.example@bounce.shop.example'], receivedAt: RECEIVED });

  it('a null MAIL FROM taken over SMTP is bounce evidence', async () => {
    const { id } = store.saveMessage(env('smtp'), raw);
    const out = await store.processMessage(id);
    expect(out).toMatchObject({ state: 'processed', messageType: 'bounce', addresses: ['h.berg@old-relay.example'] });
  });

  it('a file has no MAIL FROM: the same bytes are not a bounce', async () => {
    const { id } = store.saveMessage(env('file'), raw);
    expect(await store.processMessage(id)).toMatchObject({ state: 'not-a-bounce', events: 0 });
  });
});
