/**
 * support/real-mta-sample - a deterministic selection of the project's own real-MTA DSNs
 * (samples/real-mta/<mta>/*.eml, docs/CORPUS.md) for store tests: `count` files taken evenly
 * across the four MTAs, so most recipients appear in several messages (one per MTA).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('../../samples/real-mta/', import.meta.url).pathname;
const MTAS = ['exim', 'opensmtpd', 'postfix', 'sendmail'];

export interface SampleMessage {
  name: string;
  raw: Buffer;
}

/** `perMta` scenarios spread evenly over the catalog, each one's DSN from every MTA, interleaved
 *  (scenario k of each MTA, then the next). */
export function realMtaSample(perMta: number): SampleMessage[] {
  const lists = MTAS.map((m) =>
    readdirSync(join(ROOT, m))
      .filter((f) => f.endsWith('.eml'))
      .sort()
      .filter((_, i, all) => perMta >= all.length || i % Math.floor(all.length / perMta) === 0)
      .slice(0, perMta)
      .map((f) => ({ name: `${m}/${f}`, raw: readFileSync(join(ROOT, m, f)) })),
  );
  const out: SampleMessage[] = [];
  for (let i = 0; i < perMta; i++) for (const l of lists) if (l[i]) out.push(l[i]!);
  return out;
}
