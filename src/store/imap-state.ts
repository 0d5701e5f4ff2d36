/**
 * store/imap-state - the IMAP poller's per-folder cursors (UIDVALIDITY, last UID) and per-mailbox
 * health rows, kept in the store so `rebound status` and `rebound poll` in other processes see
 * what the daemon's poller saw. The SQLite ImapStateStore of store/api.ts.
 */
import { mergeImapHealth, type ImapCursor, type ImapHealth, type ImapHealthUpdate, type ImapStateStore } from './api.js';
import type { StoreContext } from './context.js';

export class SqliteImapState implements ImapStateStore {
  constructor(private readonly ctx: StoreContext) {}

  setImapCursor(account: string, folder: string, cursor: ImapCursor): void {
    this.ctx.write('imap cursor', () =>
      this.ctx.db
        .prepare(
          `INSERT INTO imap_cursors (account, folder, uid_validity, last_uid, updated_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (account, folder) DO UPDATE SET uid_validity = excluded.uid_validity, last_uid = excluded.last_uid,
             updated_at = excluded.updated_at`,
        )
        .run(account, folder, cursor.uidValidity, cursor.lastUid, this.ctx.clock()),
    );
  }

  getImapCursor(account: string, folder: string): ImapCursor | undefined {
    const r = this.ctx.db
      .prepare('SELECT uid_validity AS uidValidity, last_uid AS lastUid FROM imap_cursors WHERE account = ? AND folder = ?')
      .get(account, folder) as ImapCursor | undefined;
    return r ? { uidValidity: Number(r.uidValidity), lastUid: Number(r.lastUid) } : undefined;
  }

  // ---- IMAP mailbox health ----

  saveImapHealth(h: ImapHealthUpdate): ImapHealth {
    return this.ctx.write('imap health', () =>
      this.ctx.db
        .transaction(() => {
          // Read-merge-write in one IMMEDIATE transaction: `rebound poll` and the daemon may both
          // write the same mailbox, and a failure must not erase the last success (or vice versa).
          const cur = this.getImapHealth(h.mailbox)[0];
          const row = mergeImapHealth(h, cur, this.ctx.clock());
          this.ctx.db
            .prepare(
              `INSERT INTO imap_health (mailbox, last_run_at, last_success_at, last_error, last_error_at, backlog, messages_last_run, updated_at)
               VALUES (@mailbox, @lastRunAt, @lastSuccessAt, @lastError, @lastErrorAt, @backlog, @messagesLastRun, @updatedAt)
               ON CONFLICT (mailbox) DO UPDATE SET last_run_at = excluded.last_run_at, last_success_at = excluded.last_success_at,
                 last_error = excluded.last_error, last_error_at = excluded.last_error_at, backlog = excluded.backlog,
                 messages_last_run = excluded.messages_last_run, updated_at = excluded.updated_at`,
            )
            .run(row);
          return row;
        })
        .immediate(),
    );
  }

  getImapHealth(mailbox?: string): ImapHealth[] {
    return this.ctx.db
      .prepare(
        `SELECT mailbox, last_run_at AS lastRunAt, last_success_at AS lastSuccessAt, last_error AS lastError,
           last_error_at AS lastErrorAt, backlog, messages_last_run AS messagesLastRun, updated_at AS updatedAt
         FROM imap_health WHERE ? IS NULL OR mailbox = ? ORDER BY mailbox`,
      )
      .all(mailbox ?? null, mailbox ?? null) as ImapHealth[];
  }
}
