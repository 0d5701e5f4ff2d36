/**
 * store/maintenance - reporting and housekeeping: counts for `rebound stats` and the status
 * socket, WAL checkpoint, online backup, and prune (raw bodies of finished messages, old events
 * that cannot set a flag - config jobs.prune.*). The SQLite MaintenanceStore of store/api.ts.
 */
import type { ImapHealth, MaintenanceStore, Stats } from './api.js';
import type { StoreContext } from './context.js';
import { recomputeAddress } from './events.js';
import type { MessageState } from './messages.js';

const PRUNE_CHUNK = 5000;

export class SqliteMaintenance implements MaintenanceStore {
  constructor(
    private readonly ctx: StoreContext,
    /** Every mailbox's IMAP health row (imap-state.ts), for stats. */
    private readonly imapHealth: () => ImapHealth[],
  ) {}

  stats(now?: number): Stats {
    const t = now ?? this.ctx.clock();
    const messages = { pending: 0, processed: 0, 'not-a-bounce': 0, failed: 0, total: 0, rawBytes: 0, pruned: 0 };
    for (const r of this.ctx.db.prepare('SELECT state, count(*) AS n FROM messages GROUP BY state').all() as { state: MessageState; n: number }[]) {
      messages[r.state] = r.n;
      messages.total += r.n;
    }
    const raw = this.ctx.db.prepare('SELECT coalesce(sum(length(raw)), 0) AS b, sum(raw IS NULL) AS p FROM messages').get() as { b: number; p: number | null };
    messages.rawBytes = raw.b;
    messages.pruned = raw.p ?? 0;
    const group = (col: string): Record<string, number> => {
      const o: Record<string, number> = {};
      for (const r of this.ctx.db.prepare(`SELECT ${col} AS k, count(*) AS n FROM events GROUP BY ${col} ORDER BY ${col}`).all() as { k: string | number; n: number }[]) o[String(r.k)] = r.n;
      return o;
    };
    const byCategory = group('category');
    const total = Object.values(byCategory).reduce((x, y) => x + y, 0);
    const addr = this.ctx.db
      .prepare(
        `SELECT count(*) AS known, coalesce(sum(email_invalid), 0) AS invalid, coalesce(sum(email_suspended), 0) AS suspended,
           coalesce(sum(email_suspended = 1 AND email_suspended_at + ? > ?), 0) AS suspendedNow,
           coalesce(sum(complained), 0) AS complained FROM addresses`,
      )
      .get(this.ctx.rules.suspendHours * 3_600_000, t) as Stats['addresses'];
    return {
      messages,
      events: { total, byCategory, byReason: group('reason'), byEffect: group('effect') },
      addresses: addr,
      imap: this.imapHealth(),
      schemaVersion: this.ctx.db.pragma('user_version', { simple: true }) as number,
    };
  }

  checkpoint(): void {
    this.ctx.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  async backup(file: string): Promise<void> {
    await this.ctx.db.backup(file);
  }

  prune(messagesOlderThanMs: number, eventsOlderThanMs?: number): { rawDropped: number; eventsDeleted: number } {
    const now = this.ctx.clock();
    // Chunks of PRUNE_CHUNK rows, one short transaction each: a prune of a year of mail must not
    // hold the write lock long enough for SMTP intake to hit its busy timeout.
    const chunked = (sql: string, cutoff: number): number => {
      const stmt = this.ctx.db.prepare(sql);
      let total = 0;
      for (;;) {
        const n = this.ctx.write('prune', () => this.ctx.db.transaction(() => stmt.run(cutoff, PRUNE_CHUNK).changes).immediate());
        total += n;
        if (n < PRUNE_CHUNK) return total;
      }
    };
    // Failed and pending messages keep their bytes: they still need (re)processing.
    const rawDropped = chunked(
      `UPDATE messages SET raw = NULL WHERE id IN (SELECT id FROM messages
         WHERE raw IS NOT NULL AND state IN ('processed', 'not-a-bounce') AND received_at < ? LIMIT ?)`,
      now - messagesOlderThanMs,
    );
    let eventsDeleted = 0;
    if (eventsOlderThanMs !== undefined) eventsDeleted = this.pruneEvents(now - eventsOlderThanMs);
    return { rawDropped, eventsDeleted };
  }

  /**
   * Delete old events that cannot set a flag, PRUNE_CHUNK per transaction, and fold the addresses
   * they belonged to again, so every row stays the fold of the history that is kept (what
   * `rebound verify-state` checks): their counters (events, soft bounces) then count the kept
   * history only. Invalid, suspend and complaint events are kept for ever (they are few); with
   * escalation on, soft bounces and deliveries are kept too, since a run of soft bounces may have
   * set a flag and a delivery ends such a run.
   */
  private pruneEvents(cutoff: number): number {
    const effects = this.ctx.rules.escalation.enabled ? "('none')" : "('none', 'delivered', 'soft')";
    const pick = this.ctx.db.prepare<[number, number], { id: number; address: string; message_id: number }>(
      `SELECT id, address, message_id FROM events WHERE at < ? AND effect IN ${effects} LIMIT ?`,
    );
    const del = this.ctx.db.prepare<[number]>('DELETE FROM events WHERE id = ?');
    const dropTexts = this.ctx.db.prepare<[number]>(
      'DELETE FROM diagnostics WHERE message_id = ? AND NOT EXISTS (SELECT 1 FROM events e WHERE e.diagnostic_id = diagnostics.id)',
    );
    let total = 0;
    for (;;) {
      const n = this.ctx.write('prune', () =>
        this.ctx.db
          .transaction(() => {
            const rows = pick.all(cutoff, PRUNE_CHUNK);
            const touched = new Set<string>();
            const messages = new Set<number>();
            for (const r of rows) {
              del.run(r.id);
              messages.add(r.message_id);
              if (r.address !== '') touched.add(r.address);
            }
            const now = this.ctx.clock();
            for (const a of touched) recomputeAddress(this.ctx.e, a, this.ctx.rules, now);
            // Texts no event refers to any more (the message row itself stays).
            for (const m of messages) dropTexts.run(m);
            return rows.length;
          })
          .immediate(),
      );
      total += n;
      if (n < PRUNE_CHUNK) return total;
    }
  }
}
