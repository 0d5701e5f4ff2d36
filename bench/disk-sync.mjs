#!/usr/bin/env node
/**
 * bench/disk-sync - what one group commit's durability costs on this disk: write WAL-shaped frames
 * (a 24-byte header and a 4,096-byte page, two pwrites each, as SQLite writes its WAL) into a
 * preallocated file, then fdatasync, many times; alone, and while a second process dirties
 * another file with random 4 KB writes at R MB/s, never syncing it (as checkpoints dirty the
 * database file during an SMTP burst, left to the kernel's writeback). docs/BENCHMARKS.md.
 *
 * Run: npm run bench:disk [-- --dir DIR --frames 25 --rounds 800 --background 0,10,40]
 * DIR defaults to ./data (where rebound keeps its database by default); two temp files are made
 * there and removed. Prints p50/p90/p99 of the writes and of the fdatasync, per background rate.
 */
import { fork } from 'node:child_process';
import { closeSync, fdatasyncSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};

if (args[0] === '--dirty') {
  // The background writer: random 4 KB pwrites into a 100 MB file at the given MB/s.
  const [, file, mbps] = args;
  const fd = openSync(file, 'w+');
  const page = Buffer.alloc(4096, 7);
  const perTick = (Number(mbps) * 256) / 100; // pages per 10 ms
  setInterval(() => {
    for (let i = 0; i < perTick; i++) writeSync(fd, page, 0, 4096, Math.floor(Math.random() * 25_600) * 4096);
  }, 10);
  process.on('disconnect', () => process.exit(0));
} else {
  const dir = resolve(opt('dir', 'data'));
  mkdirSync(dir, { recursive: true });
  const tmp = mkdtempSync(join(dir, 'rebound-disk-sync-'));
  const FRAMES = Number(opt('frames', 25));
  const ROUNDS = Number(opt('rounds', 800));
  const BACKGROUND = opt('background', '0,10,40').split(',').map(Number);
  const FILE_BYTES = 40 << 20;
  const pct = (a, p) => a[Math.min(a.length - 1, Math.floor(p * a.length))];
  try {
    const wal = join(tmp, 'wal');
    const fd = openSync(wal, 'w+');
    const mb = Buffer.alloc(1 << 20, 1);
    for (let i = 0; i < 40; i++) writeSync(fd, mb, 0, mb.length, i << 20); // preallocated: syncs overwrite, as a recycled WAL does
    fdatasyncSync(fd);
    const hdr = Buffer.alloc(24, 3);
    const page = Buffer.alloc(4096, 4);
    console.log(`${FRAMES} frames (${FRAMES * 2} pwrites, ${((FRAMES * 4120) / 1024).toFixed(0)} KB) then fdatasync, ${ROUNDS} times, in ${dir}`);
    console.log('background MB/s | writes p50 us | fdatasync p50 us | p90 | p99');
    for (const rate of BACKGROUND) {
      const bg = rate > 0 ? fork(new URL(import.meta.url).pathname, ['--dirty', join(tmp, 'other'), String(rate)], { stdio: 'inherit' }) : null;
      if (bg) await new Promise((r) => setTimeout(r, 1000));
      const w = [];
      const s = [];
      let off = 32;
      for (let i = 0; i < ROUNDS; i++) {
        const t0 = process.hrtime.bigint();
        for (let f = 0; f < FRAMES; f++) {
          writeSync(fd, hdr, 0, 24, off);
          writeSync(fd, page, 0, 4096, off + 24);
          off += 4120;
          if (off > FILE_BYTES - 8192) off = 32;
        }
        const t1 = process.hrtime.bigint();
        fdatasyncSync(fd);
        s.push(Number(process.hrtime.bigint() - t1) / 1000);
        w.push(Number(t1 - t0) / 1000);
      }
      bg?.kill();
      w.sort((a, b) => a - b);
      s.sort((a, b) => a - b);
      console.log(`${String(rate).padStart(15)} | ${pct(w, 0.5).toFixed(0).padStart(13)} | ${pct(s, 0.5).toFixed(0).padStart(16)} | ${pct(s, 0.9).toFixed(0)} | ${pct(s, 0.99).toFixed(0)}`);
    }
    closeSync(fd);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
