// `node --import ./test/support/slow-analysis.mjs dist/main.js serve ...`: the daemon's analysis
// workers run test/support/slow-analyze-worker.mjs (slow on purpose) instead of
// dist/pipeline/analyze-worker.js. A module-resolution hook (slow-analysis-hooks.mjs) swaps the
// worker's entry point; worker threads inherit --import, so the writer thread's worker is swapped
// too. The product code has no switch for it.
import { register } from 'node:module';

register('./slow-analysis-hooks.mjs', import.meta.url);
