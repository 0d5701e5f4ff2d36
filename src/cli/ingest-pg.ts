/**
 * cli/ingest-pg - `rebound ingest` into the PostgreSQL store (store.backend = "postgresql"): the
 * same inputs (intake/file.ts readInputs), the same summary, in batches of --batch messages - each
 * batch saved (a message already stored, by a daemon or an earlier run, is found by its content
 * and not stored twice) and then processed by the PostgreSQL pipeline, in input order. Simpler
 * than the SQLite path (cli/ingest.ts): no worker threads, no read-ahead; every commit is durable.
 */
import type { Config } from '../config/schema.js';
import { fileEnvelope, readInputs } from '../intake/file.js';
import { PgPipeline } from '../pipeline/postgresql.js';
import type { PgStore } from '../store/postgresql/index.js';
import type { Envelope } from '../types.js';
import { addError, tally, type IngestSummary } from './ingest.js';
import { startProgress } from './ingest-progress.js';

export async function ingestPg(
  store: PgStore,
  config: Config,
  paths: string[],
  how: { batch?: number; progress?: boolean; signal?: AbortSignal; now?: () => number } = {},
): Promise<IngestSummary> {
  const pipeline = new PgPipeline(store);
  const started = Date.now();
  const now = how.now ?? Date.now;
  const s: IngestSummary = {
    inputs: paths.length,
    unreadable: 0,
    messages: 0,
    stored: 0,
    duplicates: 0,
    processed: 0,
    notABounce: 0,
    failed: 0,
    bounces: 0,
    byCategory: {},
    byType: {},
    errors: [],
    moreErrors: 0,
    bytes: 0,
    seconds: 0,
    rate: 0,
    interrupted: false,
    threads: 0,
  };
  const progress = how.progress ? await startProgress(paths) : undefined;
  let doneBytes = 0;
  let batch: { env: Envelope; raw: Buffer; bytes: number }[] = [];
  const commit = async (): Promise<void> => {
    if (batch.length === 0) return;
    const items = batch;
    batch = [];
    const saved = await store.saveMessages(items.map(({ env, raw }) => ({ env, raw })));
    // Finished ones come back skipped (as a re-run finds them on SQLite); pending ones are processed.
    const outcomes = await pipeline.processIds(saved.map((r) => r.id));
    saved.forEach((r, i) => {
      if (r.duplicate) s.duplicates++;
      else s.stored++;
      tally(s, outcomes[i]!);
      doneBytes += items[i]!.bytes;
    });
    progress?.update(s, doneBytes, started);
  };
  const reader = readInputs(paths);
  try {
    for await (const item of reader) {
      s.bytes += item.bytes;
      if ('error' in item) {
        s.unreadable++;
        addError(s, { source: item.source, error: item.error, ...(item.permanent ? { permanent: true as const } : {}) });
        doneBytes += item.bytes;
      } else {
        s.messages++;
        batch.push({ env: fileEnvelope(item.source, now()), raw: item.raw, bytes: item.bytes });
        if (batch.length >= (how.batch ?? 100)) await commit();
      }
      if (how.signal?.aborted) {
        s.interrupted = true;
        break;
      }
    }
    await commit();
  } finally {
    await reader.return(undefined);
    progress?.stop();
  }
  s.seconds = (Date.now() - started) / 1000;
  s.rate = s.seconds > 0 ? Math.round(s.messages / s.seconds) : 0;
  return s;
}
