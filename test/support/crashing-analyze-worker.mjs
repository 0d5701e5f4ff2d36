// A stand-in for dist/pipeline/analyze-worker.js speaking its protocol ({jobs} in, {results} out, in
// order): it answers every message with a fixed analysis, except one whose bytes contain
// "CRASH THE WORKER", on which the thread exits - as a worker that hits a fatal error would - and
// one with "EAT ALL MEMORY", on which it runs out of its heap (the pool's resourceLimits).
import { parentPort } from 'node:worker_threads';

parentPort.on('message', ({ jobs }) => {
  const results = [];
  for (const job of jobs) {
    const text = Buffer.from(job.raw.buffer, job.raw.byteOffset, job.raw.byteLength).toString('latin1');
    if (text.includes('EAT ALL MEMORY')) {
      if (results.length > 0) parentPort.postMessage({ results });
      const hoard = [];
      for (;;) hoard.push(new Array(1e6).fill(hoard.length));
    }
    if (text.includes('CRASH THE WORKER')) {
      if (results.length > 0) parentPort.postMessage({ results });
      process.exit(3);
    }
    results.push({ id: job.id, analysis: { type: 'not-bounce', recipients: [], decodedBy: '', problems: [`seen: ${text.slice(0, 20)}`] } });
  }
  parentPort.postMessage({ results });
});
