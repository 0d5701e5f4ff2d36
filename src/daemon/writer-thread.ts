/**
 * daemon/writer-thread - the daemon's writer thread (its main-thread side is writer.ts): it commits what SMTP/LMTP intake received (group
 * commit: one transaction per batch, then an fdatasync of the WAL) and runs the pipeline on it.
 * The main thread keeps the sockets: on two cores, SMTP replies and SQLite writes then run side
 * by side instead of taking turns on one event loop (bench:smtp, docs/BENCHMARKS.md). One
 * connection does both jobs, so intake commits and pipeline commits never wait on each other's
 * locks. The pipeline awaits each analysis (mailparser yields to the event loop), so group
 * commits run between analyses; its own commit of a batch is one synchronous transaction, never
 * interleaved with intake's.
 *
 * In (from writer.ts): {type:'save', items:[{seq, env, offset, length}], bytes} | {type:'process', ids, source} |
 * {type:'sweep'} | {type:'stop'}.
 * Out: {type:'saved', results:[{seq, id, duplicate} | {seq, error}]} once the batch is durable |
 * {type:'done', outcomes, items:[{source, at}], sweep?:{messages, seconds}} per pipeline batch | {type:'error', message} |
 * {type:'writes', state} when the pipeline's writes start or stop failing (WriteHealth) |
 * {type:'analysis', stats} when a message's analysis was abandoned (AnalysisStats) | {type:'stopped'}.
 * Config keys: store.path, store.busyTimeoutMs, state.*, verp.* (the store's legacyVerp), analysis.* (passed in workerData).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { poolAnalyzer } from '../pipeline/analyze-pool.js';
import { child } from '../log.js';
import { openStore, type StoreOptions } from '../store/index.js';
import { sqliteStoreApi } from '../store/open.js';
import { Pipeline } from '../pipeline/run.js';
import { GroupCommitter } from '../intake/group-commit.js';
import { INTAKE_BUSY_MS, Scheduler, reportable, WriteHealth } from '../pipeline/scheduler.js';
import { DaemonError, isTemporary } from '../errors.js';
import type { Envelope, SourceKind } from '../types.js';

/** One message of a 'save' batch: its bytes are bytes[offset, offset + length) of the batch. */
export interface SaveItem {
  seq: number;
  env: Envelope;
  offset: number;
  length: number;
}

export type SaveResultMsg = { seq: number; id: number; duplicate: boolean } | { seq: number; error: { message: string; code?: string; temporary: boolean } };

type Job =
  | { type: 'save'; items: SaveItem[]; bytes: Uint8Array }
  | { type: 'process'; ids: number[]; source: SourceKind }
  | { type: 'sweep' }
  | { type: 'stop' };

const port = parentPort;
if (!port) throw new Error('daemon/writer-thread must run in a worker thread');
const log = child('analysis');

// Intake judged the return paths (Envelope.returnPaths): the pipeline here needs no VERP config.
const data = workerData as StoreOptions & { analysis: { deadlineMs: number; heapMb: number } };
const { analysis: budget, ...storeOptions } = data;
// Parsing and classification in a worker of their own, with a deadline and a heap cap: this
// thread commits intake's messages, and no message may hold those commits (or the messages
// behind it) up. An abandoned message is stored marked failed with the reason (planMessage).
const analyzer = poolAnalyzer(budget, {
  onAbandon: (why, ms) => {
    log.warn({ why, ms: Math.round(ms), deadlineMs: budget.deadlineMs, heapMb: budget.heapMb }, 'analysis abandoned; the message is stored marked failed');
    port.postMessage({ type: 'analysis', stats: analyzer.stats() });
  },
});
const store = openStore(storeOptions);
// The one pipeline (pipeline/run.ts) over this connection; intake's group commit below keeps the
// synchronous store itself (the acknowledgement path).
const pipeline = new Pipeline(sqliteStoreApi(store), { analyze: analyzer.analyze });

let committer: GroupCommitter;
const scheduler = new Scheduler(
  pipeline,
  () => Date.now() - committer.lastCommitAt < INTAKE_BUSY_MS,
  undefined,
  (outcomes, items, sweep) => port.postMessage({ type: 'done', outcomes: reportable(outcomes), items, sweep }),
  // The main thread's health shows it (the store is degraded while writes fail).
  new WriteHealth((state) => port.postMessage({ type: 'writes', state })),
);
// One listener per committer upstream, but both feed this one: split by source for the metrics.
function toPipeline(ids: number[], envs: Envelope[]): void {
  const bySource = new Map<SourceKind, number[]>();
  ids.forEach((id, i) => {
    const s = envs[i]!.source;
    let l = bySource.get(s);
    if (!l) bySource.set(s, (l = []));
    l.push(id);
  });
  for (const [s, l] of bySource) scheduler.enqueue(l, s);
}
// The WAL sync blocks this thread (nothing else to do meanwhile; what arrives during it makes
// the next batch).
committer = new GroupCommitter(store, toPipeline, 500);

// A batch's results go back in one message, posted as soon as the batch's callbacks have run
// (a microtask: before any pipeline step queued for this turn, which would hold the acks).
let results: SaveResultMsg[] = [];
let posting = false;
function answer(r: SaveResultMsg): void {
  results.push(r);
  if (!posting) {
    posting = true;
    queueMicrotask(() => {
      posting = false;
      const out = results;
      results = [];
      port!.postMessage({ type: 'saved', results: out });
    });
  }
}

let stopping = false;

port.on('message', (job: Job) => {
  if (stopping) return;
  switch (job.type) {
    case 'save':
      for (const it of job.items) {
        const raw = Buffer.from(job.bytes.buffer, job.bytes.byteOffset + it.offset, it.length);
        committer.add(it.env, raw, (err, r) => {
          if (err === null && r) {
            answer({ seq: it.seq, id: r.id, duplicate: r.duplicate });
          } else {
            answer({
              seq: it.seq,
              error: { message: err instanceof Error ? err.message : String(err), code: err instanceof DaemonError ? err.code : undefined, temporary: isTemporary(err) },
            });
          }
        });
      }
      return;
    case 'process':
      scheduler.enqueue(job.ids, job.source);
      return;
    case 'sweep':
      scheduler.sweepPending();
      return;
    case 'stop':
      stopping = true;
      // Saves in flight are answered first (the main thread waits for them before it says stop).
      void committer
        .drained()
        .then(() => scheduler.stop())
        .then(() => analyzer.close())
        .then(() => {
          store.close();
          port.postMessage({ type: 'stopped' });
          port.close();
        });
      return;
  }
});
