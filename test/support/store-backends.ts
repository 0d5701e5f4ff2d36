/**
 * support/store-backends - the store's contract tests run once per backend from one source: each
 * backend opens a fresh, empty store behind the one seam (src/store/api.ts StoreApi) - SQLite on a
 * file in a temporary directory, PostgreSQL as a database of its own on the file's private cluster
 * (support/pg.ts: started once per test file), copied from a template migrated once, so a test
 * costs a CREATE DATABASE, not the migrations. Every store a test opened is closed after it.
 *
 *   for (const b of storeBackends) describe.skipIf(b.skip !== '')(b.title('store'), () => { ... b.open() ... });
 *
 * PostgreSQL absent: its suites are skipped with the reason outside CI and fail under CI=true
 * (support/pg-cluster.mjs pgMissing). `processing` drives the store's claim/process methods with
 * the real planner (pipeline/plan.ts planMessage) and an `analyze` hook, as a pipeline does.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach } from 'vitest';
import { defaultAnalyze, planMessage, type AnalyzeFn } from '../../src/pipeline/plan.js';
import type { Planner, ProcessOutcome, ReprocessFilter, StateRules, StoreApi } from '../../src/store/index.js';
import type { PgStore } from '../../src/store/postgresql/index.js';
import { openStoreApi } from '../../src/store/open.js';
import { pgCluster, pgSkip } from './pg.js';

export interface OpenOptions {
  /** Milliseconds since the epoch (default Date.now). */
  clock?: () => number;
  /** The state rules (suspendHours, escalation); missing keys take the defaults. */
  state?: Partial<StateRules> & { escalation?: Partial<StateRules['escalation']> };
}

export interface StoreBackend {
  name: 'sqlite' | 'postgresql';
  /** Why this backend's tests are skipped here, or ''. */
  skip: string;
  /** A describe title: "NAME (sqlite)", with the skip reason when skipped. */
  title(name: string): string;
  /** A fresh, empty store (closed after the test). */
  open(opts?: OpenOptions): Promise<StoreApi>;
  /**
   * One SQL statement of the test's own, straight on the store's tables (not through the store):
   * the rows of a query, [] for a change. For what the seam does not show (how much text a table
   * holds) and to damage a row on purpose. Keep to SQL both dialects read the same.
   */
  sql(store: StoreApi, statement: string): Promise<Record<string, unknown>[]>;
}

const opened: StoreApi[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

let dir: string | undefined;
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});
let n = 0;

const sqlite: StoreBackend = {
  name: 'sqlite',
  skip: '',
  title: (name) => `${name} (sqlite)`,
  async open(opts = {}) {
    dir ??= mkdtempSync(join(tmpdir(), 'rebound-store-'));
    const s = await openStoreApi({ backend: 'sqlite', path: join(dir, `s${++n}.db`), ...opts });
    opened.push(s);
    return s;
  },
  async sql(store, statement) {
    // A second connection to the file, as an operator's sqlite3 would be (WAL: it sees every commit).
    const db = new Database(store.path);
    try {
      const st = db.prepare(statement);
      if (st.reader) return st.all() as Record<string, unknown>[];
      st.run();
      return [];
    } finally {
      db.close();
    }
  },
};

/** The migrated template every PostgreSQL test database is copied from (made once per file). */
let template: Promise<string> | undefined;
function pgTemplate(): Promise<string> {
  template ??= (async () => {
    const c = await pgCluster();
    const name = `store_tmpl_${process.pid}`;
    await c.psql(`CREATE DATABASE ${name}`);
    const s = await openStoreApi({ backend: 'postgresql', url: c.url(name), tls: 'off', poolSize: 1 });
    await s.close();
    return name;
  })();
  return template;
}

const postgresql: StoreBackend = {
  name: 'postgresql',
  skip: pgSkip,
  title: (name) => `${name} (postgresql)${pgSkip ? ` (skipped: ${pgSkip})` : ''}`,
  async open(opts = {}) {
    const tmpl = await pgTemplate();
    const c = await pgCluster();
    const name = `store_${process.pid}_${++n}`;
    await c.psql(`CREATE DATABASE ${name} TEMPLATE ${tmpl}`);
    const s = await openStoreApi({ backend: 'postgresql', url: c.url(name), tls: 'off', poolSize: 4, ...opts });
    opened.push(s);
    return s;
  },
  async sql(store, statement) {
    return (await (store as PgStore).pool.query(statement)).rows as Record<string, unknown>[];
  },
};

export const storeBackends: readonly StoreBackend[] = [sqlite, postgresql];

/** What a pipeline does with a store, over its claim/process methods and the real planner. */
export interface Processing {
  plan: Planner;
  processMessage(id: number, opts?: { force?: boolean }): Promise<ProcessOutcome>;
  processIds(ids: number[], opts?: { force?: boolean }): Promise<ProcessOutcome[]>;
  /** Claim and process pending messages until none is left; returns how many. */
  processPending(limit?: number): Promise<number>;
  /** Process the messages a filter selects again (force). */
  reprocess(filter: ReprocessFilter): Promise<ProcessOutcome[]>;
}

export function processing(store: StoreApi, opts: { analyze?: AnalyzeFn } = {}): Processing {
  const analyze = opts.analyze ?? defaultAnalyze;
  const plan: Planner = (msg) => planMessage(msg, analyze);
  return {
    plan,
    processMessage: async (id, o) => (await store.processIds([id], plan, o))[0]!,
    processIds: (ids, o) => store.processIds(ids, plan, o),
    async processPending(limit = Number.MAX_SAFE_INTEGER) {
      let done = 0;
      while (done < limit) {
        const got = await store.claimPending(Math.min(50, limit - done), plan);
        if (got.length === 0) break;
        done += got.length;
      }
      return done;
    },
    reprocess: async (filter) => store.processIds(await store.selectIds(filter), plan, { force: true }),
  };
}
