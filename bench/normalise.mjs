/**
 * bench/normalise - cost of putting one address in normal form (src/address/normal.ts), per
 * spelling: the ASCII fast path, mixed case, IDN in U-labels and A-labels, CJK. Run after a build:
 *   npm run build --silent && node bench/normalise.mjs
 * Prints ns per call (median of 5 runs of 200,000 calls) and the normal form.
 */
import { normaliseAddress } from '../dist/address/normal.js';

const inputs = {
  'lower-case ASCII': 'user123@example.com',
  'mixed-case ASCII': 'User123@Example.COM',
  'IDN, U-labels': 'jürgen.müller@bücher.example',
  'IDN, A-labels': 'user@xn--bcher-kva.example',
  'CJK': '用户@例子.广告',
};
for (const [name, a] of Object.entries(inputs)) {
  for (let i = 0; i < 20_000; i++) normaliseAddress(a);
  const runs = [];
  for (let r = 0; r < 5; r++) {
    const n = 200_000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) normaliseAddress(a);
    runs.push(Number(process.hrtime.bigint() - t0) / n);
  }
  runs.sort((x, y) => x - y);
  console.log(`${name.padEnd(18)} ${runs[2].toFixed(0).padStart(6)} ns  ${a} -> ${normaliseAddress(a)}`);
}
