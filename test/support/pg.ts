/**
 * support/pg - one private PostgreSQL cluster per test file (pg-cluster.mjs), a fresh database per
 * test that asks for one. `pgSkip` is the reason to skip (PostgreSQL absent outside CI); under CI
 * a missing PostgreSQL throws instead of skipping.
 */
import { afterAll } from 'vitest';
import { Pipeline, type PipelineOptions } from '../../src/pipeline/run.js';
import { openPgStore, type PgStore, type PgStoreOptions } from '../../src/store/postgresql/index.js';
import { pgMissing, startPgCluster, type PgCluster } from './pg-cluster.mjs';

export const pgSkip: string = pgMissing();

let cluster: Promise<PgCluster> | null = null;
let n = 0;

/** The file's cluster (started on first use, stopped after the file's tests). */
export function pgCluster(): Promise<PgCluster> {
  cluster ??= startPgCluster();
  return cluster;
}

// Registered when a test file imports this module: the cluster stops after the file's tests.
afterAll(async () => {
  if (cluster) await (await cluster).stop();
});

/** A fresh, empty database on the file's cluster; returns its URL. */
export async function freshDatabase(prefix = 't'): Promise<string> {
  const c = await pgCluster();
  return c.createDatabase(`${prefix}_${process.pid}_${++n}`);
}

/** A PostgreSQL store with the pipeline over it as one object (as test/support/pipeline.ts does for
 *  SQLite): the store's methods, and the pipeline's processing methods in place of the store's
 *  planner-taking ones. */
export type PgProcessingStore = Omit<PgStore, 'processIds'> &
  Pick<Pipeline, 'processPending' | 'processIds' | 'processMessage' | 'reprocess' | 'claimAndProcess' | 'processClaimIds'> & { pipeline: Pipeline };

export function withPgPipeline(store: PgStore, opts: PipelineOptions = {}): PgProcessingStore {
  const p = new Pipeline(store, opts);
  return {
    ...store,
    pipeline: p,
    processPending: (limit) => p.processPending(limit),
    processIds: (ids, o) => p.processIds(ids, o),
    processMessage: (id, o) => p.processMessage(id, o),
    reprocess: (f) => p.reprocess(f),
    claimAndProcess: (limit) => p.claimAndProcess(limit),
    processClaimIds: (ids) => p.processClaimIds(ids),
  };
}

export async function openPgProcessing(opts: PgStoreOptions & PipelineOptions): Promise<PgProcessingStore> {
  const { analyze, ...storeOptions } = opts;
  return withPgPipeline(await openPgStore(storeOptions), { analyze });
}
