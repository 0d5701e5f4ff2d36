/**
 * support/pg - one private PostgreSQL cluster per test file (pg-cluster.mjs), a fresh database per
 * test that asks for one. `pgSkip` is the reason to skip (PostgreSQL absent outside CI); under CI
 * a missing PostgreSQL throws instead of skipping.
 */
import { afterAll } from 'vitest';
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
