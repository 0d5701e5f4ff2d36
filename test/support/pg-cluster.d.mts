/** Types of pg-cluster.mjs (plain JavaScript, shared with bench/*.mjs). */
export interface PgCluster {
  dir: string;
  port: number;
  user: string;
  bin: string;
  url(db?: string): string;
  createDatabase(name: string): Promise<string>;
  psql(sql: string, db?: string): Promise<string>;
  log(): string;
  crash(): Promise<void>;
  start(): Promise<string>;
  crashRestart(): Promise<void>;
  stop(): Promise<void>;
}
export function pgBinDir(): string | null;
export function pgMissing(): string;
export function startPgCluster(opts?: { fsync?: boolean; settings?: Record<string, string | number> }): Promise<PgCluster>;
