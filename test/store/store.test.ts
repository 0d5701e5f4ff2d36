/**
 * store contract tests, run unchanged against both backends through the one asynchronous seam
 * (src/store/api.ts StoreApi; support/store-backends.ts): SQLite on a temporary file and
 * PostgreSQL on a private cluster, each with the real migrations, a fresh store per test,
 * hand-built Analysis objects fed through the `analyze` hook (the raw "message" is the Analysis
 * as JSON) and a controllable clock. Processing goes through the store's claim/process methods
 * with the real planner (pipeline/plan.ts).
 */
import { describe, expect, it } from 'vitest';
import { BackupNotSupportedError, type StoreApi } from '../../src/store/index.js';
import { collect } from '../support/collect.js';
import { processing, storeBackends, type OpenOptions, type StoreBackend } from '../support/store-backends.js';
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

for (const b of storeBackends) describe.skipIf(b.skip !== '')(b.title('store'), () => contract(b));

function contract(b: StoreBackend): void {
  async function setup(state: OpenOptions['state'] = {}) {
    let now = T0;
    const store = await b.open({ clock: () => now, state });
    const p = processing(store, {
      analyze: (raw) => {
        const a = JSON.parse(raw.toString('utf8')) as Analysis & { throw?: string };
        if (a.throw) throw new Error(a.throw);
        return a;
      },
    });
    const ingest = async (a: Analysis | Record<string, unknown>, receivedAt = now) => {
      const env: Envelope = { source: 'file', origin: 'test', mailFrom: '', rcptTo: ['b@bounce.example'], receivedAt };
      const raw = Buffer.from(JSON.stringify({ ...a, _n: seq++ }));
      const { id } = await store.saveMessage(env, raw);
      return await p.processMessage(id);
    };
    return { store, p, ingest, setNow: (t: number) => (now = t), now: () => now };
  }

  describe('store: messages', () => {
    it('saves, dedups by content hash, and keeps the raw bytes', async () => {
      const { store } = await setup();
      const env: Envelope = { source: 'smtp', origin: '127.0.0.1', mailFrom: '', rcptTo: ['x@b.example'], receivedAt: T0 };
      const a = await store.saveMessage(env, Buffer.from('hello'));
      const b = await store.saveMessage(env, Buffer.from('hello'));
      expect(a.duplicate).toBe(false);
      expect(b).toEqual({ id: a.id, duplicate: true });
      const m = (await store.getMessage(a.id))!;
      expect(m.raw?.toString()).toBe('hello');
      expect(m.state).toBe('pending');
      expect(m.env.rcptTo).toEqual(['x@b.example']);
      expect(m.sha256).toMatch(/^[0-9a-f]{64}$/);
    });

    it('saveMessages commits a batch and reports duplicates inside it', async () => {
      const { store } = await setup();
      const env: Envelope = { source: 'file', origin: 'f', mailFrom: '', rcptTo: [], receivedAt: T0 };
      const r = await store.saveMessages([
        { env, raw: Buffer.from('a') },
        { env, raw: Buffer.from('b') },
        { env, raw: Buffer.from('a') },
      ]);
      expect(r.map((x) => x.duplicate)).toEqual([false, false, true]);
      expect(r[2]!.id).toBe(r[0]!.id);
      expect((await store.stats()).messages.total).toBe(2);
    });

    it('an analyzer crash marks the message failed, keeps it, and reprocess retries it', async () => {
      const { store, p, ingest } = await setup();
      const out = await ingest({ throw: 'boom' });
      expect(out.state).toBe('failed');
      expect(out.error).toContain('boom');
      const m = (await store.getMessage(out.id))!;
      expect(m.state).toBe('failed');
      expect(m.raw).not.toBeNull();
      expect(await p.processPending()).toBe(0);
      expect(await p.reprocess({ states: ['failed'] })).toHaveLength(1);
    });

    it('not-a-bounce is marked and records no events', async () => {
      const { store, ingest } = await setup();
      const out = await ingest(analysis('not-bounce', []));
      expect(out.state).toBe('not-a-bounce');
      expect((await store.stats()).events.total).toBe(0);
    });

    it('a bounce with no attributable recipient is failed, with the reason', async () => {
      const { ingest } = await setup();
      const out = await ingest({ ...analysis('bounce', []), problems: ['no delivery-status part'] });
      expect(out.state).toBe('failed');
      expect(out.error).toContain('no delivery-status part');
    });

    it('processing twice is a no-op; reprocess does not double-count', async () => {
      const { store, p, ingest } = await setup();
      const out = await ingest(analysis('bounce', [rr('a@x.example', { category: 3, reason: 'mailboxfull', status: '4.2.2' })]));
      expect((await p.processMessage(out.id)).skipped).toBe(true);
      await p.reprocess({ ids: [out.id] });
      await p.reprocess({ all: true });
      expect((await store.addressStatus('a@x.example')).softBounces).toBe(1);
      expect((await store.stats()).events.total).toBe(1);
    });

    it('refuses a reprocess with no filter', async () => {
      const { store, p } = await setup();
      await expect(p.reprocess({})).rejects.toThrowErrorMatchingInlineSnapshot(`[Error: reprocess: give ids, states, a time range, or all]`);
    });
  });

  describe('store: Marketo state rules', () => {
    it('category 2 sets Email Invalid with cause and time; only reset clears it, audited', async () => {
      const { store, ingest, setNow } = await setup();
      await ingest(analysis('bounce', [rr('Bob@X.Example')]));
      const s = await store.addressStatus('bob@x.example');
      expect(s.emailInvalid).toBe(true);
      expect(s.emailInvalidAt).toBe(T0);
      expect(s.emailInvalidCause).toContain('User unknown');
      expect((await store.mayISend('BOB@x.example')).verdict).toBe('invalid');
      // Time does not clear it.
      setNow(T0 + 365 * DAY);
      expect((await store.mayISend('bob@x.example')).verdict).toBe('invalid');
      const r = await store.reset('bob@x.example', 'invalid', 'customer confirmed address', 'alice');
      expect(r.changed).toBe(true);
      expect((await store.mayISend('bob@x.example')).verdict).toBe('ok');
      const h = await store.history('bob@x.example');
      expect(h[0]).toMatchObject({ kind: 'reset', what: 'invalid', why: 'customer confirmed address', who: 'alice', at: T0 + 365 * DAY });
    });

    it('reset requires a reason', async () => {
      const { store } = await setup();
      await expect(store.reset('a@b.example', 'all', ' ', 'me')).rejects.toThrow(/reason is required/);
    });

    it('category 1 suspends for 24 h from the bounce, never invalidates; flag stays set', async () => {
      const { store, ingest, setNow } = await setup();
      const bounceAt = T0 - 2 * HOUR;
      await ingest(
        analysis('bounce', [
          rr('c@x.example', { category: 1, reason: 'blocked', status: '5.7.1', likelyFalsePositive: true, hard: false, diagnostic: '554 5.7.1 Service unavailable; Client host blocked using zen.spamhaus.org' }),
        ]),
        bounceAt,
      );
      let s = await store.addressStatus('c@x.example');
      expect(s.emailSuspended).toBe(true);
      expect(s.emailInvalid).toBe(false);
      expect(s.emailSuspendedAt).toBe(bounceAt);
      expect(s.emailSuspendedCause).toContain('spamhaus');
      expect(s.mayISend).toMatchObject({ verdict: 'suspended', until: bounceAt + DAY });
      setNow(bounceAt + DAY - 1);
      expect((await store.mayISend('c@x.example')).verdict).toBe('suspended');
      setNow(bounceAt + DAY);
      expect((await store.mayISend('c@x.example')).verdict).toBe('ok');
      s = await store.addressStatus('c@x.example');
      expect(s.emailSuspended).toBe(true);
    });

    it('suspendHours is configurable', async () => {
      const { store, ingest } = await setup({ suspendHours: 48 });
      await ingest(analysis('bounce', [rr('d@x.example', { category: 1, reason: 'blocked', likelyFalsePositive: true })]));
      expect((await store.mayISend('d@x.example', T0 + 47 * HOUR)).verdict).toBe('suspended');
      expect((await store.mayISend('d@x.example', T0 + 48 * HOUR)).verdict).toBe('ok');
    });

    it('a category 2 that is a likely false positive suspends and does not invalidate', async () => {
      const { store, ingest } = await setup();
      await ingest(analysis('bounce', [rr('e@x.example', { likelyFalsePositive: true })]));
      const s = await store.addressStatus('e@x.example');
      expect(s.emailInvalid).toBe(false);
      expect(s.emailSuspended).toBe(true);
    });

    it('a newer block refreshes Suspended At; an older one arriving late does not', async () => {
      const { store, ingest } = await setup();
      const block = { category: 1 as Category, reason: 'blocked' as Reason, likelyFalsePositive: true };
      await ingest(analysis('bounce', [rr('f@x.example', block)]), T0);
      await ingest(analysis('bounce', [rr('f@x.example', block)]), T0 + 10 * HOUR);
      expect((await store.addressStatus('f@x.example')).emailSuspendedAt).toBe(T0 + 10 * HOUR);
    });

    it('soft bounces, delays, auto-replies and read receipts change no flag', async () => {
      const { store, ingest } = await setup();
      await ingest(analysis('bounce', [rr('g@x.example', { category: 3, reason: 'mailboxfull', status: '4.2.2', hard: false })]));
      await ingest(analysis('bounce', [rr('g@x.example', { category: 4, reason: 'hostunknown', hard: false })]));
      await ingest(analysis('bounce', [rr('g@x.example', { category: 9, reason: 'undefined', hard: false })]));
      await ingest(analysis('delayed', [rr('g@x.example', { action: 'delayed', category: 3, reason: 'expired' })]));
      await ingest(analysis('autoreply', [rr('g@x.example', { action: '', category: 0, reason: 'vacation' })]));
      // Even a category-2 result inside a delay warning is only a warning.
      await ingest(analysis('bounce', [rr('g@x.example', { action: 'delayed' })]));
      const s = await store.addressStatus('g@x.example');
      expect(s).toMatchObject({ emailInvalid: false, emailSuspended: false, complained: false, softBounces: 3, events: 6 });
      expect(s.mayISend.verdict).toBe('ok');
    });

    it('a delivered report resets soft counters', async () => {
      const { store, ingest } = await setup();
      await ingest(analysis('bounce', [rr('h@x.example', { category: 3, reason: 'mailboxfull' })]));
      await ingest(analysis('bounce', [rr('h@x.example', { category: 3, reason: 'mailboxfull' })]), T0 + DAY);
      expect((await store.addressStatus('h@x.example')).softBounces).toBe(2);
      await ingest(analysis('delivered', [rr('h@x.example', { action: 'delivered', category: 0, reason: 'delivered' })]), T0 + 2 * DAY);
      expect(await store.addressStatus('h@x.example')).toMatchObject({ softBounces: 0, softDays: 0 });
    });

    it('an ARF complaint sets complained, never invalid; not-spam does not', async () => {
      const { store, ingest } = await setup();
      await ingest(analysis('feedback', [rr('i@x.example', { action: '', category: 0, reason: 'feedback', feedbackType: 'abuse' })]));
      await ingest(analysis('feedback', [rr('j@x.example', { action: '', category: 0, reason: 'feedback', feedbackType: 'not-spam' })]));
      expect(await store.addressStatus('i@x.example')).toMatchObject({ complained: true, complainedAt: T0, emailInvalid: false });
      expect((await store.mayISend('i@x.example')).verdict).toBe('complained');
      expect((await store.mayISend('j@x.example')).verdict).toBe('ok');
    });

    it('escalation is off by default', async () => {
      const { store, ingest } = await setup();
      for (let d = 0; d < 10; d++) await ingest(analysis('bounce', [rr('k@x.example', { category: 3, reason: 'mailboxfull' })]), T0 + d * DAY);
      expect(await store.addressStatus('k@x.example')).toMatchObject({ emailSuspended: false, emailInvalid: false, softBounces: 10 });
    });

    it('escalation counts at most one soft bounce per day, within the window', async () => {
      const { store, ingest } = await setup({ escalation: { enabled: true, softBounces: 3, distinctDays: 3, withinDays: 10, action: 'invalid' } });
      const soft = { category: 3 as Category, reason: 'mailboxfull' as Reason };
      // Five on one day count once.
      for (let i = 0; i < 5; i++) await ingest(analysis('bounce', [rr('l@x.example', soft)]), T0 + i * HOUR);
      expect(await store.addressStatus('l@x.example')).toMatchObject({ softDays: 1, emailInvalid: false });
      // A second day 20 days later: the first has left the 10-day window.
      await ingest(analysis('bounce', [rr('l@x.example', soft)]), T0 + 20 * DAY);
      await ingest(analysis('bounce', [rr('l@x.example', soft)]), T0 + 21 * DAY);
      expect(await store.addressStatus('l@x.example')).toMatchObject({ softDays: 2, emailInvalid: false });
      await ingest(analysis('bounce', [rr('l@x.example', soft)]), T0 + 22 * DAY);
      const s = await store.addressStatus('l@x.example');
      expect(s.emailInvalid).toBe(true);
      expect(s.emailInvalidCause).toMatch(/^escalated: 3 soft bounces/);
    });

    it('escalation to suspend', async () => {
      const { store, ingest } = await setup({ escalation: { enabled: true, softBounces: 2, distinctDays: 2, withinDays: 7, action: 'suspend' } });
      const soft = { category: 4 as Category, reason: 'systemerror' as Reason };
      await ingest(analysis('bounce', [rr('m@x.example', soft)]), T0);
      await ingest(analysis('bounce', [rr('m@x.example', soft)]), T0 + DAY);
      expect(await store.addressStatus('m@x.example')).toMatchObject({ emailSuspended: true, emailSuspendedAt: T0 + DAY, emailInvalid: false });
    });

    it('a bounce reaching us after a reset applies again (the operator could not have seen it)', async () => {
      const { store, p, ingest, setNow } = await setup();
      await ingest(analysis('bounce', [rr('n@x.example')]), T0);
      setNow(T0 + HOUR);
      await store.reset('n@x.example', 'all', 'test', 'ops');
      expect((await store.mayISend('n@x.example')).verdict).toBe('ok');
      // Reprocessing the old message keeps its receipt order: it stays cleared.
      await p.reprocess({ all: true });
      expect((await store.mayISend('n@x.example')).verdict).toBe('ok');
      // A new invalid bounce received later sets it again.
      setNow(T0 + 2 * HOUR);
      await ingest(analysis('bounce', [rr('n@x.example')]), T0 + 2 * HOUR);
      expect((await store.mayISend('n@x.example')).verdict).toBe('invalid');
    });

    it('the fold follows when rebound stored a message, not its (IMAP INTERNALDATE) receipt time', async () => {
      const { store, ingest, setNow } = await setup();
      setNow(T0 + 2 * HOUR);
      await store.reset('u@x.example', 'all', 'customer asked', 'ops');
      setNow(T0 + 3 * HOUR);
      // Sat in the IMAP folder since T0 + 1 h, fetched after the reset: the operator never saw it.
      await ingest(analysis('bounce', [rr('u@x.example')]), T0 + HOUR);
      expect(await store.addressStatus('u@x.example')).toMatchObject({ emailInvalid: true, emailInvalidAt: T0 + HOUR });
    });

    it('lists, imports and stats', async () => {
      const { store, ingest } = await setup();
      await ingest(analysis('bounce', [rr('o@x.example'), rr('p@x.example', { category: 1, reason: 'blocked', likelyFalsePositive: true })]));
      const imp = await store.importSuppressions(
        [
          { address: 'q@x.example', what: 'invalid', cause: 'old ESP list', at: T0 - DAY },
          { address: 'not an address', what: 'invalid' },
          { address: 'r@x.example', what: 'complained' },
        ],
        'importer',
      );
      expect(imp.imported).toBe(2);
      expect(imp.skipped).toEqual([{ line: 2, address: 'not an address', why: 'not an email address' }]);
      expect((await store.list('invalid')).map((e) => e.address)).toEqual(['q@x.example', 'o@x.example']);
      expect((await store.list('invalid', T0)).map((e) => e.address)).toEqual(['o@x.example']);
      expect((await store.list('suspended'))[0]).toMatchObject({ address: 'p@x.example', active: true, until: T0 + DAY });
      expect((await store.list('complained')).map((e) => e.address)).toEqual(['r@x.example']);
      const st = await store.stats();
      expect(st.addresses).toMatchObject({ known: 4, invalid: 2, suspended: 1, suspendedNow: 1, complained: 1 });
      expect(st.events.byCategory).toEqual({ '1': 1, '2': 1 });
      expect((await collect(store.exportAddresses())).map((a) => a.address)).toEqual(['o@x.example', 'p@x.example', 'q@x.example', 'r@x.example']);
    });

    it('unknown addresses may be mailed', async () => {
      const { store } = await setup();
      expect(await store.addressStatus('nobody@x.example')).toMatchObject({ known: false, mayISend: { verdict: 'ok' } });
    });
  });

  describe('store: attribution by the VERP token', () => {
    // What intake would have learned at RCPT for each return path (Envelope.returnPaths).
    const tokens: Record<string, ReturnPathVerdict> = {
      'bounces+zoe=x.example@b.example': { returnPath: 'bounces+zoe=x.example@b.example', address: 'Zoe@X.example', status: 'unsigned', verified: true, mayChangeState: true },
      'bounces+forged@b.example': { returnPath: 'bounces+forged@b.example', address: 'victim@x.example', status: 'bad-signature', verified: false, mayChangeState: false },
    };
    const make = async () => {
      const store = await b.open({ clock: () => T0 });
      const p = processing(store, { analyze: (raw) => JSON.parse(raw.toString('utf8')) as Analysis });
      return { store, p };
    };
    const env = (rcpt: string): Envelope => ({ source: 'smtp', origin: '', mailFrom: '', rcptTo: [rcpt], receivedAt: T0, returnPaths: tokens[rcpt] ? [tokens[rcpt]] : [] });
    let n = 0;
    const save = (store: StoreApi, rcpt: string, results: ReturnType<typeof rr>[]) =>
      store.saveMessage(env(rcpt), Buffer.from(JSON.stringify(analysis('bounce', results)) + ' '.repeat(++n)));

    it('a report naming nobody is attributed to the token; without a token it is recorded only', async () => {
      const { store, p } = await make();
      const one = await save(store, 'bounces+zoe=x.example@b.example', [rr('')]);
      expect((await p.processMessage(one.id)).state).toBe('processed');
      expect((await store.mayISend('zoe@x.example')).verdict).toBe('invalid');
      const two = await save(store, 'someone@else.example', [rr('')]);
      expect(await p.processMessage(two.id)).toMatchObject({ state: 'failed', error: 'bounce: no recipient found' });
    });

    it('the token names the address before the report does (a forwarding target in the report)', async () => {
      const { store, p } = await make();
      const m = await save(store, 'bounces+zoe=x.example@b.example', [rr('zoe.forward@elsewhere.example')]);
      await p.processMessage(m.id);
      expect((await store.mayISend('zoe@x.example')).verdict).toBe('invalid');
      expect((await store.mayISend('zoe.forward@elsewhere.example')).verdict).toBe('ok');
    });

    it('a report naming several addresses keeps them: the token cannot say which failed', async () => {
      const { store, p } = await make();
      const m = await save(store, 'bounces+zoe=x.example@b.example', [rr('a@alias.example'), rr('b@alias.example')]);
      await p.processMessage(m.id);
      expect((await store.mayISend('a@alias.example')).verdict).toBe('invalid');
      expect((await store.mayISend('b@alias.example')).verdict).toBe('invalid');
    });

    it('a token whose signature failed records the bounce but changes no state', async () => {
      const { store, p } = await make();
      const m = await save(store, 'bounces+forged@b.example', [rr('victim@x.example')]);
      expect((await p.processMessage(m.id)).state).toBe('processed');
      expect((await store.mayISend('victim@x.example')).verdict).toBe('ok');
      expect((await store.history('victim@x.example')).length).toBeGreaterThan(0);
    });
  });

  describe('store: IMAP cursor, prune, schema version', () => {
    it('keeps an IMAP cursor per account and folder', async () => {
      const { store } = await setup();
      expect(await store.getImapCursor('acct', 'INBOX')).toBeUndefined();
      await store.setImapCursor('acct', 'INBOX', { uidValidity: 42, lastUid: 7 });
      await store.setImapCursor('acct', 'INBOX', { uidValidity: 42, lastUid: 9 });
      expect(await store.getImapCursor('acct', 'INBOX')).toEqual({ uidValidity: 42, lastUid: 9 });
      expect(await store.getImapCursor('acct', 'Junk')).toBeUndefined();
    });

    it('saves IMAP mailbox health, merges updates (a failure keeps the last success), and shows it in stats', async () => {
      const { store, setNow } = await setup();
      expect(await store.getImapHealth()).toEqual([]);
      expect((await store.stats()).imap).toEqual([]);

      // A successful pass.
      expect(await store.saveImapHealth({ mailbox: 'main', lastRunAt: T0, lastSuccessAt: T0 + 5, backlog: 3, messagesLastRun: 25 })).toEqual({
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
      await store.saveImapHealth({ mailbox: 'main', lastRunAt: T0 + HOUR, lastError: 'login failed', lastErrorAt: T0 + HOUR, messagesLastRun: null });
      await store.saveImapHealth({ mailbox: 'junk', lastRunAt: T0 + HOUR, lastSuccessAt: T0 + HOUR, backlog: 0, messagesLastRun: 0 });
      expect(await store.getImapHealth('main')).toEqual([
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
      await store.saveImapHealth({ mailbox: 'main', lastRunAt: T0 + 2 * HOUR, lastSuccessAt: T0 + 2 * HOUR, backlog: 0, messagesLastRun: 3 });
      const st = await store.stats();
      expect(st.imap.map((h) => h.mailbox)).toEqual(['junk', 'main']);
      expect(st.imap[1]).toMatchObject({ lastSuccessAt: T0 + 2 * HOUR, lastError: 'login failed', lastErrorAt: T0 + HOUR, backlog: 0, messagesLastRun: 3 });
      expect(await store.getImapHealth('nope')).toEqual([]);
    });

    it('prune drops raw bytes of finished messages but keeps state-bearing events', async () => {
      const { store, p, ingest, setNow } = await setup();
      await ingest(analysis('bounce', [rr('s@x.example')]));
      await ingest(analysis('bounce', [rr('s@x.example', { category: 3, reason: 'mailboxfull' })]));
      const failed = await ingest({ throw: 'bad' });
      setNow(T0 + 100 * DAY);
      const r = await store.prune(30 * DAY, 30 * DAY);
      expect(r).toEqual({ rawDropped: 2, eventsDeleted: 1 });
      expect((await store.getMessage(failed.id))!.raw).not.toBeNull();
      await p.reprocess({ all: true });
      expect((await store.mayISend('s@x.example')).verdict).toBe('invalid');
      // Forcing one pruned message directly does not erase its events either.
      const first = (await store.history('s@x.example')).find((e) => e.effect === 'invalid')!.messageId!;
      expect(await p.processMessage(first, { force: true })).toMatchObject({ skipped: true, error: 'raw message pruned' });
      expect((await store.mayISend('s@x.example')).verdict).toBe('invalid');
    });
  });

  describe('store: ingest, claims, iteration, verify, housekeeping', () => {
    const bounce = (address: string, n: number) => Buffer.from(JSON.stringify({ ...analysis('bounce', [rr(address)]), _n: `seam-${n}` }));
    const env: Envelope = { source: 'file', origin: 'test', mailFrom: '', rcptTo: [], receivedAt: T0 };

    it('commitIngest stores and processes a batch at once; a second run finds it finished and stores nothing twice', async () => {
      const { store, p } = await setup();
      const raws = [bounce('v1@x.example', 1), bounce('v2@x.example', 2), bounce('v1@x.example', 1)];
      const checks = await store.ingestChecks(raws);
      expect(checks.map((c) => c.done)).toEqual([false, false, false]);
      expect(checks[0]!.sha256).toBe(checks[2]!.sha256);
      const plans = await Promise.all(raws.map((raw) => p.plan({ id: 0, raw, env } as never)));
      const first = await store.commitIngest(raws.map((raw, i) => ({ env, raw, sha256: checks[i]!.sha256, plan: plans[i]! })));
      expect(first.map((r) => [r.duplicate, r.outcome.state, r.outcome.skipped])).toEqual([
        [false, 'processed', false],
        [false, 'processed', false],
        [true, 'processed', true],
      ]);
      expect(first[2]!.id).toBe(first[0]!.id);
      expect((await store.mayISend('v2@x.example')).verdict).toBe('invalid');
      const again = await store.ingestChecks(raws);
      expect(again.map((c) => c.done)).toEqual([true, true, true]);
      const second = await store.commitIngest(raws.map((raw, i) => ({ env, raw, sha256: again[i]!.sha256, plan: null })));
      expect(second.map((r) => [r.id, r.duplicate, r.outcome.skipped])).toEqual(first.map((r) => [r.id, true, true]));
      await store.sync();
      expect((await store.stats()).messages).toMatchObject({ total: 2, processed: 2 });
      expect((await store.stats()).events.total).toBe(2);
    });

    it('claimPending takes the oldest pending messages; claimIds skips finished ones, one outcome per id', async () => {
      const { store, p } = await setup();
      const ids: number[] = [];
      for (let i = 0; i < 5; i++) ids.push((await store.saveMessage(env, bounce(`w${i}@x.example`, 10 + i))).id);
      expect(await store.pendingIds(10)).toEqual(ids);
      const got = await store.claimPending(2, p.plan);
      expect(got.map((o) => [o.id, o.state, o.skipped])).toEqual([
        [ids[0], 'processed', false],
        [ids[1], 'processed', false],
      ]);
      expect(got[0]!.addresses).toEqual(['w0@x.example']);
      const claimed = await store.claimIds([ids[1]!, ids[2]!], p.plan);
      expect(claimed.map((o) => [o.id, o.skipped])).toEqual([
        [ids[1], true],
        [ids[2], false],
      ]);
      expect(await store.pendingIds(10)).toEqual(ids.slice(3));
      expect(await store.claimPending(10, p.plan)).toHaveLength(2);
      expect(await store.claimPending(10, p.plan)).toEqual([]);
    });

    it('claims in flight at once take different messages, and a message given twice is processed once', async () => {
      const { store, p } = await setup();
      const ids: number[] = [];
      for (let i = 0; i < 10; i++) ids.push((await store.saveMessage(env, bounce(`cc${i}@x.example`, 30 + i))).id);
      // A slow planner keeps both claims open at once (as a pipeline's two lanes are).
      const slow = async (msg: Parameters<typeof p.plan>[0]) => {
        await new Promise((r) => setTimeout(r, 5));
        return p.plan(msg);
      };
      const [a, c] = await Promise.all([store.claimPending(5, slow), store.claimPending(5, slow)]);
      const all = [...a, ...c];
      expect(all.filter((o) => o.skipped)).toEqual([]);
      expect(all.map((o) => o.id).sort((x, y) => x - y)).toEqual(ids);
      expect((await store.stats()).events.total).toBe(10);
      const more = (await store.saveMessage(env, bounce('cc10@x.example', 40))).id;
      const [x, y] = await Promise.all([store.claimIds([more], slow), store.claimIds([more], slow)]);
      expect([x[0]!.skipped, y[0]!.skipped].sort()).toEqual([false, true]);
      expect((await store.stats()).events.total).toBe(11);
    });

    it('history, lists and the export read as iterated give what the lists give, and a loop left early frees the store', async () => {
      const { store, ingest, setNow } = await setup();
      for (let i = 0; i < 7; i++) await ingest(analysis('bounce', [rr(`it${i % 3}@x.example`, i % 2 ? { category: 1, reason: 'blocked', likelyFalsePositive: true } : {})]));
      setNow(T0 + HOUR);
      await store.reset('it0@x.example', 'suspended', 'checked', 'ops');
      expect(await collect(store.historyEntries('it0@x.example'))).toEqual(await store.history('it0@x.example'));
      expect(await collect(store.historyEntries('it0@x.example', 2))).toEqual((await store.history('it0@x.example')).slice(0, 2));
      expect((await store.history('it0@x.example'))[0]).toMatchObject({ kind: 'reset', what: 'suspended', who: 'ops' });
      for (const kind of ['invalid', 'suspended', 'complained'] as const) expect(await collect(store.listEntries(kind))).toEqual(await store.list(kind));
      expect((await collect(store.exportAddresses())).map((a) => a.address)).toEqual(['it0@x.example', 'it1@x.example', 'it2@x.example']);
      // Readers that go away (`| head`): more of them than a pool has connections, then a query.
      for (let i = 0; i < 6; i++) {
        for await (const a of store.exportAddresses()) {
          expect(a.address).toBe('it0@x.example');
          break;
        }
        for await (const e of store.historyEntries('it1@x.example')) {
          expect(e.kind).toBe('event');
          break;
        }
      }
      expect((await store.addressStatus('it1@x.example')).known).toBe(true);
    });

    it('verifyState finds a damaged row field by field and repairs it; a consistent store yields nothing', async () => {
      const { store, ingest } = await setup();
      await ingest(analysis('bounce', [rr('vs1@x.example'), rr('vs2@x.example', { category: 3, reason: 'mailboxfull' })]));
      await ingest(analysis('bounce', [rr('vs2@x.example', { category: 3, reason: 'mailboxfull' })]), T0 + DAY);
      const run = async (opts: Parameters<StoreApi['verifyState']>[0] = {}) => {
        const it = store.verifyState(opts);
        const found = [];
        let r = await it.next();
        for (; !r.done; r = await it.next()) found.push(r.value);
        return { found, summary: r.value };
      };
      expect(await run()).toEqual({ found: [], summary: { checked: 2, differing: 0, repaired: 0 } });
      await b.sql(store, `UPDATE addresses SET soft_bounces = 7, events = 9 WHERE address = 'vs2@x.example'`);
      const seen = await run();
      expect(seen.summary).toEqual({ checked: 2, differing: 1, repaired: 0 });
      expect(seen.found[0]).toMatchObject({ address: 'vs2@x.example', fields: ['softBounces', 'events'], repaired: false });
      expect(seen.found[0]!.computed!.state).toMatchObject({ softBounces: 2, events: 2 });
      const fixed = await run({ repair: true, addresses: ['VS2@x.example'] });
      expect(fixed.summary).toEqual({ checked: 1, differing: 1, repaired: 1 });
      expect(await run()).toEqual({ found: [], summary: { checked: 2, differing: 0, repaired: 0 } });
      expect(await store.addressStatus('vs2@x.example')).toMatchObject({ softBounces: 2, events: 2 });
    });

    it('checkpoint is safe to call at any time', async () => {
      const { store, ingest } = await setup();
      await ingest(analysis('bounce', [rr('cp@x.example')]));
      await store.checkpoint();
      expect((await store.mayISend('cp@x.example')).verdict).toBe('invalid');
    });

    // Where the backends differ on purpose (and say so).
    if (b.name === 'sqlite') {
      it('sqlite: backup writes an online copy of the file; IMAP leases are granted at once (one daemon owns the file)', async () => {
        const { store, ingest } = await setup();
        await ingest(analysis('bounce', [rr('bk@x.example')]));
        const copy = `${store.path}.copy`;
        await store.backup(copy);
        const rows = await b.sql({ ...store, path: copy } as StoreApi, `SELECT email_invalid FROM addresses WHERE address = 'bk@x.example'`);
        expect(rows).toEqual([{ email_invalid: 1 }]);
        expect(await store.acquireImapLease('acct', 'INBOX', 'host-a', 60_000)).toBe(true);
        expect(await store.acquireImapLease('acct', 'INBOX', 'host-b', 60_000)).toBe(true);
        expect(await store.imapLeaseHolder('acct', 'INBOX')).toBeNull();
        expect(await store.setImapCursor('acct', 'INBOX', { uidValidity: 1, lastUid: 2 }, 'host-b')).toBe(true);
        expect(await store.durabilityWarning()).toBe('');
      });
    } else {
      it('postgresql: backup is refused and names pg_dump; an IMAP folder has one lease holder at a time', async () => {
        const { store } = await setup();
        const err = await store.backup('/nonexistent/x.db').catch((e: unknown) => e);
        expect(err).toBeInstanceOf(BackupNotSupportedError);
        expect((err as Error).message).toMatch(/pg_dump --format=custom/);
        expect(await store.acquireImapLease('acct', 'INBOX', 'host-a', 60_000)).toBe(true);
        expect(await store.acquireImapLease('acct', 'INBOX', 'host-b', 60_000)).toBe(false);
        expect(await store.imapLeaseHolder('acct', 'INBOX')).toBe('host-a');
        expect(await store.setImapCursor('acct', 'INBOX', { uidValidity: 1, lastUid: 2 }, 'host-b')).toBe(false);
        expect(await store.setImapCursor('acct', 'INBOX', { uidValidity: 1, lastUid: 2 }, 'host-a')).toBe(true);
        await store.releaseImapLease('acct', 'INBOX', 'host-a');
        expect(await store.acquireImapLease('acct', 'INBOX', 'host-b', 60_000)).toBe(true);
      });
    }
  });
}
