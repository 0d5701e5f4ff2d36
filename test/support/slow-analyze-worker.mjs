// A stand-in for dist/pipeline/analyze-worker.js (swapped in by slow-analysis.mjs) that analyses every message with
// the real analyzeMessage, except one whose bytes contain "SPIN FOREVER": on that one it spins in
// a synchronous loop and never answers, as a catastrophic pattern did on crafted input before the
// linear-pattern work (issue 16: minutes per message). No real input is that slow any more
// (docs/BENCHMARKS.md, bench:mutate), so the daemon's deadline is shown with this one.
// "EAT ALL MEMORY" runs it out of its heap instead. One answer per message, in order, as the real
// worker gives with a deadline.
import { parentPort } from 'node:worker_threads';
import { analyzeMessage } from '../../dist/pipeline/analyze.js';

const jobs = [];
let running = false;

async function drain() {
  running = true;
  while (jobs.length > 0) {
    const job = jobs.shift();
    const raw = Buffer.from(job.raw.buffer, job.raw.byteOffset, job.raw.byteLength);
    const text = raw.toString('latin1');
    if (text.includes('SPIN FOREVER')) for (;;);
    if (text.includes('EAT ALL MEMORY')) {
      const hoard = [];
      for (;;) hoard.push(new Array(1e6).fill(hoard.length));
    }
    const analysis = await analyzeMessage(raw, undefined, job.context);
    parentPort.postMessage({ results: [{ id: job.id, analysis }] });
  }
  running = false;
}

parentPort.postMessage({ ready: true });

parentPort.on('message', (m) => {
  jobs.push(...m.jobs);
  if (!running) void drain();
});
