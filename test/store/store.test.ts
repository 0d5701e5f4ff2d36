/**
 * store unit tests: the real migrations on SQLite :memory:, with hand-built Analysis objects fed
 * through the `analyze` hook (the raw "message" is the Analysis as JSON), and a controllable clock.
 */
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { openProcessingStore } from '../support/pipeline.js';
import type { Analysis, Category, Envelope, MessageType, RecipientResult, Reason, ReturnPathVerdict } from '../../src/types.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 0, 10, 12, 0, 0);

function rr(address: string, over: Partial<RecipientResult> = {}): RecipientResult {
  return {
    address,
    action: 'failed',
    status: '5.1.1',
    replyCode: '550',
    reason: 'userunknown' as Reason,
    hard: true,
    category: 2 as Category,
    likelyFalsePositive: false,
    evidence: 'user unknown',
    diagnostic: '550 5.1.1 <' + address + '>: Recipient address rejected: User unknown',
    remoteMta: 'mx.example.net',
    feedbackType: '',
    ...over,
  };
}

let seq = 0;
function analysis(type: MessageType, recipients: RecipientResult[]): Analysis {
  return { type, recipients, decodedBy: 'test', problems: [] };
}

function setup(opts: Parameters<typeof openStore>[0]['state'] = {}) {
  let now = T0;
  const store = openProcessingStore({
    path: ':memory:',
    clock: () => now,
    state: opts,
    analyze: (raw) => {
      const a = JSON.parse(raw.toString('utf8')) as Analysis & { throw?: string };
      if (a.throw) throw new Error(a.throw);
      return a;
    },
  });
  const ingest = async (a: Analysis | Record<string, unknown>, receivedAt = now) => {
    const env: Envelope = { source: 'file', origin: 'test', mailFrom: '', rcptTo: ['b@bounce.example'], receivedAt };
    const raw = Buffer.from(JSON.stringify({ ...a, _n: seq++ }));
    const { id } = store.saveMessage(env, raw);
    return await store.processMessage(id);
  };
  return { store, ingest, setNow: (t: number) => (now = t), now: () => now };
}

describe('store: messages', () => {
  it('saves, dedups by content hash, and keeps the raw bytes', () => {
    const { store } = setup();
    const env: Envelope = { source: 'smtp', origin: '127.0.0.1', mailFrom: '', rcptTo: ['x@b.example'], receivedAt: T0 };
    const a = store.saveMessage(env, Buffer.from('hello'));
    const b = store.saveMessage(env, Buffer.from('hello'));
    expect(a.duplicate).toBe(false);
    expect(b).toEqual({ id: a.id, duplicate: true });
    const m = store.getMessage(a.id)!;
    expect(m.raw?.toString()).toBe('hello');
    expect(m.state).toBe('pending');
    expect(m.env.rcptTo).toEqual(['x@b.example']);
    expect(m.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('saveMessages commits a batch and reports duplicates inside it', () => {
    const { store } = setup();
    const env: Envelope = { source: 'file', origin: 'f', mailFrom: '', rcptTo: [], receivedAt: T0 };
    const r = store.saveMessages([
      { env, raw: Buffer.from('a') },
      { env, raw: Buffer.from('b') },
      { env, raw: Buffer.from('a') },
    ]);
    expect(r.map((x) => x.duplicate)).toEqual([false, false, true]);
    expect(r[2]!.id).toBe(r[0]!.id);
    expect(store.stats().messages.total).toBe(2);
  });

  it('an analyzer crash marks the message failed, keeps it, and reprocess retries it', async () => {
    const { store, ingest } = setup();
    const out = await ingest({ throw: 'boom' });
    expect(out.state).toBe('failed');
    expect(out.error).toContain('boom');
    const m = store.getMessage(out.id)!;
    expect(m.state).toBe('failed');
    expect(m.raw).not.toBeNull();
    expect(await store.processPending()).toBe(0);
    expect(await store.reprocess({ states: ['failed'] })).toHaveLength(1);
  });

  it('not-a-bounce is marked and records no events', async () => {
    const { store, ingest } = setup();
    const out = await ingest(analysis('not-bounce', []));
    expect(out.state).toBe('not-a-bounce');
    expect(store.stats().events.total).toBe(0);
  });

  it('a bounce with no attributable recipient is failed, with the reason', async () => {
    const { ingest } = setup();
    const out = await ingest({ ...analysis('bounce', []), problems: ['no delivery-status part'] });
    expect(out.state).toBe('failed');
    expect(out.error).toContain('no delivery-status part');
  });

  it('processing twice is a no-op; reprocess does not double-count', async () => {
    const { store, ingest } = setup();
    const out = await ingest(analysis('bounce', [rr('a@x.example', { category: 3, reason: 'mailboxfull', status: '4.2.2' })]));
    expect((await store.processMessage(out.id)).skipped).toBe(true);
    await store.reprocess({ ids: [out.id] });
    await store.reprocess({ all: true });
    expect(store.addressStatus('a@x.example').softBounces).toBe(1);
    expect(store.stats().events.total).toBe(1);
  });

  it('refuses a reprocess with no filter', async () => {
    const { store } = setup();
    await expect(store.reprocess({})).rejects.toThrowErrorMatchingInlineSnapshot(`[Error: reprocess: give ids, states, a time range, or all]`);
  });
});

describe('store: Marketo state rules', () => {
  it('category 2 sets Email Invalid with cause and time; only reset clears it, audited', async () => {
    const { store, ingest, setNow } = setup();
    await ingest(analysis('bounce', [rr('Bob@X.Example')]));
    const s = store.addressStatus('bob@x.example');
    expect(s.emailInvalid).toBe(true);
    expect(s.emailInvalidAt).toBe(T0);
    expect(s.emailInvalidCause).toContain('User unknown');
    expect(store.mayISend('BOB@x.example').verdict).toBe('invalid');
    // Time does not clear it.
    setNow(T0 + 365 * DAY);
    expect(store.mayISend('bob@x.example').verdict).toBe('invalid');
    const r = store.reset('bob@x.example', 'invalid', 'customer confirmed address', 'alice');
    expect(r.changed).toBe(true);
    expect(store.mayISend('bob@x.example').verdict).toBe('ok');
    const h = store.history('bob@x.example');
    expect(h[0]).toMatchObject({ kind: 'reset', what: 'invalid', why: 'customer confirmed address', who: 'alice', at: T0 + 365 * DAY });
  });

  it('reset requires a reason', () => {
    const { store } = setup();
    expect(() => store.reset('a@b.example', 'all', ' ', 'me')).toThrow(/reason is required/);
  });

  it('category 1 suspends for 24 h from the bounce, never invalidates; flag stays set', async () => {
    const { store, ingest, setNow } = setup();
    const bounceAt = T0 - 2 * HOUR;
    await ingest(
      analysis('bounce', [
        rr('c@x.example', { category: 1, reason: 'blocked', status: '5.7.1', likelyFalsePositive: true, hard: false, diagnostic: '554 5.7.1 Service unavailable; Client host blocked using zen.spamhaus.org' }),
      ]),
      bounceAt,
    );
    let s = store.addressStatus('c@x.example');
    expect(s.emailSuspended).toBe(true);
    expect(s.emailInvalid).toBe(false);
    expect(s.emailSuspendedAt).toBe(bounceAt);
    expect(s.emailSuspendedCause).toContain('spamhaus');
    expect(s.mayISend).toMatchObject({ verdict: 'suspended', until: bounceAt + DAY });
    setNow(bounceAt + DAY - 1);
    expect(store.mayISend('c@x.example').verdict).toBe('suspended');
    setNow(bounceAt + DAY);
    expect(store.mayISend('c@x.example').verdict).toBe('ok');
    s = store.addressStatus('c@x.example');
    expect(s.emailSuspended).toBe(true);
  });

  it('suspendHours is configurable', async () => {
    const { store, ingest } = setup({ suspendHours: 48 });
    await ingest(analysis('bounce', [rr('d@x.example', { category: 1, reason: 'blocked', likelyFalsePositive: true })]));
    expect(store.mayISend('d@x.example', T0 + 47 * HOUR).verdict).toBe('suspended');
    expect(store.mayISend('d@x.example', T0 + 48 * HOUR).verdict).toBe('ok');
  });

  it('a category 2 that is a likely false positive suspends and does not invalidate', async () => {
    const { store, ingest } = setup();
    await ingest(analysis('bounce', [rr('e@x.example', { likelyFalsePositive: true })]));
    const s = store.addressStatus('e@x.example');
    expect(s.emailInvalid).toBe(false);
    expect(s.emailSuspended).toBe(true);
  });

  it('a newer block refreshes Suspended At; an older one arriving late does not', async () => {
    const { store, ingest } = setup();
    const block = { category: 1 as Category, reason: 'blocked' as Reason, likelyFalsePositive: true };
    await ingest(analysis('bounce', [rr('f@x.example', block)]), T0);
    await ingest(analysis('bounce', [rr('f@x.example', block)]), T0 + 10 * HOUR);
    expect(store.addressStatus('f@x.example').emailSuspendedAt).toBe(T0 + 10 * HOUR);
  });

  it('soft bounces, delays, auto-replies and read receipts change no flag', async () => {
    const { store, ingest } = setup();
    await ingest(analysis('bounce', [rr('g@x.example', { category: 3, reason: 'mailboxfull', status: '4.2.2', hard: false })]));
    await ingest(analysis('bounce', [rr('g@x.example', { category: 4, reason: 'hostunknown', hard: false })]));
    await ingest(analysis('bounce', [rr('g@x.example', { category: 9, reason: 'undefined', hard: false })]));
    await ingest(analysis('delayed', [rr('g@x.example', { action: 'delayed', category: 3, reason: 'expired' })]));
    await ingest(analysis('autoreply', [rr('g@x.example', { action: '', category: 0, reason: 'vacation' })]));
    // Even a category-2 result inside a delay warning is only a warning.
    await ingest(analysis('bounce', [rr('g@x.example', { action: 'delayed' })]));
    const s = store.addressStatus('g@x.example');
    expect(s).toMatchObject({ emailInvalid: false, emailSuspended: false, complained: false, softBounces: 3, events: 6 });
    expect(s.mayISend.verdict).toBe('ok');
  });

  it('a delivered report resets soft counters', async () => {
    const { store, ingest } = setup();
    await ingest(analysis('bounce', [rr('h@x.example', { category: 3, reason: 'mailboxfull' })]));
    await ingest(analysis('bounce', [rr('h@x.example', { category: 3, reason: 'mailboxfull' })]), T0 + DAY);
    expect(store.addressStatus('h@x.example').softBounces).toBe(2);
    await ingest(analysis('delivered', [rr('h@x.example', { action: 'delivered', category: 0, reason: 'delivered' })]), T0 + 2 * DAY);
    expect(store.addressStatus('h@x.example')).toMatchObject({ softBounces: 0, softDays: 0 });
  });

  it('an ARF complaint sets complained, never invalid; not-spam does not', async () => {
    const { store, ingest } = setup();
    await ingest(analysis('feedback', [rr('i@x.example', { action: '', category: 0, reason: 'feedback', feedbackType: 'abuse' })]));
    await ingest(analysis('feedback', [rr('j@x.example', { action: '', category: 0, reason: 'feedback', feedbackType: 'not-spam' })]));
    expect(store.addressStatus('i@x.example')).toMatchObject({ complained: true, complainedAt: T0, emailInvalid: false });
    expect(store.mayISend('i@x.example').verdict).toBe('complained');
    expect(store.mayISend('j@x.example').verdict).toBe('ok');
  });

  it('escalation is off by default', async () => {
    const { store, ingest } = setup();
    for (let d = 0; d < 10; d++) await ingest(analysis('bounce', [rr('k@x.example', { category: 3, reason: 'mailboxfull' })]), T0 + d * DAY);
    expect(store.addressStatus('k@x.example')).toMatchObject({ emailSuspended: false, emailInvalid: false, softBounces: 10 });
  });

  it('escalation counts at most one soft bounce per day, within the window', async () => {
    const { store, ingest } = setup({ escalation: { enabled: true, softBounces: 3, distinctDays: 3, withinDays: 10, action: 'invalid' } });
    const soft = { category: 3 as Category, reason: 'mailboxfull' as Reason };
    // Five on one day count once.
    for (let i = 0; i < 5; i++) await ingest(analysis('bounce', [rr('l@x.example', soft)]), T0 + i * HOUR);
    expect(store.addressStatus('l@x.example')).toMatchObject({ softDays: 1, emailInvalid: false });
    // A second day 20 days later: the first has left the 10-day window.
    await ingest(analysis('bounce', [rr('l@x.example', soft)]), T0 + 20 * DAY);
    await ingest(analysis('bounce', [rr('l@x.example', soft)]), T0 + 21 * DAY);
    expect(store.addressStatus('l@x.example')).toMatchObject({ softDays: 2, emailInvalid: false });
    await ingest(analysis('bounce', [rr('l@x.example', soft)]), T0 + 22 * DAY);
    const s = store.addressStatus('l@x.example');
    expect(s.emailInvalid).toBe(true);
    expect(s.emailInvalidCause).toMatch(/^escalated: 3 soft bounces/);
  });

  it('escalation to suspend', async () => {
    const { store, ingest } = setup({ escalation: { enabled: true, softBounces: 2, distinctDays: 2, withinDays: 7, action: 'suspend' } });
    const soft = { category: 4 as Category, reason: 'systemerror' as Reason };
    await ingest(analysis('bounce', [rr('m@x.example', soft)]), T0);
    await ingest(analysis('bounce', [rr('m@x.example', soft)]), T0 + DAY);
    expect(store.addressStatus('m@x.example')).toMatchObject({ emailSuspended: true, emailSuspendedAt: T0 + DAY, emailInvalid: false });
  });

  it('a bounce reaching us after a reset applies again (the operator could not have seen it)', async () => {
    const { store, ingest, setNow } = setup();
    await ingest(analysis('bounce', [rr('n@x.example')]), T0);
    setNow(T0 + HOUR);
    store.reset('n@x.example', 'all', 'test', 'ops');
    expect(store.mayISend('n@x.example').verdict).toBe('ok');
    // Reprocessing the old message keeps its receipt order: it stays cleared.
    await store.reprocess({ all: true });
    expect(store.mayISend('n@x.example').verdict).toBe('ok');
    // A new invalid bounce received later sets it again.
    setNow(T0 + 2 * HOUR);
    await ingest(analysis('bounce', [rr('n@x.example')]), T0 + 2 * HOUR);
    expect(store.mayISend('n@x.example').verdict).toBe('invalid');
  });

  it('the fold follows when rebound stored a message, not its (IMAP INTERNALDATE) receipt time', async () => {
    const { store, ingest, setNow } = setup();
    setNow(T0 + 2 * HOUR);
    store.reset('u@x.example', 'all', 'customer asked', 'ops');
    setNow(T0 + 3 * HOUR);
    // Sat in the IMAP folder since T0 + 1 h, fetched after the reset: the operator never saw it.
    await ingest(analysis('bounce', [rr('u@x.example')]), T0 + HOUR);
    expect(store.addressStatus('u@x.example')).toMatchObject({ emailInvalid: true, emailInvalidAt: T0 + HOUR });
  });

  it('lists, imports and stats', async () => {
    const { store, ingest } = setup();
    await ingest(analysis('bounce', [rr('o@x.example'), rr('p@x.example', { category: 1, reason: 'blocked', likelyFalsePositive: true })]));
    const imp = store.importSuppressions(
      [
        { address: 'q@x.example', what: 'invalid', cause: 'old ESP list', at: T0 - DAY },
        { address: 'not an address', what: 'invalid' },
        { address: 'r@x.example', what: 'complained' },
      ],
      'importer',
    );
    expect(imp.imported).toBe(2);
    expect(imp.skipped).toEqual([{ line: 2, address: 'not an address', why: 'not an email address' }]);
    expect(store.list('invalid').map((e) => e.address)).toEqual(['q@x.example', 'o@x.example']);
    expect(store.list('invalid', T0).map((e) => e.address)).toEqual(['o@x.example']);
    expect(store.list('suspended')[0]).toMatchObject({ address: 'p@x.example', active: true, until: T0 + DAY });
    expect(store.list('complained').map((e) => e.address)).toEqual(['r@x.example']);
    const st = store.stats();
    expect(st.addresses).toMatchObject({ known: 4, invalid: 2, suspended: 1, suspendedNow: 1, complained: 1 });
    expect(st.events.byCategory).toEqual({ '1': 1, '2': 1 });
    expect([...store.exportAddresses()].map((a) => a.address)).toEqual(['o@x.example', 'p@x.example', 'q@x.example', 'r@x.example']);
  });

  it('unknown addresses may be mailed', () => {
    const { store } = setup();
    expect(store.addressStatus('nobody@x.example')).toMatchObject({ known: false, mayISend: { verdict: 'ok' } });
  });
});

describe('store: attribution by the VERP token', () => {
  // What intake would have learned at RCPT for each return path (Envelope.returnPaths).
  const tokens: Record<string, ReturnPathVerdict> = {
    'bounces+zoe=x.example@b.example': { returnPath: 'bounces+zoe=x.example@b.example', address: 'Zoe@X.example', status: 'unsigned', verified: true, mayChangeState: true },
    'bounces+forged@b.example': { returnPath: 'bounces+forged@b.example', address: 'victim@x.example', status: 'bad-signature', verified: false, mayChangeState: false },
  };
  const make = () =>
    openProcessingStore({
      path: ':memory:',
      clock: () => T0,
      analyze: (raw) => JSON.parse(raw.toString('utf8')) as Analysis,
    });
  const env = (rcpt: string): Envelope => ({ source: 'smtp', origin: '', mailFrom: '', rcptTo: [rcpt], receivedAt: T0, returnPaths: tokens[rcpt] ? [tokens[rcpt]] : [] });
  let n = 0;
  const save = (store: ReturnType<typeof make>, rcpt: string, results: ReturnType<typeof rr>[]) =>
    store.saveMessage(env(rcpt), Buffer.from(JSON.stringify(analysis('bounce', results)) + ' '.repeat(++n)));

  it('a report naming nobody is attributed to the token; without a token it is recorded only', async () => {
    const store = make();
    const one = save(store, 'bounces+zoe=x.example@b.example', [rr('')]);
    expect((await store.processMessage(one.id)).state).toBe('processed');
    expect(store.mayISend('zoe@x.example').verdict).toBe('invalid');
    const two = save(store, 'someone@else.example', [rr('')]);
    expect(await store.processMessage(two.id)).toMatchObject({ state: 'failed', error: 'bounce: no recipient found' });
  });

  it('the token names the address before the report does (a forwarding target in the report)', async () => {
    const store = make();
    const m = save(store, 'bounces+zoe=x.example@b.example', [rr('zoe.forward@elsewhere.example')]);
    await store.processMessage(m.id);
    expect(store.mayISend('zoe@x.example').verdict).toBe('invalid');
    expect(store.mayISend('zoe.forward@elsewhere.example').verdict).toBe('ok');
  });

  it('a report naming several addresses keeps them: the token cannot say which failed', async () => {
    const store = make();
    const m = save(store, 'bounces+zoe=x.example@b.example', [rr('a@alias.example'), rr('b@alias.example')]);
    await store.processMessage(m.id);
    expect(store.mayISend('a@alias.example').verdict).toBe('invalid');
    expect(store.mayISend('b@alias.example').verdict).toBe('invalid');
  });

  it('a token whose signature failed records the bounce but changes no state', async () => {
    const store = make();
    const m = save(store, 'bounces+forged@b.example', [rr('victim@x.example')]);
    expect((await store.processMessage(m.id)).state).toBe('processed');
    expect(store.mayISend('victim@x.example').verdict).toBe('ok');
    expect(store.history('victim@x.example').length).toBeGreaterThan(0);
  });
});

describe('store: IMAP cursor, prune, schema version', () => {
  it('keeps an IMAP cursor per account and folder', () => {
    const { store } = setup();
    expect(store.getImapCursor('acct', 'INBOX')).toBeUndefined();
    store.setImapCursor('acct', 'INBOX', { uidValidity: 42, lastUid: 7 });
    store.setImapCursor('acct', 'INBOX', { uidValidity: 42, lastUid: 9 });
    expect(store.getImapCursor('acct', 'INBOX')).toEqual({ uidValidity: 42, lastUid: 9 });
    expect(store.getImapCursor('acct', 'Junk')).toBeUndefined();
  });

  it('saves IMAP mailbox health, merges updates (a failure keeps the last success), and shows it in stats', () => {
    const { store, setNow } = setup();
    expect(store.getImapHealth()).toEqual([]);
    expect(store.stats().imap).toEqual([]);

    // A successful pass.
    expect(store.saveImapHealth({ mailbox: 'main', lastRunAt: T0, lastSuccessAt: T0 + 5, backlog: 3, messagesLastRun: 25 })).toEqual({
      mailbox: 'main',
      lastRunAt: T0,
      lastSuccessAt: T0 + 5,
      lastError: null,
      lastErrorAt: null,
      backlog: 3,
      messagesLastRun: 25,
      updatedAt: T0,
    });

    // A failed pass overwrites run time, error and count; the success and backlog stay.
    setNow(T0 + HOUR);
    store.saveImapHealth({ mailbox: 'main', lastRunAt: T0 + HOUR, lastError: 'login failed', lastErrorAt: T0 + HOUR, messagesLastRun: null });
    store.saveImapHealth({ mailbox: 'junk', lastRunAt: T0 + HOUR, lastSuccessAt: T0 + HOUR, backlog: 0, messagesLastRun: 0 });
    expect(store.getImapHealth('main')).toEqual([
      {
        mailbox: 'main',
        lastRunAt: T0 + HOUR,
        lastSuccessAt: T0 + 5,
        lastError: 'login failed',
        lastErrorAt: T0 + HOUR,
        backlog: 3,
        messagesLastRun: null,
        updatedAt: T0 + HOUR,
      },
    ]);

    // A later success: the error stays as history, its time tells it is older than the success.
    setNow(T0 + 2 * HOUR);
    store.saveImapHealth({ mailbox: 'main', lastRunAt: T0 + 2 * HOUR, lastSuccessAt: T0 + 2 * HOUR, backlog: 0, messagesLastRun: 3 });
    const st = store.stats();
    expect(st.imap.map((h) => h.mailbox)).toEqual(['junk', 'main']);
    expect(st.imap[1]).toMatchObject({ lastSuccessAt: T0 + 2 * HOUR, lastError: 'login failed', lastErrorAt: T0 + HOUR, backlog: 0, messagesLastRun: 3 });
    expect(store.getImapHealth('nope')).toEqual([]);
  });

  it('prune drops raw bytes of finished messages but keeps state-bearing events', async () => {
    const { store, ingest, setNow } = setup();
    await ingest(analysis('bounce', [rr('s@x.example')]));
    await ingest(analysis('bounce', [rr('s@x.example', { category: 3, reason: 'mailboxfull' })]));
    const failed = await ingest({ throw: 'bad' });
    setNow(T0 + 100 * DAY);
    const r = store.prune(30 * DAY, 30 * DAY);
    expect(r).toEqual({ rawDropped: 2, eventsDeleted: 1 });
    expect(store.getMessage(failed.id)!.raw).not.toBeNull();
    await store.reprocess({ all: true });
    expect(store.mayISend('s@x.example').verdict).toBe('invalid');
    // Forcing one pruned message directly does not erase its events either.
    const first = store.history('s@x.example').find((e) => e.effect === 'invalid')!.messageId!;
    expect(await store.processMessage(first, { force: true })).toMatchObject({ skipped: true, error: 'raw message pruned' });
    expect(store.mayISend('s@x.example').verdict).toBe('invalid');
  });
});
