/**
 * store/postgresql/results - processing on PostgreSQL: the pipeline (pipeline/run.ts)
 * hands a planner; a batch of messages is claimed (FOR UPDATE SKIP LOCKED: another daemon skips
 * them), planned, and its events and address rows written in the same transaction, under the
 * per-address advisory locks, so two hosts never lose an event of one address and each message is
 * processed once; a daemon that dies mid-batch leaves it pending (its transaction rolls back).
 * The same steps as store/results.ts, so both backends give the same rows.
 */
import type pg from 'pg';
import { DaemonError } from '../../errors.js';
import type { IngestItem, Planner, ProcessOutcome, ProcessPlan, SaveResult } from '../api.js';
import { eventItem, type AddressRow } from '../events.js';
import { packRaw, toStored, type MessageState, type StoredMessage } from '../messages.js';
import { appendsTo, emptyFold, stepFold, type AddressFold } from '../state-rules.js';
import { capText, MAX_STORED_DIAGNOSTIC, MAX_STORED_EVIDENCE } from '../limits.js';
import { storedProblems } from '../results.js';
import { foldHistoryPg, loadFolds, lockAddresses, writeFolds, type PgContext } from './context.js';
import type { MessageRow } from './messages.js';

export type { Planner } from '../api.js';

/** Messages per transaction. */
export const BATCH = 50;

export class PgResults {
  constructor(
    private readonly ctx: PgContext,
    private readonly saveMessages: (items: { env: IngestItem['env']; raw: Buffer }[]) => Promise<SaveResult[]>,
  ) {}

  /**
   * Store each message (one INSERT; a duplicate is found, not stored twice), then commit the plans
   * made before it was stored (null: already finished) under each message's row lock: a message
   * another daemon finished meanwhile comes back skipped. Two commits, each durable; a crash
   * between them leaves the messages pending, processed again later.
   */
  async commitIngest(items: IngestItem[]): Promise<(SaveResult & { outcome: ProcessOutcome })[]> {
    const saved = await this.saveMessages(items.map((it) => ({ env: it.env, raw: it.raw })));
    const plans = new Map<number, ProcessPlan>();
    saved.forEach((s, i) => {
      const p = items[i]!.plan;
      if (p !== null && !plans.has(s.id)) plans.set(s.id, p);
    });
    const ids = [...plans.keys()];
    const outcomes = new Map<number, ProcessOutcome>();
    for (let i = 0; i < ids.length; i += BATCH) {
      for (const o of await this.claimIds(ids.slice(i, i + BATCH), async (msg) => ({ ...plans.get(msg.id)!, id: msg.id }))) outcomes.set(o.id, o);
    }
    const unplanned = saved.filter((s) => !outcomes.has(s.id)).map((s) => s.id);
    if (unplanned.length > 0) {
      const r = await this.ctx.pool.query<{ id: number; state: MessageState }>('SELECT id, state FROM messages WHERE id = ANY($1::bigint[])', [unplanned]);
      for (const row of r.rows) outcomes.set(row.id, { id: row.id, state: row.state, skipped: true, events: 0, addresses: [], categories: [] });
    }
    // The same message twice in one batch: processed once, the second comes back skipped (as the
    // SQLite store's one transaction finds it finished).
    const seen = new Set<number>();
    return saved.map((s) => {
      const o = outcomes.get(s.id)!;
      if (seen.has(s.id)) return { ...s, outcome: { id: s.id, state: o.state, skipped: true, events: 0, addresses: [], categories: [] } };
      seen.add(s.id);
      return { ...s, outcome: o };
    });
  }

  /** One claimed batch, processed and committed; [] when nothing is pending and unclaimed. */
  async claimPending(limit: number, plan: Planner): Promise<ProcessOutcome[]> {
    return this.ctx.transaction('process messages', async (c) => {
      const rows = await c.query<MessageRow>(
        `SELECT * FROM messages WHERE state = 'pending' ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit],
      );
      if (rows.rows.length === 0) return [];
      return this.processRows(c, rows.rows.map((r) => toStored(r, this.ctx.legacyVerp)), false, plan);
    });
  }

  /**
   * Those of these messages still pending and not held by another daemon, claimed and processed;
   * the others (finished, or being processed elsewhere right now) come back skipped. One outcome
   * per id, in order.
   */
  claimIds(slice: number[], plan: Planner): Promise<ProcessOutcome[]> {
    return this.ctx.transaction('process messages', async (c) => {
      const rows = await c.query<MessageRow>(
        `SELECT * FROM messages WHERE id = ANY($1::bigint[]) AND state = 'pending' ORDER BY id FOR UPDATE SKIP LOCKED`,
        [slice],
      );
      const got = rows.rows.length > 0 ? await this.processRows(c, rows.rows.map((r) => toStored(r, this.ctx.legacyVerp)), false, plan) : [];
      const byId = new Map(got.map((o) => [o.id, o]));
      return slice.map((id) => byId.get(id) ?? { id, state: 'pending' as MessageState, skipped: true, events: 0, addresses: [], categories: [] });
    });
  }

  /** Process these messages (waiting for a daemon that holds one); `force` reprocesses finished ones. */
  async processIds(ids: number[], plan: Planner, opts: { force?: boolean } = {}): Promise<ProcessOutcome[]> {
    const out: ProcessOutcome[] = [];
    for (let i = 0; i < ids.length; i += BATCH) {
      const slice = ids.slice(i, i + BATCH);
      const done = await this.ctx.transaction('process messages', async (c) => {
        const rows = await c.query<MessageRow>('SELECT * FROM messages WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE', [slice]);
        const byId = new Map(rows.rows.map((r) => [Number(r.id), toStored(r, this.ctx.legacyVerp)]));
        const msgs = slice.map((id) => {
          const m = byId.get(id);
          if (!m) throw new DaemonError('internal', `store: no message with id ${id}`);
          return m;
        });
        return this.processRows(c, msgs, opts.force ?? false, plan);
      });
      out.push(...done);
    }
    return out;
  }

  /**
   * Plan (the pipeline's planner), then write the batch (caller holds the transaction and the
   * messages' row locks): events
   * replaced and inserted, address rows locked, stepped or folded again, written back, messages
   * finished. The same steps, in the same order, as the SQLite store's processIds/commitPlan, so
   * both give the same rows.
   */
  private async processRows(c: pg.PoolClient, msgs: StoredMessage[], force: boolean, plan: Planner): Promise<ProcessOutcome[]> {
    // The results are derived from raw messages already durable: this commit need not wait for
    // the disk (as the SQLite pipeline commits with synchronous=NORMAL). A crash can only lose
    // whole processing transactions, whose messages are then pending again and processed anew.
    await c.query('SET LOCAL synchronous_commit = off');
    const plans: (ProcessPlan | ProcessOutcome)[] = [];
    const packs: { id: number; gz: Buffer }[] = [];
    const storedAt = new Map<number, number>();
    for (const msg of msgs) {
      storedAt.set(msg.id, msg.storedAt);
      if (msg.raw && msg.compression === 'none') packs.push({ id: msg.id, gz: packRaw(msg.raw) });
      if (msg.state !== 'pending' && !force) plans.push(skipped(msg));
      else if (msg.raw === null && msg.state !== 'pending') plans.push(skipped(msg));
      else plans.push(await plan(msg));
    }
    const todo = plans.filter((p): p is ProcessPlan => !('skipped' in p));
    if (packs.length > 0) {
      await c.query(
        `UPDATE messages m SET raw = t.gz, compression = 'gzip' FROM unnest($1::bigint[], $2::bytea[]) AS t(id, gz)
          WHERE m.id = t.id AND m.compression = 'none' AND m.raw IS NOT NULL`,
        [packs.map((p) => p.id), packs.map((p) => p.gz)],
      );
    }
    if (todo.length === 0) return plans as ProcessOutcome[];
    const now = this.ctx.clock();

    // Events this batch replaces (a forced reprocess): their addresses are folded again.
    // Each message's addresses in the order of their first event (as SQLite lists them).
    const old = await c.query<{ message_id: number; address: string }>(
      `SELECT message_id, address FROM events WHERE message_id = ANY($1::bigint[])
        GROUP BY message_id, address ORDER BY message_id, min(id)`,
      [todo.map((p) => p.id)],
    );
    const replacedOf = new Map<number, string[]>();
    for (const r of old.rows) replacedOf.set(r.message_id, [...(replacedOf.get(r.message_id) ?? []), r.address]);
    const refold = new Set<string>();
    for (const r of old.rows) if (r.address !== '') refold.add(r.address);

    // Lock every address the batch touches, in one order for every daemon.
    const addresses = new Set<string>(refold);
    for (const p of todo) for (const e of p.events) if (e.address !== '') addresses.add(e.address);
    await lockAddresses(c, [...addresses]);

    if (old.rows.length > 0) await c.query('DELETE FROM events WHERE message_id = ANY($1::bigint[])', [[...replacedOf.keys()]]);
    // Diagnostic texts are stored once per message and distinct text, capped (as store/events.ts
    // diagnosticIds does); a reprocessed message's old texts go with its old events.
    await c.query('DELETE FROM diagnostics WHERE message_id = ANY($1::bigint[])', [todo.map((p) => p.id)]);

    // Insert every event with ids taken from the sequence first (the fold's tie-breaker).
    const events = todo.flatMap((p) => p.events.map((e) => ({ messageId: p.id, e })));
    let ids: number[] = [];
    const textKey = (messageId: number, text: string) => `${messageId}\u0000${text}`;
    const texts = new Map<string, { messageId: number; text: string }>();
    for (const { messageId, e } of events) {
      if (e.result.diagnostic === '') continue;
      const text = capText(e.result.diagnostic, MAX_STORED_DIAGNOSTIC);
      texts.set(textKey(messageId, text), { messageId, text });
    }
    const textIds = new Map<string, number>();
    if (texts.size > 0) {
      const list = [...texts.values()];
      const ins = await c.query<{ id: number; message_id: number; text: string }>(
        `INSERT INTO diagnostics (message_id, text) SELECT * FROM unnest($1::bigint[], $2::text[]) RETURNING id, message_id, text`,
        [list.map((x) => x.messageId), list.map((x) => x.text)],
      );
      for (const r of ins.rows) textIds.set(textKey(r.message_id, r.text), r.id);
    }
    const diagnosticId = (messageId: number, diagnostic: string): number | null =>
      diagnostic === '' ? null : (textIds.get(textKey(messageId, capText(diagnostic, MAX_STORED_DIAGNOSTIC))) ?? null);
    if (events.length > 0) {
      const seq = await c.query<{ id: number }>(
        `SELECT nextval(pg_get_serial_sequence('events', 'id')) AS id FROM generate_series(1, $1::int)`,
        [events.length],
      );
      ids = seq.rows.map((r) => r.id).sort((a, b) => a - b);
      const col = <T>(f: (x: (typeof events)[number]) => T): T[] => events.map(f);
      await c.query(
        `INSERT INTO events (id, message_id, address, raw_address, at, received_at, message_type, action, status, reply_code,
           reason, hard, category, likely_false_positive, evidence, diagnostic, diagnostic_id, remote_mta, feedback_type, effect)
         SELECT a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, '', p, q, r, s FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::text[], $8::text[],
           $9::text[], $10::text[], $11::text[], $12::bigint[], $13::bigint[], $14::bigint[], $15::text[], $16::bigint[], $17::text[],
           $18::text[], $19::text[]) AS t(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, s)`,
        [
          ids,
          col((x) => x.messageId),
          col((x) => x.e.address),
          col((x) => x.e.rawAddress),
          col((x) => x.e.at),
          col((x) => x.e.receivedAt),
          col((x) => x.e.messageType),
          col((x) => x.e.result.action),
          col((x) => x.e.result.status),
          col((x) => x.e.result.replyCode),
          col((x) => x.e.result.reason),
          col((x) => (x.e.result.hard ? 1 : 0)),
          col((x) => x.e.result.category),
          col((x) => (x.e.result.likelyFalsePositive ? 1 : 0)),
          col((x) => capText(x.e.result.evidence, MAX_STORED_EVIDENCE)),
          col((x) => diagnosticId(x.messageId, x.e.result.diagnostic)),
          col((x) => x.e.result.remoteMta),
          col((x) => x.e.result.feedbackType),
          col((x) => x.e.effect),
        ],
      );
    }

    // Step each address row by its new events in order (read once, written once), or fold again.
    const folds = await loadFolds(c, [...addresses]);
    const changed = new Set<string>();
    events.forEach(({ messageId, e }, i) => {
      const a = e.address;
      if (a === '' || refold.has(a)) return;
      const f = folds.get(a);
      const item = eventItem(ids[i]!, storedAt.get(messageId)!, e);
      if (f === null || (f !== undefined && !appendsTo(item, f.last))) {
        refold.add(a);
        return;
      }
      const g = f ?? emptyFold(a);
      stepFold(g, item, this.ctx.rules);
      folds.set(a, g);
      changed.add(a);
    });
    const gone: string[] = [];
    for (const a of refold) {
      const f = await foldHistoryPg(c, a, this.ctx.rules);
      if (f === null) {
        gone.push(a);
        folds.delete(a);
      } else folds.set(a, f);
      changed.add(a);
    }
    if (gone.length > 0) await c.query('DELETE FROM addresses WHERE address = ANY($1::text[])', [gone]);
    await writeFolds(
      c,
      [...changed].map((a) => folds.get(a)).filter((f): f is AddressFold => f !== null && f !== undefined),
      now,
    );

    await c.query(
      `UPDATE messages m SET state = t.state, error = t.error, message_type = t.message_type, decoded_by = t.decoded_by,
         problems = t.problems, bounce_at = t.bounce_at, attempts = m.attempts + 1, processed_at = $8
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[])
           AS t(id, state, error, message_type, decoded_by, problems, bounce_at)
        WHERE m.id = t.id`,
      [
        todo.map((p) => p.id),
        todo.map((p) => p.state),
        todo.map((p) => p.error),
        todo.map((p) => p.analysis?.type ?? null),
        todo.map((p) => p.analysis?.decodedBy ?? null),
        todo.map((p) => (p.analysis && p.analysis.problems.length > 0 ? storedProblems(p.analysis.problems) : null)),
        todo.map((p) => p.bounceAt),
        now,
      ],
    );

    return plans.map((p) => {
      if ('skipped' in p) return p;
      const touched = new Set<string>(replacedOf.get(p.id) ?? []);
      for (const e of p.events) touched.add(e.address);
      touched.delete('');
      const o: ProcessOutcome = {
        id: p.id,
        state: p.state,
        skipped: false,
        events: p.events.length,
        addresses: [...touched],
        categories: p.events.filter((e) => e.effect !== 'none' && e.effect !== 'delivered' && e.effect !== 'complaint').map((e) => e.result.category),
      };
      if (p.analysis) o.messageType = p.analysis.type;
      if (p.error !== null) o.error = p.error;
      return o;
    });
  }
}

/** Nothing to do for this message: already finished, or its raw bytes pruned. */
function skipped(msg: StoredMessage): ProcessOutcome {
  const o: ProcessOutcome = { id: msg.id, state: msg.state, skipped: true, events: 0, addresses: [], categories: [] };
  if (msg.raw === null) o.error = 'raw message pruned';
  return o;
}
