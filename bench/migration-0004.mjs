/**
 * bench/migration-0004 - time migration 0004 (address normal form) on a version 3 store with
 * 1,000,000 messages, events and addresses, 1 % of them at an IDN domain stored as A-labels, 2 %
 * IMAP messages. Run after a build: `npm run build --silent && node bench/migration-0004.mjs [db]`.
 * Prints the time openStore takes (the migration's one transaction) and three lookups.
 */
import Database from 'better-sqlite3';
import { sql as m1 } from '../dist/store/migrations/0001-initial.js';
import { sql as m2 } from '../dist/store/migrations/0002-imap-health.js';
import { sql as m3 } from '../dist/store/migrations/0003-addresses-without-rowid.js';
import { openStore } from '../dist/store/index.js';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const path = process.argv[2] ?? join(tmpdir(), 'rebound-m0004-bench.db');
for (const s of ['', '-wal', '-shm']) rmSync(path + s, { force: true });
const db = new Database(path);
db.pragma('journal_mode = WAL');
db.exec(m1); db.exec(m2); db.exec(m3); db.pragma('user_version = 3');
const N = 1_000_000;
// 1M messages, events and addresses; 1 % at IDN domains (A-labels, as rebound <= 0.1 stored them).
const seq = `WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s WHERE v < ${N})`;
const addr = `'u' || v || '@' || CASE WHEN v % 100 = 0 THEN 'xn--bcher-kva.example' ELSE 'example.com' END`;
db.exec(`${seq} INSERT INTO messages (id, sha256, source, rcpt_to, received_at, stored_at, size, raw, state) SELECT v, 'h' || v, CASE WHEN v % 50 = 0 THEN 'imap' ELSE 'smtp' END, '["bounces+u' || v || '=example.com@b.test"]', 1, 1, 10, NULL, 'processed' FROM s`);
db.exec(`${seq} INSERT INTO events (message_id, address, raw_address, at, received_at, message_type, action, status, reply_code, reason, hard, category, likely_false_positive, evidence, diagnostic, remote_mta, feedback_type, effect) SELECT v, ${addr}, ${addr}, 1, 1, 'bounce', 'failed', '5.1.1', '550', 'userunknown', 1, 2, 0, '', '550 5.1.1 unknown', '', '', 'invalid' FROM s`);
db.exec(`${seq} INSERT INTO addresses (address, email_invalid, email_invalid_cause, email_invalid_at, events, updated_at) SELECT ${addr}, 1, '550 5.1.1 unknown', 1, 1, 1 FROM s`);
db.close();
const t0 = performance.now();
const st = openStore({ path });
console.log(`migration 0004 on ${N} messages/events/addresses (1 % IDN): ${((performance.now() - t0) / 1000).toFixed(2)} s`);
console.log(st.mayISend('u100@bücher.example').verdict, st.mayISend('u100@xn--bcher-kva.example').verdict, st.mayISend('u1@example.com').verdict);
st.close();
for (const s of ['', '-wal', '-shm']) rmSync(path + s, { force: true });
