#!/usr/bin/env node
// bench:parse - messages per second and peak memory of parse + decode + classify (analyzeMessage),
// over the labelled corpus repeated to at least --count messages (default 20,000), on one core.
// Usage: npm run bench:parse [-- --corpus DIR --count N]
// Re-executes itself under `taskset -c 0` when available so the figure is a one-core figure.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const root = new URL('..', import.meta.url).pathname;
const corpus = resolve(opt('--corpus', join(root, '../shared/sisimai/corpus/maildir')));
const count = Number(opt('--count', '20000'));

if (!process.env.REBOUND_BENCH_PINNED) {
  const hasTaskset = spawnSync('sh', ['-c', 'command -v taskset'], { encoding: 'utf8' }).status === 0;
  if (hasTaskset) {
    const r = spawnSync('taskset', ['-c', '0', process.execPath, '--expose-gc', ...process.execArgv, new URL(import.meta.url).pathname, ...args], {
      stdio: 'inherit',
      env: { ...process.env, REBOUND_BENCH_PINNED: '1' },
    });
    process.exit(r.status ?? 1);
  }
}

if (!existsSync(corpus)) {
  console.error(`bench:parse: corpus not found at ${corpus} (pass --corpus DIR)`);
  process.exit(2);
}
const { analyzeMessage } = await import(join(process.env.BENCH_DIST ?? join(root, 'dist'), 'pipeline', 'analyze.js'));

function walk(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (e.name.endsWith('.eml')) out.push(readFileSync(p));
  }
  return out;
}
const messages = walk(corpus);
const bytes = messages.reduce((n, m) => n + m.length, 0);

// Warm up the JIT on one pass, then measure.
for (const m of messages) await analyzeMessage(m);
globalThis.gc?.();

let peakRss = process.memoryUsage().rss;
let peakHeap = process.memoryUsage().heapUsed;
let done = 0;
let recipients = 0;
const t0 = process.hrtime.bigint();
// CPU time of this process as well: on a loaded machine the wall-clock rate measures the
// scheduler as much as the parser, CPU time much less so.
const c0 = process.cpuUsage();
while (done < count) {
  for (const m of messages) {
    recipients += (await analyzeMessage(m)).recipients.length;
    done += 1;
    if ((done & 1023) === 0) {
      const mu = process.memoryUsage();
      if (mu.rss > peakRss) peakRss = mu.rss;
      if (mu.heapUsed > peakHeap) peakHeap = mu.heapUsed;
    }
    if (done >= count) break;
  }
}
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const cpuUsed = process.cpuUsage(c0);
const cpuSeconds = (cpuUsed.user + cpuUsed.system) / 1e6;
const mb = (n) => (n / 1048576).toFixed(1);
const cpu = (() => {
  try {
    return execFileSync('sh', ['-c', "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
})();
console.log(`corpus: ${messages.length} messages, ${mb(bytes)} MiB, from ${corpus}`);
console.log(`cpu: ${cpu}; node ${process.version}; pinned to one core: ${process.env.REBOUND_BENCH_PINNED ? 'yes (taskset -c 0)' : 'no'}`);
console.log(`messages: ${done}, recipients: ${recipients}, time: ${seconds.toFixed(2)} s`);
console.log(`rate: ${(done / seconds).toFixed(0)} messages/s (${(bytes / messages.length * done / seconds / 1048576).toFixed(1)} MiB/s)`);
console.log(`cpu time: ${cpuSeconds.toFixed(2)} s (user ${(cpuUsed.user / 1e6).toFixed(2)} s, sys ${(cpuUsed.system / 1e6).toFixed(2)} s) = ${(done / cpuSeconds).toFixed(0)} messages per CPU-second, ${(cpuSeconds / done * 1e6).toFixed(1)} us/message; load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log(`peak rss: ${mb(peakRss)} MiB, peak heap used: ${mb(peakHeap)} MiB`);
