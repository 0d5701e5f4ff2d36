/**
 * cli/ingest-progress - the progress bar of `rebound ingest` on a terminal: bytes read of the
 * input's total size, messages, rate.
 */
import { SingleBar } from 'cli-progress';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { IngestSummary } from './ingest.js';

/**
 * The terminal progress bar: the bar and the ETA follow the input bytes (the total is the size of
 * the files and directories given; stdin has none, so no bar and no ETA), the text shows messages
 * done, the rate and the bounces found.
 */
export async function startProgress(paths: string[]): Promise<{ update: (s: IngestSummary, bytes: number, started: number) => void; stop: () => void }> {
  const total = paths.includes('-') ? 0 : await inputBytes(paths);
  const bar = new SingleBar({
    format:
      total > 0
        ? 'ingest [{bar}] {percentage}% | {msgs} messages | {rate} msg/s | ETA {eta_formatted} | {bounces} bounces'
        : 'ingest {msgs} messages | {rate} msg/s | {mb} MB read | {bounces} bounces',
    hideCursor: true,
    stream: process.stderr,
    etaBuffer: 50,
    fps: 5,
  });
  bar.start(Math.max(total, 1), 0, { msgs: 0, rate: 0, bounces: 0, mb: 0 });
  return {
    update: (s, bytes, started) => {
      const secs = (Date.now() - started) / 1000;
      bar.update(Math.min(bytes, Math.max(total, 1)), {
        msgs: s.messages.toLocaleString('en-US'),
        rate: secs > 0 ? Math.round(s.messages / secs).toLocaleString('en-US') : 0,
        bounces: s.bounces.toLocaleString('en-US'),
        mb: (s.bytes / 1e6).toFixed(1),
      });
    },
    stop: () => bar.stop(),
  };
}

/** Total size of the files under the paths (what the reader will read). */
async function inputBytes(paths: string[]): Promise<number> {
  let n = 0;
  const walk = async (p: string, depth: number): Promise<void> => {
    try {
      const st = await stat(p);
      if (st.isDirectory()) {
        if (depth > 40) return;
        for (const e of await readdir(p)) if (!e.startsWith('.')) await walk(join(p, e), depth + 1);
      } else if (st.isFile()) n += st.size;
    } catch {
      // Unreadable: the reader reports it.
    }
  };
  for (const p of paths) await walk(p, 0);
  return n;
}
