/**
 * A store opened together with the pipeline over it, as one object (the tests that store messages
 * and process them): the store's methods plus the pipeline's processMessage, processPending,
 * processIds, reprocess and ingestMessages. The pipeline's options (analyze) are given beside the
 * store's.
 */
import { Pipeline, type PipelineOptions } from '../../src/pipeline/run.js';
import { openStore, type Store, type StoreOptions } from '../../src/store/index.js';
import { sqliteStoreApi } from '../../src/store/open.js';

export type ProcessingStore = Store &
  Pick<Pipeline, 'processMessage' | 'processPending' | 'processIds' | 'reprocess' | 'ingestMessages' | 'planIngest'> & { pipeline: Pipeline };

export function withPipeline(store: Store, opts: PipelineOptions = {}): ProcessingStore {
  const p = new Pipeline(sqliteStoreApi(store), opts);
  return {
    ...store,
    pipeline: p,
    processMessage: (id, o) => p.processMessage(id, o),
    processPending: (limit, o) => p.processPending(limit, o),
    processIds: (ids, o) => p.processIds(ids, o),
    reprocess: (f) => p.reprocess(f),
    ingestMessages: (items) => p.ingestMessages(items),
    planIngest: (item, a) => p.planIngest(item, a),
  };
}

export function openProcessingStore(opts: StoreOptions & PipelineOptions): ProcessingStore {
  const { analyze, ...storeOptions } = opts;
  return withPipeline(openStore(storeOptions), { analyze });
}
