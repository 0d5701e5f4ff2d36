/**
 * migrations/0005-address-fold-state - the `addresses` row keeps what the next state step needs
 * (store/state-rules.ts AddressFold), so a new event is applied to the row in O(1) instead of folding
 * the address's whole history again (one role address of a backfill had 3,450 events):
 *
 * - `soft_day_list`: the UTC day numbers (ms / 86,400,000) of the soft bounces still counted for
 *   escalation, ascending, comma-separated ('' = none);
 * - `fold_order`, `fold_rank`, `fold_id`: the last item folded into the row - its order (message
 *   stored_at or action time), 0 for an event or 1 for an action, and its events.id /
 *   address_actions.id. A new item that sorts after it is one step; one that sorts before it (a
 *   reprocessed message, a message stored before a reset but processed after it) refolds.
 *
 * Rows written before this migration have no position (NULL): the first new item of each such
 * address folds its history once and fills them in. Nothing is rewritten here, so the step is
 * instant whatever the table's size. docs/SCHEMA.md, docs/STATE-RULES.md.
 */
export const sql = `
ALTER TABLE addresses ADD COLUMN soft_day_list TEXT NOT NULL DEFAULT '';
ALTER TABLE addresses ADD COLUMN fold_order INTEGER;
ALTER TABLE addresses ADD COLUMN fold_rank INTEGER;
ALTER TABLE addresses ADD COLUMN fold_id INTEGER;
`;
