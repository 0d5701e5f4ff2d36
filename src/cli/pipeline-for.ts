/**
 * cli/pipeline-for - the pipeline over a store a command opened (cli/open-store.ts; either backend), with the
 * daemon's attribution (the VERP token of the envelope), so that `rebound reprocess`, `ingest`
 * and `poll` decide as the daemon does. Apart from open-store.ts so that the commands that only
 * read the store do not load the parser, the decoders and the rule tables.
 * Config keys: verp.* (attribution).
 */
import type { Config } from '../config/schema.js';
import { Pipeline } from '../pipeline/run.js';
import type { StoreApi } from '../store/index.js';
import { attributeByVerp } from '../verp/sign.js';

export function pipelineFor(store: StoreApi, config: Config): Pipeline {
  return new Pipeline(store, { attribute: attributeByVerp(config.verp) });
}
