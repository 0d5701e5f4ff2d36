/**
 * daemon/backends/sqlite - the daemon's embedded store (store.backend = "sqlite", the default): one
 * SQLite file on this host. SMTP/LMTP intake commits through the writer thread (daemon/writer.ts,
 * daemon/writer-thread.ts): each turn's messages in one transaction, then an fdatasync of the WAL,
 * and only then the 250 - the acknowledgement path, synchronous and kept whole in that thread.
 * The same thread runs the pipeline (pipeline/scheduler.ts) with an analysis worker of its own, so
 * it is also the processing queue. Beside it: the checkpointer thread (store/checkpointer.ts: no
 * commit pays for a checkpoint), reader processes for the control socket (control/readers.ts: a
 * read-only handle each, opened from the file), and this thread's own connection, through which
 * IMAP intake commits and processes and housekeeping (prune, checkpoint, backup) runs.
 * The store must be a file (the writer thread opens it too); its first open checks it whole
 * (quick_check): a damaged store is refused at start.
 * Config keys: store.path, store.busyTimeoutMs, state.*, verp.* (the store's legacyVerp), analysis.*.
 */
import { ConfigError } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { startCheckpointer, WRITER_AUTOCHECKPOINT } from '../../store/checkpointer.js';
import { openStore } from '../../store/index.js';
import { sqliteStoreApi } from '../../store/open.js';
import { verpOptions, type BackendDeps, type DaemonBackend } from '../backend.js';
import { WriterThread } from '../writer.js';

export function sqliteBackend(config: Config, deps: BackendDeps): DaemonBackend {
  if (config.store.path === ':memory:') throw new ConfigError("store.path: expected a file for the daemon, got \":memory:\" (its writer thread opens the store too)");
  const storeOptions = { path: config.store.path, busyTimeoutMs: config.store.busyTimeoutMs, state: config.state, legacyVerp: verpOptions(config.verp) };
  // The checkpointer thread checkpoints: no commit of ours does inline below WRITER_AUTOCHECKPOINT pages.
  const walAutocheckpoint = WRITER_AUTOCHECKPOINT;
  const store = sqliteStoreApi(openStore({ ...storeOptions, walAutocheckpoint, check: true }));
  const pipeline = deps.pipeline(store);
  const budget = { deadlineMs: config.analysis.deadlineSeconds * 1000, heapMb: config.analysis.maxHeapMb };
  const writer = new WriterThread({ ...storeOptions, walAutocheckpoint, analysis: budget });
  const checkpointer = startCheckpointer(config.store.path, config.store.busyTimeoutMs);

  return {
    name: 'sqlite',
    async open() {
      writer.sweepPending();
    },
    // Every listener commits through the writer thread; each message's source rides in its envelope.
    committer: () => writer,
    backlog: () => writer.backlog(),
    pipelineWrites: () => writer.writeHealth(),
    analysisStats: () => [writer.analysisStats()],
    // A separate read-only handle (and the reader processes' own): lookups can never write.
    control: () => ({ storeOptions }),
    store: () => store,
    pipeline: () => pipeline,
    jobs: (cfg) => cfg,
    drain: () => writer.stop(),
    async close() {
      await checkpointer?.stop();
      await store.close();
    },
  };
}
