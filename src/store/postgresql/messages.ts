/**
 * store/postgresql/messages - raw messages in PostgreSQL: intake's commit (resolves once
 * committed: the 250 follows), the same bytes from two hosts stored once (sha256, unique), and
 * reading them back.
 */
import type { Envelope } from '../../types.js';
import type { IngestCheck, ReprocessFilter, SaveResult } from '../api.js';
import { DaemonError } from '../../errors.js';
import { hashRaw, prepareMessage, returnPathsJson, toStored, type StoredMessage } from '../messages.js';
import { DB_NOW, type PgContext } from './context.js';

export type MessageRow = Parameters<typeof toStored>[0];

export class PgMessages {
  constructor(private readonly ctx: PgContext) {}

  /** A reason not to trust a commit with a 250, or '' (checked by the daemon at start). */
  async durabilityWarning(): Promise<string> {
    const r = await this.ctx.pool.query<{ s: string }>('SHOW synchronous_commit');
    const s = r.rows[0]?.s ?? '';
    return s === 'off'
      ? `${this.ctx.path}: synchronous_commit = off: a commit may be lost in a server crash after rebound answered 250; set it to on (or remote_write/remote_apply with a standby)`
      : '';
  }

  // ---- intake ----

  async saveMessage(env: Envelope, raw: Buffer): Promise<SaveResult> {
    return (await this.saveMessages([{ env, raw }]))[0]!;
  }

  /**
   * Store the messages; resolves once they are committed (the 250 may be sent then). One INSERT
   * for the batch; a message whose sha256 is already there (from any host) returns that row's id
   * with duplicate = true. Gzipped as SQLite's saveMessages does; `compress: false` stores the
   * bytes as received (the daemon's intake: gzip off the acknowledgement's path, the pipeline
   * packs them later, as SQLite's saveMessagesUnsynced).
   */
  async saveMessages(items: { env: Envelope; raw: Buffer }[], opts: { compress?: boolean } = {}): Promise<SaveResult[]> {
    if (items.length === 0) return [];
    const prepared = items.map((it) => prepareMessage(it.env, it.raw, opts.compress ?? true));
    const storedAt = this.ctx.injectedClock ? String(this.ctx.injectedClock()) : null;
    return this.ctx.write('save messages', async () => {
      const ins = await this.ctx.pool.query<{ id: number; sha256: string }>(
        `INSERT INTO messages (sha256, source, origin, mail_from, rcpt_to, return_paths, received_at, stored_at, size, raw, compression)
         SELECT t.sha256, t.source, t.origin, t.mail_from, t.rcpt_to, t.return_paths, t.received_at, coalesce($11::bigint, ${DB_NOW}), t.size, t.raw, t.compression
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::bytea[], $9::text[], $10::int[], $12::text[])
             AS t(sha256, source, origin, mail_from, rcpt_to, received_at, size, raw, compression, n, return_paths)
          ORDER BY t.n
         ON CONFLICT (sha256) DO NOTHING RETURNING id, sha256`,
        [
          prepared.map((p) => p.sha256),
          prepared.map((p) => p.env.source),
          prepared.map((p) => p.env.origin),
          prepared.map((p) => p.env.mailFrom),
          prepared.map((p) => JSON.stringify(p.env.rcptTo)),
          prepared.map((p) => Math.floor(p.env.receivedAt)),
          prepared.map((p) => p.size),
          prepared.map((p) => p.body),
          prepared.map((p) => p.compression),
          prepared.map((_, i) => i),
          storedAt,
          prepared.map((p) => returnPathsJson(p.env)),
        ],
      );
      const fresh = new Map(ins.rows.map((r) => [r.sha256, r.id]));
      const missing = prepared.filter((p) => !fresh.has(p.sha256)).map((p) => p.sha256);
      const old = new Map<string, number>();
      if (missing.length > 0) {
        const r = await this.ctx.pool.query<{ id: number; sha256: string }>('SELECT id, sha256 FROM messages WHERE sha256 = ANY($1::text[])', [missing]);
        for (const row of r.rows) old.set(row.sha256, row.id);
      }
      const seen = new Set<string>();
      return prepared.map((p) => {
        const id = fresh.get(p.sha256);
        if (id !== undefined && !seen.has(p.sha256)) {
          seen.add(p.sha256);
          return { id, duplicate: false };
        }
        const again = id ?? old.get(p.sha256);
        if (again === undefined) throw new DaemonError('internal', 'store: message insert lost without a conflicting row');
        return { id: again, duplicate: true };
      });
    });
  }

  async getMessage(id: number): Promise<StoredMessage | undefined> {
    const r = await this.ctx.pool.query<MessageRow>('SELECT * FROM messages WHERE id = $1', [id]);
    return r.rows[0] ? toStored(r.rows[0], this.ctx.legacyVerp) : undefined;
  }
  /** Ids of pending messages, oldest first, at most `limit` (another daemon may hold some). */
  async pendingIds(limit: number): Promise<number[]> {
    const r = await this.ctx.pool.query<{ id: number }>(`SELECT id FROM messages WHERE state = 'pending' ORDER BY id LIMIT $1`, [limit]);
    return r.rows.map((x) => x.id);
  }

  /** Per raw message: its hash, and whether it is stored and finished already (one query). */
  async ingestChecks(raws: readonly Buffer[]): Promise<IngestCheck[]> {
    const hashes = raws.map(hashRaw);
    if (hashes.length === 0) return [];
    const r = await this.ctx.pool.query<{ sha256: string; state: string }>('SELECT sha256, state FROM messages WHERE sha256 = ANY($1::text[])', [hashes]);
    const state = new Map(r.rows.map((x) => [x.sha256, x.state]));
    return hashes.map((sha256) => {
      const st = state.get(sha256);
      return { sha256, done: st !== undefined && st !== 'pending' };
    });
  }

  /** Ids of the messages a reprocess filter selects (raw bytes kept), in id order. */
  async selectIds(filter: ReprocessFilter): Promise<number[]> {
    const where: string[] = ['raw IS NOT NULL'];
    const args: unknown[] = [];
    const p = (v: unknown): string => {
      args.push(v);
      return `$${args.length}`;
    };
    if (!filter.all) {
      if (filter.ids && filter.ids.length > 0) where.push(`id = ANY(${p(filter.ids)}::bigint[])`);
      if (filter.states && filter.states.length > 0) where.push(`state = ANY(${p(filter.states)}::text[])`);
    }
    if (filter.since !== undefined) where.push(`received_at >= ${p(filter.since)}`);
    if (filter.until !== undefined) where.push(`received_at < ${p(filter.until)}`);
    if (!filter.all && !(filter.ids?.length || filter.states?.length) && filter.since === undefined && filter.until === undefined) {
      throw new Error('reprocess: give ids, states, a time range, or all');
    }
    const r = await this.ctx.pool.query<{ id: number }>(`SELECT id FROM messages WHERE ${where.join(' AND ')} ORDER BY id`, args);
    return r.rows.map((x) => x.id);
  }
}
