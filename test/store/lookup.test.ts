/**
 * store/lookup - the fast "may I send?" path answers exactly as the store does, sees writes made
 * by another handle from the next event-loop turn on, and never holds a read transaction past the
 * turn (a WAL checkpoint that waits for readers must not wait for it); its close() leaves the
 * process's other SQLite locks alone. Also: the hand-written JSON of verdictJson is
 * byte-identical to JSON.stringify(verdictReply).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verdictJson, verdictReply } from '../../src/control/commands.js';
import { openLookup, type Lookup } from '../../src/store/lookup.js';
import { openStore, type Store } from '../../src/store/index.js';

const HOUR = 3_600_000;
const dir = mkdtempSync(join(tmpdir(), 'rebound-lookup-'));
const dbPath = join(dir, 'rebound.db');
const now = Date.now();
let writer: Store;
let reader: Store;
let fast: Lookup;
const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

const addresses = [
  'invalid@example.com',
  'Suspended@Example.COM',
  'old-suspension@example.com',
  'complained@example.com',
  'nobody@example.com',
  '<invalid@example.com>',
  'not an address',
  'x@bücher.example',
];

beforeAll(() => {
  writer = openStore({ path: dbPath, clock: () => now });
  writer.importSuppressions(
    [
      { address: 'invalid@example.com', what: 'invalid', cause: '550 5.1.1 user unknown', at: now - HOUR },
      { address: 'suspended@example.com', what: 'suspended', cause: '554 5.7.1 "blocked"', at: now - HOUR },
      { address: 'old-suspension@example.com', what: 'suspended', cause: '421 try later', at: now - 48 * HOUR },
      { address: 'complained@example.com', what: 'complained', cause: 'abuse report', at: now - HOUR },
      { address: 'x@xn--bcher-kva.example', what: 'invalid', cause: '550 no such user', at: now - HOUR },
    ],
    'test',
  );
  reader = openStore({ path: dbPath, readonly: true, state: { suspendHours: 12 } });
  fast = openLookup({ path: dbPath, state: { suspendHours: 12 } });
});

afterAll(() => {
  fast?.close();
  reader?.close();
  writer?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('openLookup', () => {
  it('answers as store.mayISend does, one at a time and many in one turn', async () => {
    for (const t of [now, now + 6 * HOUR, now + 12 * HOUR]) {
      for (const a of addresses) {
        await nextTurn();
        expect(fast.mayISend(a, t)).toEqual(reader.mayISend(a, t));
      }
      // All in one turn: the second and later lookups share a read transaction.
      const batch = addresses.map((a) => fast.mayISend(a, t));
      expect(batch).toEqual(addresses.map((a) => reader.mayISend(a, t)));
    }
    expect(fast.mayISend('suspended@example.com', now)).toMatchObject({ verdict: 'suspended', until: now - HOUR + 12 * HOUR });
  });

  it('sees a write made by another handle from the next turn on', async () => {
    expect(fast.mayISend('invalid@example.com', now).verdict).toBe('invalid');
    fast.mayISend('nobody@example.com', now); // a transaction is now open for this turn
    await nextTurn();
    writer.reset('invalid@example.com', 'invalid', 'mailbox fixed', 'test');
    expect(fast.mayISend('invalid@example.com', now).verdict).toBe('ok');
    expect(fast.mayISend('invalid@example.com', now).verdict).toBe('ok');
    await nextTurn();
    writer.importSuppressions([{ address: 'invalid@example.com', what: 'invalid', cause: '550 again', at: now }], 'test');
    fast.mayISend('nobody@example.com', now);
    expect(fast.mayISend('invalid@example.com', now)).toMatchObject({ verdict: 'invalid', cause: '550 again' });
  });

  it('holds no read transaction once the turn is over, so a TRUNCATE checkpoint does not wait', async () => {
    const raw = new Database(dbPath, { fileMustExist: true });
    raw.pragma('busy_timeout = 0');
    writer.reset('complained@example.com', 'complained', 'test', 'test'); // something in the WAL
    for (let i = 0; i < 5; i++) fast.mayISend(`user${i}@example.com`, now);
    // Within the turn the snapshot is held (which is what makes a checkpoint wait)...
    expect(raw.pragma('wal_checkpoint(TRUNCATE)')).toEqual([expect.objectContaining({ busy: 1 })]);
    await nextTurn();
    // ...and after it, not.
    // busy = 1 would mean a reader still holds an old snapshot.
    expect(raw.pragma('wal_checkpoint(TRUNCATE)')).toEqual([expect.objectContaining({ busy: 0 })]);
    raw.close();
  });

  it('refuses lookups after close', () => {
    const l = openLookup({ path: dbPath });
    l.mayISend('a@example.com');
    l.close();
    expect(() => l.mayISend('a@example.com')).toThrow(/closed/);
  });
});

describe('openLookup turn after turn', () => {
  it('answers as store.mayISend does, turn after turn and within one turn', async () => {
    const held = openLookup({ path: dbPath, state: { suspendHours: 12 } });
    try {
      for (const a of addresses) {
        await nextTurn();
        expect(held.mayISend(a, now)).toEqual(reader.mayISend(a, now));
      }
      expect(addresses.map((a) => held.mayISend(a, now))).toEqual(addresses.map((a) => reader.mayISend(a, now)));
    } finally {
      held.close();
    }
  });
});

// Closing any descriptor of a file drops every POSIX lock the process holds on it. If close()
// closed its -shm descriptor, SQLite's locks on the -shm from the other connections of this
// process would go too; another process would then truncate the -shm under their mappings
// (SIGBUS). /proc/locks shows the locks by pid and inode (Linux).
describe.skipIf(!existsSync('/proc/locks'))('openLookup close() and the other connections\' locks (/proc/locks)', () => {
  it('leaves this process\'s SQLite locks on the -shm in place', () => {
    const ino = statSync(`${dbPath}-shm`).ino;
    const mine = (): number =>
      readFileSync('/proc/locks', 'utf8')
        .split('\n')
        .filter((l) => l.includes(' POSIX ') && new RegExp(`\\s${process.pid}\\s+[0-9a-f]+:[0-9a-f]+:${ino}\\s`).test(l)).length;
    // `writer` and `reader` (beforeAll) hold SQLite's shared lock on the -shm.
    expect(mine()).toBeGreaterThan(0);
    const held = openLookup({ path: dbPath });
    held.mayISend('a@example.com', now);
    held.close();
    expect(mine()).toBeGreaterThan(0);
    expect(writer.mayISend('invalid@example.com', now)).toMatchObject({ address: 'invalid@example.com' });
  });
});

describe('verdictJson', () => {
  it('is byte-identical to JSON.stringify(verdictReply(...)) for every verdict', () => {
    const cases = [
      { address: 'a@example.com', verdict: 'ok', cause: '' },
      { address: 'we"ird\\\u00e9@example.com', verdict: 'ok', cause: '' },
      { address: 'b@example.com', verdict: 'invalid', cause: '550 "x"' },
      { address: 'c@example.com', verdict: 'complained', cause: 'abuse' },
      { address: 'd@example.com', verdict: 'suspended', cause: '421', until: now },
    ] as const;
    for (const m of cases) expect(verdictJson(m)).toBe(JSON.stringify(verdictReply(m)));
  });
});
