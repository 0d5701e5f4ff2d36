/**
 * store/postgresql/maintenance - reporting and housekeeping on PostgreSQL: stats (as SQLite's),
 * prune (the same rows dropped and folded again), and where backups come from (pg_dump).
 */
import { BackupNotSupportedError, type Stats } from '../api.js';
import type { MessageState } from '../messages.js';
import type { AddressFold } from '../state-rules.js';
import { SCHEMA_VERSION } from '../migrations/steps.js';
import { foldHistoryPg, lockAddresses, writeFolds, type PgContext } from './context.js';
import { pgBackupHint } from './pool.js';
import type { ImapHealth } from '../api.js';

const PRUNE_CHUNK = 5000;

export class PgMaintenance {
  constructor(
    private readonly ctx: PgContext,
    private readonly getImapHealth: () => Promise<ImapHealth[]>,
  ) {}


  async stats(now?: number): Promise<Stats> {
    const t = now ?? this.ctx.clock();
    const messages = { pending: 0, processed: 0, 'not-a-bounce': 0, failed: 0, total: 0, rawBytes: 0, pruned: 0 };
    for (const r of (await this.ctx.pool.query<{ state: MessageState; n: number }>('SELECT state, count(*) AS n FROM messages GROUP BY state')).rows) {
      messages[r.state] = r.n;
      messages.total += r.n;
    }
    const raw = (await this.ctx.pool.query<{ b: number; p: number }>(
      'SELECT coalesce(sum(length(raw)), 0) AS b, count(*) FILTER (WHERE raw IS NULL) AS p FROM messages',
    )).rows[0]!;
    messages.rawBytes = raw.b;
    messages.pruned = raw.p;
    const group = async (col: string): Promise<Record<string, number>> => {
      const o: Record<string, number> = {};
      for (const r of (await this.ctx.pool.query<{ k: string | number; n: number }>(`SELECT ${col} AS k, count(*) AS n FROM events GROUP BY ${col} ORDER BY ${col}`)).rows) o[String(r.k)] = r.n;
      return o;
    };
    const byCategory = await group('category');
    const total = Object.values(byCategory).reduce((x, y) => x + y, 0);
    const addr = (await this.ctx.pool.query<Stats['addresses']>(
      `SELECT count(*) AS known, coalesce(sum(email_invalid), 0) AS invalid, coalesce(sum(email_suspended), 0) AS suspended,
         count(*) FILTER (WHERE email_suspended = 1 AND email_suspended_at + $1 > $2) AS "suspendedNow",
         coalesce(sum(complained), 0) AS complained FROM addresses`,
      [this.ctx.rules.suspendHours * 3_600_000, t],
    )).rows[0]!;
    const v = (await this.ctx.pool.query<{ version: number }>('SELECT version FROM rebound_schema WHERE id = 1')).rows[0]?.version ?? SCHEMA_VERSION;
    return {
      messages,
      events: { total, byCategory, byReason: await group('reason'), byEffect: await group('effect') },
      addresses: addr,
      imap: await this.getImapHealth(),
      schemaVersion: v,
    };
  }

  /** `rebound backup` on PostgreSQL points to pg_dump (pool.ts pgBackupHint). */
  backupHint(): string {
    return pgBackupHint(this.ctx.path);
  }

  /** Refused, naming pg_dump: a backup of a shared database is the server's job, not a daemon's. */
  async backup(_file: string): Promise<void> {
    throw new BackupNotSupportedError(this.backupHint());
  }

  /** Nothing to do: the server checkpoints by itself. */
  async checkpoint(): Promise<void> {}

  /** Drop raw bodies of finished messages older than messagesOlderThanMs; with eventsOlderThanMs
   *  delete old events that cannot affect state and fold their addresses again (as SQLite does). */
  async prune(messagesOlderThanMs: number, eventsOlderThanMs?: number): Promise<{ rawDropped: number; eventsDeleted: number }> {
    const now = this.ctx.clock();
    let rawDropped = 0;
    for (;;) {
      const r = await this.ctx.pool.query(
        `UPDATE messages SET raw = NULL WHERE id IN (SELECT id FROM messages
           WHERE raw IS NOT NULL AND state IN ('processed', 'not-a-bounce') AND received_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
        [now - messagesOlderThanMs, PRUNE_CHUNK],
      );
      rawDropped += r.rowCount ?? 0;
      if ((r.rowCount ?? 0) < PRUNE_CHUNK) break;
    }
    let eventsDeleted = 0;
    if (eventsOlderThanMs !== undefined) {
      const effects = this.ctx.rules.escalation.enabled ? ['none'] : ['none', 'delivered', 'soft'];
      for (;;) {
        const n = await this.ctx.transaction('prune', async (c) => {
          const rows = await c.query<{ id: number; address: string; message_id: number }>(
            'SELECT id, address, message_id FROM events WHERE at < $1 AND effect = ANY($2::text[]) LIMIT $3',
            [now - eventsOlderThanMs, effects, PRUNE_CHUNK],
          );
          const touched = [...new Set(rows.rows.map((r) => r.address).filter((a) => a !== ''))];
          await lockAddresses(c, touched);
          await c.query('DELETE FROM events WHERE id = ANY($1::bigint[])', [rows.rows.map((r) => r.id)]);
          // Texts no kept event of their message refers to any more go too (as on SQLite).
          await c.query(
            'DELETE FROM diagnostics d WHERE d.message_id = ANY($1::bigint[]) AND NOT EXISTS (SELECT 1 FROM events e WHERE e.diagnostic_id = d.id)',
            [[...new Set(rows.rows.map((r) => r.message_id))]],
          );
          const gone: string[] = [];
          const folds: AddressFold[] = [];
          for (const a of touched) {
            const f = await foldHistoryPg(c, a, this.ctx.rules);
            if (f === null) gone.push(a);
            else folds.push(f);
          }
          if (gone.length > 0) await c.query('DELETE FROM addresses WHERE address = ANY($1::text[])', [gone]);
          await writeFolds(c, folds, this.ctx.clock());
          return rows.rows.length;
        });
        eventsDeleted += n;
        if (n < PRUNE_CHUNK) break;
      }
    }
    return { rawDropped, eventsDeleted };
  }
}
