#!/usr/bin/env node
// Parse-only rate of rebound on an mbox (the reference line of bench:backfill): the first COUNT
// messages are read (intake/file.ts) into memory, then analyzeMessage (parse, decode, classify)
// runs on each in turn, one thread, after a warm-up pass over the first 200.
// Usage: node bench/backfill-parse.mjs MBOX [COUNT]. Needs dist/.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { readInputs } = await import(join(root, 'dist', 'intake', 'file.js'));
const { analyzeMessage } = await import(join(root, 'dist', 'pipeline', 'analyze.js'));
const [mbox, count = '5000'] = process.argv.slice(2);
const raws = [];
for await (const it of readInputs([mbox])) {
  if ('raw' in it) raws.push(it.raw);
  if (raws.length >= Number(count)) break;
}
for (const r of raws.slice(0, 200)) await analyzeMessage(r);
let recipients = 0;
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
for (const r of raws) recipients += (await analyzeMessage(r)).recipients.length;
const s = Number(process.hrtime.bigint() - t0) / 1e9;
const c = process.cpuUsage(cpu0);
const cpu = (c.user + c.system) / 1e6;
console.log(`${raws.length} messages, ${recipients} recipients, ${s.toFixed(2)} s, ${(raws.length / s).toFixed(0)} messages/s (${((cpu * 1e6) / raws.length).toFixed(0)} us CPU each)`);
