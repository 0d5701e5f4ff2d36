#!/usr/bin/env node
// bench:ingest - messages per second through the whole ingest path: store raw (gzip + sha256,
// INSERT) -> parse + decode + classify (analyzeMessage) -> events -> Marketo state recompute ->
// commit, on a fresh SQLite file in WAL mode, with and without batching (group commit).
// Input: the bounce fixtures in test/fixtures/store/ (or --dir DIR), each copy given a distinct
// recipient and Message-Id so that every message is new (no dedup shortcut) and every address
// gets its own row. Usage: npm run bench:ingest [-- --count N --batch B --dir DIR]
// Runs against dist/ (npm run build first; the npm script does this).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const root = new URL('..', import.meta.url).pathname;
const dir = opt('--dir', join(root, 'test', 'fixtures', 'store'));
const count = Number(opt('--count', '5000'));
const batch = Number(opt('--batch', '200'));

const { openStore } = await import(join(root, 'dist', 'store', 'index.js'));
const { Pipeline } = await import(join(root, 'dist', 'pipeline', 'run.js'));
const { sqliteStoreApi } = await import(join(root, 'dist', 'store', 'open.js'));

const templates = readdirSync(dir)
  .filter((f) => f.endsWith('.eml'))
  .sort()
  .map((f) => readFileSync(join(dir, f), 'latin1'));
if (templates.length === 0) throw new Error(`no .eml files in ${dir}`);

/** Copy i of a template: every address local part and Message-Id made unique. */
function make(i) {
  const t = templates[i % templates.length];
  const body = t.replace(/([A-Za-z0-9._%+-]+)@((?:[a-z0-9-]+\.)+example)\b/g, `$1.${i}@$2`);
  // The trace header keeps copies distinct even where no address was rewritten.
  return Buffer.from(`X-Bench-Copy: ${i}\r\n${body}`, 'latin1');
}

async function run(label, n, batchSize, mode) {
  const tmp = mkdtempSync(join(tmpdir(), 'rebound-bench-'));
  const store = openStore({ path: join(tmp, 'bench.db') });
  const pipeline = new Pipeline(sqliteStoreApi(store));
  const msgs = Array.from({ length: n }, (_, i) => make(i));
  const t0 = process.hrtime.bigint();
  let stored = 0;
  for (let i = 0; i < n; i += batchSize) {
    const slice = msgs.slice(i, i + batchSize);
    const env = { source: 'file', origin: 'bench', mailFrom: '', rcptTo: [], receivedAt: Date.now() };
    if (mode === 'daemon') {
      // As SMTP intake + the daemon's processing loop do: commit, then process by id.
      const saved = store.saveMessages(slice.map((raw) => ({ env, raw })));
      stored += saved.filter((s) => !s.duplicate).length;
      await pipeline.processIds(saved.map((s) => s.id));
    } else {
      // As `rebound ingest` does: analyse the batch, then one transaction stores and records it.
      stored += (await pipeline.ingestMessages(slice.map((raw) => ({ env, raw })))).filter((s) => !s.duplicate).length;
    }
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const st = store.stats();
  store.close();
  rmSync(tmp, { recursive: true, force: true });
  const rate = n / secs;
  console.log(
    `${label.padEnd(26)} ${String(n).padStart(6)} msgs  ${secs.toFixed(2).padStart(7)} s  ${rate.toFixed(0).padStart(6)} msg/s` +
      `  (stored ${stored}, events ${st.events.total}, failed ${st.messages.failed}, not-a-bounce ${st.messages['not-a-bounce']})`,
  );
  return rate;
}

console.log(`bench:ingest - ${templates.length} templates from ${dir}; node ${process.version}`);
await run('save+process, batch 1', Math.min(count, 1000), 1, 'daemon');
await run(`save+process, batch ${batch}`, count, batch, 'daemon');
await run(`ingest, batch ${batch}`, count, batch, 'ingest');
