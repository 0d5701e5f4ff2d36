#!/usr/bin/env node
// bench/backfill-mbox - write an mbox of N bounces made from the project's own fixtures
// (samples/ and test/fixtures/, never ../shared), as an operator's years-old bounce folder looks:
// every message distinct (a copy header), dates advancing through the file, and the failed
// recipients drawn from a Zipf distribution (rank k with probability ~ 1/k^s over a population of
// N/4 addresses), so a few role addresses collect thousands of bounces and most appear once or twice.
//
// Usage: node bench/backfill-mbox.mjs --count N --out FILE [--seed S] [--zipf 1.0] [--population P]
// Needs dist/ (npm run build): each template's recipients are found once with analyzeMessage.
// Prints one JSON line: { messages, bytes, templates, population, topAddressShare }.
import { createWriteStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Deterministic PRNG (mulberry32), so a size always gets the same file. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Draw ranks 1..population with P(k) ~ 1/k^s (inverse CDF over a cumulative table). */
export function zipf(population, s, random) {
  const cdf = new Float64Array(population);
  let sum = 0;
  for (let k = 1; k <= population; k++) cdf[k - 1] = sum += 1 / Math.pow(k, s);
  for (let k = 0; k < population; k++) cdf[k] /= sum;
  return () => {
    const u = random();
    let lo = 0;
    let hi = population - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
}

function walk(dir, out) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.eml')) out.push(p);
  }
  return out;
}

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The templates: every .eml of samples/ and test/fixtures/ with LF line endings and the imap
 * fixtures' placeholders filled, plus the recipient addresses the analyzer finds in it (those
 * that appear literally in the text, so they can be replaced).
 */
export async function loadTemplates() {
  const { analyzeMessage } = await import(join(root, 'dist', 'pipeline', 'analyze.js'));
  const files = [...walk(join(root, 'samples'), []), ...walk(join(root, 'test', 'fixtures'), [])];
  const out = [];
  for (const f of files) {
    let text = readFileSync(f, 'latin1').replace(/\r\n?/g, '\n');
    text = text
      .replaceAll('{{RCPT}}', 'someone@example.org')
      .replaceAll('{{TAG}}', 'someone=example.org')
      .replaceAll('{{DATE}}', 'Tue, 24 Nov 2026 10:00:00 +0000')
      .replaceAll('{{N}}', '1');
    const a = await analyzeMessage(Buffer.from(text, 'latin1'));
    const lower = text.toLowerCase();
    const rcpts = [...new Set(a.recipients.map((r) => r.address).filter((x) => x && lower.includes(x.toLowerCase())))];
    out.push({ name: relative(root, f), text, rcpts: rcpts.map((r) => new RegExp(escapeRe(r), 'gi')), type: a.type });
  }
  return out;
}

const DAY = 86_400_000;
const WEEKDAY = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTH = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n) => String(n).padStart(2, '0');
function asctime(d) {
  return `${WEEKDAY[d.getUTCDay()]} ${MONTH[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

/**
 * Generate the mbox text of messages [from, to) one at a time (a generator: nothing accumulates).
 * Dates run from `days` days before `now` to now, in file order.
 */
export function* messages(templates, { count, seed = 1, s = 1.0, population = Math.max(100, Math.floor(count / 4)), days = 300, now = Date.now() }) {
  const random = rng(seed);
  const draw = zipf(population, s, random);
  const start = now - days * DAY;
  const step = (days * DAY) / Math.max(1, count);
  for (let i = 0; i < count; i++) {
    const t = templates[Math.floor(random() * templates.length)];
    let text = t.text;
    for (const re of t.rcpts) {
      const k = draw();
      text = text.replace(re, `user${k}@d${k % 97}.example`);
    }
    const when = new Date(Math.floor(start + i * step));
    const date = when.toUTCString().replace('GMT', '+0000');
    if (/^Date:/im.test(text)) text = text.replace(/^Date:.*(\n[ \t].*)*/im, `Date: ${date}`);
    else text = `Date: ${date}\n${text}`;
    // mboxrd quoting: every line that is ">*From " gains one '>'.
    text = `X-Backfill-Copy: ${i}\n${text}`.replace(/^(>*From )/gm, '>$1');
    if (!text.endsWith('\n')) text += '\n';
    yield `From MAILER-DAEMON ${asctime(when)}\n${text}\n`;
  }
}

async function main() {
  const args = process.argv.slice(2);
  const opt = (name, d) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : d;
  };
  const count = Number(opt('--count', '10000'));
  const out = opt('--out');
  if (!out) throw new Error('--out FILE is required');
  const seed = Number(opt('--seed', '1'));
  const s = Number(opt('--zipf', '1.0'));
  const population = Number(opt('--population', String(Math.max(100, Math.floor(count / 4)))));
  const templates = await loadTemplates();
  const ws = createWriteStream(out);
  let bytes = 0;
  for (const m of messages(templates, { count, seed, s, population })) {
    bytes += Buffer.byteLength(m, 'latin1');
    if (!ws.write(m, 'latin1')) await new Promise((r) => ws.once('drain', r));
  }
  await new Promise((res, rej) => ws.end((e) => (e ? rej(e) : res())));
  let h = 0;
  for (let k = 1; k <= population; k++) h += 1 / Math.pow(k, s);
  console.log(JSON.stringify({ messages: count, bytes, templates: templates.length, population, topAddressShare: Number((1 / h).toFixed(4)) }));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
