/**
 * analyze-worker - one worker thread of analyze-pool.ts: analyzeMessage on each message it is
 * sent, one at a time and in the order sent, and packRaw (the gzip the store keeps) when asked.
 *
 * In: {jobs: [{id, raw: Uint8Array (transferred), pack, context (the envelope's DecodeContext)}]}. Out: {ready} once its modules are loaded, then {results: [{id, analysis, gzip?}]}
 * in the same order, gathered while more jobs are queued (at most FLUSH_EVERY per message):
 * every message between threads wakes the other one up. With a deadline the pool asks for one
 * answer per message (workerData.flushEvery = 1): it times each message from the previous answer.
 * analyzeMessage never rejects (an unreadable message comes back marked), so an answer always
 * comes unless the thread itself dies, which the pool sees.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { analyzeMessage } from './analyze.js';
// From messages.ts, not the store's index: a worker needs the gzip, not the store.
import { packRaw } from '../store/messages.js';
import type { DecodeContext } from '../decode/types.js';
import type { Analysis } from '../types.js';

const port = parentPort;
if (!port) throw new Error('analyze-worker must run in a worker thread');

interface Job {
  id: number;
  raw: Uint8Array;
  pack: boolean;
  context?: DecodeContext;
}

/** Results sent together at most (they also go as soon as no job is left). */
const FLUSH_EVERY: number = (workerData as { flushEvery?: number } | null)?.flushEvery ?? 32;

const jobs: Job[] = [];
let running = false;
let out: { id: number; analysis: Analysis; gzip?: Uint8Array }[] = [];
let transfer: ArrayBuffer[] = [];

function flush(): void {
  if (out.length === 0) return;
  port!.postMessage({ results: out }, transfer);
  out = [];
  transfer = [];
}

async function drain(): Promise<void> {
  running = true;
  while (jobs.length > 0) {
    const job = jobs.shift()!;
    const raw = Buffer.from(job.raw.buffer, job.raw.byteOffset, job.raw.byteLength);
    const analysis = await analyzeMessage(raw, undefined, job.context);
    if (job.pack) {
      const gz = packRaw(raw);
      // A fresh copy to transfer (zlib's output may be a view of a larger buffer).
      const gzip = new Uint8Array(gz.length);
      gzip.set(gz);
      out.push({ id: job.id, analysis, gzip });
      transfer.push(gzip.buffer);
    } else out.push({ id: job.id, analysis });
    if (out.length >= FLUSH_EVERY || jobs.length === 0) flush();
  }
  running = false;
}

// Modules loaded: the pool starts the deadline clock of the first message now.
port.postMessage({ ready: true });

port.on('message', (m: { jobs: Job[] }) => {
  jobs.push(...m.jobs);
  if (!running) void drain();
});
