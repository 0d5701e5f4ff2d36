/**
 * store/postgresql/imap-state - IMAP cursors and health rows on PostgreSQL, and the leases that
 * give a mailbox folder to one daemon at a time (table imap_leases; times by the server's clock):
 * the cursor is written only by the lease holder.
 */
import type pg from 'pg';
import { mergeImapHealth, type ImapCursor, type ImapHealth, type ImapHealthUpdate } from '../api.js';
import { DB_NOW, type PgContext } from './context.js';

export class PgImapState {
  constructor(private readonly ctx: PgContext) {}


  /**
   * Take or renew the lease of one mailbox folder for `owner` (e.g. host:pid) for `ttlMs`, by the
   * database server's clock. True when `owner` holds it now: it was free, expired, or already ours.
   */
  async acquireImapLease(account: string, folder: string, owner: string, ttlMs: number): Promise<boolean> {
    const r = await this.ctx.pool.query<{ owner: string }>(
      `INSERT INTO imap_leases AS l (account, folder, owner, acquired_at, expires_at)
       VALUES ($1, $2, $3, ${DB_NOW}, ${DB_NOW} + $4)
       ON CONFLICT (account, folder) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at,
         acquired_at = CASE WHEN l.owner = excluded.owner THEN l.acquired_at ELSE excluded.acquired_at END
       WHERE l.owner = excluded.owner OR l.expires_at <= excluded.acquired_at
       RETURNING owner`,
      [account, folder, owner, Math.max(1, Math.floor(ttlMs))],
    );
    return r.rows[0]?.owner === owner;
  }

  async releaseImapLease(account: string, folder: string, owner: string): Promise<void> {
    await this.ctx.pool.query('DELETE FROM imap_leases WHERE account = $1 AND folder = $2 AND owner = $3', [account, folder, owner]);
  }

  /** Who holds the lease now (null: nobody, or it expired). */
  async imapLeaseHolder(account: string, folder: string): Promise<string | null> {
    const r = await this.ctx.pool.query<{ owner: string }>(
      `SELECT owner FROM imap_leases WHERE account = $1 AND folder = $2 AND expires_at > ${DB_NOW}`,
      [account, folder],
    );
    return r.rows[0]?.owner ?? null;
  }

  /**
   * Save the cursor. With `owner`, only while that owner holds an unexpired lease (a fence: a
   * daemon that lost its lease while stalled cannot move the cursor the new holder uses); returns
   * whether it was written.
   */
  async setImapCursor(account: string, folder: string, cursor: ImapCursor, owner?: string): Promise<boolean> {
    const r = await this.ctx.pool.query(
      `INSERT INTO imap_cursors (account, folder, uid_validity, last_uid, updated_at)
       SELECT $1, $2, $3, $4, $5
        WHERE $6::text IS NULL OR EXISTS (SELECT 1 FROM imap_leases WHERE account = $1 AND folder = $2 AND owner = $6 AND expires_at > ${DB_NOW})
       ON CONFLICT (account, folder) DO UPDATE SET uid_validity = excluded.uid_validity, last_uid = excluded.last_uid,
         updated_at = excluded.updated_at`,
      [account, folder, cursor.uidValidity, cursor.lastUid, this.ctx.clock(), owner ?? null],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async getImapCursor(account: string, folder: string): Promise<ImapCursor | undefined> {
    const r = await this.ctx.pool.query<{ uidValidity: number; lastUid: number }>(
      'SELECT uid_validity AS "uidValidity", last_uid AS "lastUid" FROM imap_cursors WHERE account = $1 AND folder = $2',
      [account, folder],
    );
    return r.rows[0] ? { uidValidity: r.rows[0].uidValidity, lastUid: r.rows[0].lastUid } : undefined;
  }

  async saveImapHealth(h: ImapHealthUpdate): Promise<ImapHealth> {
    return this.ctx.transaction('imap health', async (c) => {
      await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 1))', [`imap-health:${h.mailbox}`]);
      const cur = (await getHealth(c, h.mailbox))[0];
      const row = mergeImapHealth(h, cur, this.ctx.clock());
      await c.query(
        `INSERT INTO imap_health (mailbox, last_run_at, last_success_at, last_error, last_error_at, backlog, messages_last_run, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (mailbox) DO UPDATE SET last_run_at = excluded.last_run_at, last_success_at = excluded.last_success_at,
           last_error = excluded.last_error, last_error_at = excluded.last_error_at, backlog = excluded.backlog,
           messages_last_run = excluded.messages_last_run, updated_at = excluded.updated_at`,
        [row.mailbox, row.lastRunAt, row.lastSuccessAt, row.lastError, row.lastErrorAt, row.backlog, row.messagesLastRun, row.updatedAt],
      );
      return row;
    });
  }

  async getImapHealth(mailbox?: string): Promise<ImapHealth[]> {
    const c = await this.ctx.pool.connect();
    try {
      return await getHealth(c, mailbox);
    } finally {
      c.release();
    }
  }
}

async function getHealth(c: pg.PoolClient, mailbox?: string): Promise<ImapHealth[]> {
  const r = await c.query<ImapHealth>(
    `SELECT mailbox, last_run_at AS "lastRunAt", last_success_at AS "lastSuccessAt", last_error AS "lastError",
       last_error_at AS "lastErrorAt", backlog, messages_last_run AS "messagesLastRun", updated_at AS "updatedAt"
     FROM imap_health WHERE $1::text IS NULL OR mailbox = $1 ORDER BY mailbox COLLATE "C"`,
    [mailbox ?? null],
  );
  return r.rows;
}

