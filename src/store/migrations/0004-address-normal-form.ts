/**
 * migrations/0004-address-normal-form - existing stores move to the address normal form (address/normal.ts)
 * (src/address/normal.ts, docs/STATE-RULES.md): domains as U-labels instead of A-labels, local
 * parts case-folded as Postfix folds lookup keys (ß -> ss, final ς -> σ) instead of lower-cased.
 * It also repairs what the latin1 reading of IMAP delivery headers left behind.
 *
 * 1. `events.address`, `address_actions.address` and the `addresses` key are rewritten for every
 *    row whose normal form changed (only rows with an A-label or a non-ASCII character can). An
 *    `addresses` row is renamed when its new key is free, so its state is kept exactly. When two
 *    old keys meet in one new key (say `strasse@x` and `straße@x`), the row with the newer
 *    `updated_at` stands in and the key goes to `address_recompute`: the next writable open
 *    (store/index.ts) folds it again from all its events and actions with the configured rules.
 * 2. IMAP messages whose stored envelope was decoded as latin1 (a character U+0080-U+00FF in
 *    `rcpt_to` or `mail_from`) get it read again by the rule of address/text.ts - the latin1 text
 *    is exactly the bytes, so nothing is guessed - and, when it changed and the raw message is
 *    still there, go back to `pending`: the daemon's first sweep reprocesses them, which replaces
 *    their events (the garbled address loses them, the real one gets them).
 * 3. Messages whose events name an address that is UTF-8 read as latin1 (the `Final-Recipient`
 *    of a message/global-delivery-status part) go back to `pending` too, so an upgraded parser
 *    reads them again. Reprocessing is idempotent: a message that was right stays right.
 *
 * Runs inside the migration's IMMEDIATE transaction (db.ts); a crash leaves version 3.
 */
import type { Db } from '../db.js';
import { normaliseAddress } from '../../address/normal.js';
import { textFromBinary } from '../../address/text.js';

export const sql = `
CREATE TABLE IF NOT EXISTS address_recompute (address TEXT PRIMARY KEY) WITHOUT ROWID;
`;

// Rows whose normal form can have changed: an A-label, or any character outside printable ASCII.
const CANDIDATE = `(address LIKE '%xn--%' OR address GLOB '*[^ -~]*')`;

/** UTF-8 read as latin1: every character <= U+00FF, and as bytes valid UTF-8 with non-ASCII in it. */
export function isLatin1Mojibake(s: string): boolean {
  // eslint-disable-next-line no-control-regex
  if (!/[\u0080-\u00ff]/.test(s) || /[^\x00-\xff]/.test(s)) return false;
  const t = textFromBinary(s);
  return t !== s && !/\\x[0-9A-F]{2}/.test(t);
}

export function run(db: Db): void {
  db.exec(sql);
  db.function('rebound_normal_v4', { deterministic: true }, (a: unknown) => {
    const s = String(a ?? '');
    const n = normaliseAddress(s);
    return n === '' ? s : n;
  });
  db.exec(`UPDATE events SET address = rebound_normal_v4(address) WHERE address <> '' AND ${CANDIDATE} AND rebound_normal_v4(address) <> address`);
  db.exec(`UPDATE address_actions SET address = rebound_normal_v4(address) WHERE ${CANDIDATE} AND rebound_normal_v4(address) <> address`);

  const moved = db.prepare(`SELECT address, rebound_normal_v4(address) AS normal, updated_at FROM addresses WHERE ${CANDIDATE}`).all() as {
    address: string;
    normal: string;
    updated_at: number;
  }[];
  const get = db.prepare('SELECT updated_at FROM addresses WHERE address = ?');
  const rename = db.prepare('UPDATE addresses SET address = ? WHERE address = ?');
  const drop = db.prepare('DELETE FROM addresses WHERE address = ?');
  const recompute = db.prepare('INSERT OR IGNORE INTO address_recompute (address) VALUES (?)');
  for (const r of moved) {
    if (r.normal === r.address) continue;
    const there = get.get(r.normal) as { updated_at: number } | undefined;
    if (!there) {
      rename.run(r.normal, r.address);
      continue;
    }
    if (r.updated_at > there.updated_at) {
      drop.run(r.normal);
      rename.run(r.normal, r.address);
    } else drop.run(r.address);
    recompute.run(r.normal);
  }

  // IMAP envelopes read as latin1: read again, and reprocess what changed.
  const envs = db
    .prepare(`SELECT id, mail_from, rcpt_to, raw IS NOT NULL AS has_raw FROM messages WHERE source = 'imap' AND (rcpt_to GLOB '*[^ -~]*' OR mail_from GLOB '*[^ -~]*')`)
    .all() as { id: number; mail_from: string; rcpt_to: string; has_raw: number }[];
  const setEnv = db.prepare('UPDATE messages SET mail_from = ?, rcpt_to = ? WHERE id = ?');
  const requeue = db.prepare(`UPDATE messages SET state = 'pending' WHERE id = ? AND raw IS NOT NULL`);
  for (const m of envs) {
    let rcpt: unknown;
    try {
      rcpt = JSON.parse(m.rcpt_to);
    } catch {
      continue;
    }
    if (!Array.isArray(rcpt)) continue;
    const fixed = rcpt.map((a) => (typeof a === 'string' && isLatin1Mojibake(a) ? textFromBinary(a) : a));
    const from = isLatin1Mojibake(m.mail_from) ? textFromBinary(m.mail_from) : m.mail_from;
    const rcptJson = JSON.stringify(fixed);
    if (rcptJson === m.rcpt_to && from === m.mail_from) continue;
    setEnv.run(from, rcptJson, m.id);
    requeue.run(m.id);
  }

  // Events that name a UTF-8 address read as latin1: let the parser read their message again.
  const garbled = db.prepare(`SELECT DISTINCT message_id, raw_address FROM events WHERE raw_address GLOB '*[^ -~]*'`).all() as {
    message_id: number;
    raw_address: string;
  }[];
  for (const e of garbled) if (isLatin1Mojibake(e.raw_address)) requeue.run(e.message_id);
}
