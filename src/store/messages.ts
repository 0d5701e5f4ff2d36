/**
 * store/messages - the `messages` table: every message we received, raw (gzip), with its
 * envelope, arrival time, sha256 and processing state. The SMTP intake stores the raw bytes
 * uncompressed (compression 'none': gzip was the largest cost of an acknowledgement) and the
 * pipeline gzips them when it records the outcome (packRaw).
 *
 * The envelope keeps what intake learned from its return paths (`return_paths`, migration 0008);
 * a row stored before that has NULL there and is judged on read with the verp.* config the store
 * was opened with (StoreOptions.legacyVerp): the legacy path, the one place a token is decoded
 * after intake (toStored).
 *
 * In: Envelope + raw bytes. Out: row ids; a duplicate (same sha256 of the raw bytes) returns the
 * existing id and changes nothing. Nothing here deletes a message; prune only drops the raw body
 * of finished messages (config jobs.prune.messagesDays).
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { VERIFY_STATUSES, type Envelope, type ReturnPathVerdict, type SourceKind } from '../types.js';
import { learnReturnPaths, type CheckOptions } from '../verp/sign.js';
import type { IngestCheck, MessageStore, ReprocessFilter, SaveResult } from './api.js';
import type { StoreContext } from './context.js';
import type { Db } from './db.js';
import { fdatasyncSync } from 'node:fs';

export type MessageState = 'pending' | 'processed' | 'not-a-bounce' | 'failed';

export interface StoredMessage {
  id: number;
  sha256: string;
  env: Envelope;
  storedAt: number;
  size: number;
  state: MessageState;
  error: string | null;
  messageType: string | null;
  decodedBy: string | null;
  problems: string[];
  bounceAt: number | null;
  attempts: number;
  processedAt: number | null;
  /** The raw bytes; null once pruned. */
  raw: Buffer | null;
  /** How raw is stored: 'gzip', or 'none' until the pipeline compresses it. */
  compression: string;
}

interface MessageRow {
  id: number;
  sha256: string;
  source: string;
  origin: string;
  mail_from: string;
  rcpt_to: string;
  /** JSON ReturnPathVerdict[]; NULL for rows stored before migration 0008. */
  return_paths?: string | null;
  received_at: number;
  stored_at: number;
  size: number;
  raw: Buffer | null;
  compression: string;
  state: MessageState;
  error: string | null;
  message_type: string | null;
  decoded_by: string | null;
  problems: string | null;
  bounce_at: number | null;
  attempts: number;
  processed_at: number | null;
}

export function hashRaw(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('hex');
}

export function messageStatements(db: Db) {
  return {
    byHash: db.prepare<[string], { id: number }>('SELECT id FROM messages WHERE sha256 = ?'),
    insert: db.prepare(
      `INSERT INTO messages (sha256, source, origin, mail_from, rcpt_to, return_paths, received_at, stored_at, size, raw, compression)
       VALUES (@sha256, @source, @origin, @mailFrom, @rcptTo, @returnPaths, @receivedAt, @storedAt, @size, @raw, @compression)
       ON CONFLICT (sha256) DO NOTHING`,
    ),
    get: db.prepare<[number], MessageRow>('SELECT * FROM messages WHERE id = ?'),
    state: db.prepare<[number], { state: MessageState; stored_at: number }>('SELECT state, stored_at FROM messages WHERE id = ?'),
    finish: db.prepare(
      `UPDATE messages SET state = @state, error = @error, message_type = @messageType, decoded_by = @decodedBy,
         problems = @problems, bounce_at = @bounceAt, attempts = attempts + 1, processed_at = @now WHERE id = @id`,
    ),
    pending: db.prepare<[number], { id: number }>(`SELECT id FROM messages WHERE state = 'pending' ORDER BY id LIMIT ?`),
    pack: db.prepare<[Buffer, number]>(`UPDATE messages SET raw = ?, compression = 'gzip' WHERE id = ? AND compression = 'none' AND raw IS NOT NULL`),
  };
}

export type MessageStatements = ReturnType<typeof messageStatements>;

/** A message ready to insert: hashed and compressed outside the write transaction. */
export interface PreparedMessage {
  env: Envelope;
  sha256: string;
  size: number;
  /** The bytes as stored: gzip, or the raw message itself when compression is 'none'. */
  body: Buffer;
  compression: 'gzip' | 'none';
}

export function prepareMessage(env: Envelope, raw: Buffer, compress = true): PreparedMessage {
  // Level 1: bounces compress ~4x even so, and ingest throughput matters more than bytes.
  if (!compress) return { env, sha256: hashRaw(raw), size: raw.length, body: raw, compression: 'none' };
  return { env, sha256: hashRaw(raw), size: raw.length, body: packRaw(raw), compression: 'gzip' };
}

export function packRaw(raw: Buffer): Buffer {
  return gzipSync(raw, { level: 1 });
}

/** Insert one prepared message (caller holds the transaction). */
export function insertMessage(st: MessageStatements, p: PreparedMessage, now: number): { id: number; duplicate: boolean } {
  // INSERT first (ON CONFLICT DO NOTHING) and look the hash up only when it changed nothing:
  // duplicates are rare, so most messages cost one statement instead of two.
  const info = st.insert.run({
    sha256: p.sha256,
    source: p.env.source,
    origin: p.env.origin,
    mailFrom: p.env.mailFrom,
    rcptTo: JSON.stringify(p.env.rcptTo),
    returnPaths: returnPathsJson(p.env),
    receivedAt: Math.floor(p.env.receivedAt),
    storedAt: now,
    size: p.size,
    raw: p.body,
    compression: p.compression,
  });
  if (info.changes === 0) {
    // Same content already stored (by us earlier, or by another process).
    const again = st.byHash.get(p.sha256);
    if (!again) throw new Error('store: message insert lost without a conflicting row');
    return { id: again.id, duplicate: true };
  }
  return { id: Number(info.lastInsertRowid), duplicate: false };
}

export function loadMessage(st: MessageStatements, id: number, legacyVerp?: CheckOptions): StoredMessage | undefined {
  const r = st.get.get(id);
  return r ? toStored(r, legacyVerp) : undefined;
}

/** The `return_paths` value of an envelope: NULL when intake learned nothing (a caller's own envelope). */
export function returnPathsJson(env: Envelope): string | null {
  return env.returnPaths ? JSON.stringify(env.returnPaths) : null;
}

/**
 * `return_paths` read back, checked entry by entry (the file may have been edited by hand, or
 * written by a newer rebound): undefined for NULL or anything that is not an array of verdicts,
 * which is then judged as a legacy row.
 */
export function readReturnPaths(text: string | null | undefined): ReturnPathVerdict[] | undefined {
  if (text == null) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(v)) return undefined;
  const out: ReturnPathVerdict[] = [];
  for (const e of v as unknown[]) {
    if (typeof e !== 'object' || e === null) return undefined;
    const o = e as Record<string, unknown>;
    const { returnPath, address, status, verified, mayChangeState } = o;
    if (typeof returnPath !== 'string' || typeof address !== 'string' || typeof verified !== 'boolean' || typeof mayChangeState !== 'boolean') return undefined;
    if (!(VERIFY_STATUSES as readonly unknown[]).includes(status)) return undefined;
    out.push({ returnPath, address, status: status as ReturnPathVerdict['status'], verified, mayChangeState });
  }
  return out;
}

/** A row as the pipeline reads it; `legacyVerp` judges the return paths of a row that has none. */
export function toStored(r: MessageRow, legacyVerp?: CheckOptions): StoredMessage {
  let rcptTo: string[] = [];
  try {
    const parsed: unknown = JSON.parse(r.rcpt_to);
    if (Array.isArray(parsed)) rcptTo = parsed.map(String);
  } catch {
    // Written by us as JSON; an unreadable value is shown as no recipients rather than failing.
  }
  let problems: string[] = [];
  if (r.problems) {
    try {
      const p: unknown = JSON.parse(r.problems);
      if (Array.isArray(p)) problems = p.map(String);
    } catch {
      problems = [r.problems];
    }
  }
  // The legacy path: a row stored before intake kept its verdicts is judged now, as of its receipt.
  const returnPaths = readReturnPaths(r.return_paths) ?? (legacyVerp ? learnReturnPaths(rcptTo, legacyVerp, r.received_at) : undefined);
  return {
    id: r.id,
    sha256: r.sha256,
    env: {
      source: r.source as SourceKind,
      origin: r.origin,
      mailFrom: r.mail_from,
      rcptTo,
      receivedAt: r.received_at,
      ...(returnPaths ? { returnPaths } : {}),
    },
    storedAt: r.stored_at,
    size: r.size,
    state: r.state,
    error: r.error,
    messageType: r.message_type,
    decodedBy: r.decoded_by,
    problems,
    bounceAt: r.bounce_at,
    attempts: r.attempts,
    processedAt: r.processed_at,
    raw: r.raw === null ? null : r.compression === 'gzip' ? gunzipSync(r.raw) : r.raw,
    compression: r.compression,
  };
}


// ---- the SQLite MessageStore (store/api.ts) ----

export class SqliteMessages implements MessageStore {
  readonly path: string;
  constructor(private readonly ctx: StoreContext) {
    this.path = ctx.path;
  }

  saveMessage(env: Envelope, raw: Buffer): SaveResult {
    return this.saveMessages([{ env, raw }])[0]!;
  }

  saveMessages(items: { env: Envelope; raw: Buffer }[], compress = true): SaveResult[] {
    if (items.length === 0) return [];
    // Hash and compress before taking the write lock, so other writers wait only for the inserts.
    const prepared = items.map((it) => prepareMessage(it.env, it.raw, compress));
    const now = this.ctx.clock();
    return this.ctx.write('save messages', () =>
      this.ctx.db.transaction(() => prepared.map((p) => insertMessage(this.ctx.m, p, now))).immediate(),
    );
  }

  saveMessagesUnsynced(items: { env: Envelope; raw: Buffer }[]): SaveResult[] | null {
    if (!this.ctx.sync) return null;
    // Uncompressed: the pipeline gzips the raw bytes later, off the acknowledgement's path.
    return this.ctx.relaxed(() => this.saveMessages(items, false));
  }

  syncWalNow(): void {
    if (!this.ctx.sync || this.ctx.closed) return;
    fdatasyncSync(this.ctx.walFile());
  }

  getMessage(id: number): StoredMessage | undefined {
    return loadMessage(this.ctx.m, id, this.ctx.legacyVerp);
  }

  pendingIds(limit: number): number[] {
    return this.ctx.m.pending.all(limit).map((r) => r.id);
  }

  selectIds(filter: ReprocessFilter): number[] {
    const where: string[] = ['raw IS NOT NULL'];
    const args: (string | number)[] = [];
    if (!filter.all) {
      if (filter.ids && filter.ids.length > 0) {
        where.push(`id IN (${filter.ids.map(() => '?').join(',')})`);
        args.push(...filter.ids);
      }
      if (filter.states && filter.states.length > 0) {
        where.push(`state IN (${filter.states.map(() => '?').join(',')})`);
        args.push(...filter.states);
      }
    }
    if (filter.since !== undefined) {
      where.push('received_at >= ?');
      args.push(filter.since);
    }
    if (filter.until !== undefined) {
      where.push('received_at < ?');
      args.push(filter.until);
    }
    if (!filter.all && !(filter.ids?.length || filter.states?.length) && filter.since === undefined && filter.until === undefined) {
      throw new Error('reprocess: give ids, states, a time range, or all');
    }
    const ids = (this.ctx.db.prepare(`SELECT id FROM messages WHERE ${where.join(' AND ')} ORDER BY id`).all(...args) as { id: number }[]).map((r) => r.id);
    return ids;
  }

  ingestCheck(raw: Buffer): IngestCheck {
    const sha256 = hashRaw(raw);
    const known = this.ctx.m.byHash.get(sha256);
    const state = known ? this.ctx.m.state.get(known.id)?.state : undefined;
    return { sha256, done: state !== undefined && state !== 'pending' };
  }
}
