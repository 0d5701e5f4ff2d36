/**
 * cli/pipeline-for - the pipeline over a store a command opened (cli/open-store.ts; either
 * backend), so that `rebound reprocess`, `ingest` and `poll` decide as the daemon does:
 * attribution comes from what intake stored with each message (Envelope.returnPaths), not from
 * today's keys. Apart from open-store.ts so that the commands that only read the store do not load
 * the parser, the decoders and the rule tables.
 */
import { Pipeline } from '../pipeline/run.js';
import type { StoreApi } from '../store/index.js';

export function pipelineFor(store: StoreApi): Pipeline {
  return new Pipeline(store);
}
