/**
 * migrations/0006-diagnostics-once - the diagnostic text of a message's events is stored once per
 * message and distinct text, capped at MAX_STORED_DIAGNOSTIC characters (store/events.ts), in
 * `diagnostics`; each event refers to its text by `events.diagnostic_id`. Before, every event
 * carried its own copy: a 257 KB message with 759 recipients became 130 MB of events (issue 16).
 *
 * Existing events are moved over: one `diagnostics` row per message and distinct text (cut at the
 * cap as capText cuts), events pointed at it, `events.diagnostic` emptied. The column stays (always '' from now on)
 * so that older readers of the file keep working; readers take `coalesce(d.text, e.diagnostic)`.
 * docs/SCHEMA.md. Times and ids as in 0001.
 */
import { MAX_STORED_DIAGNOSTIC } from '../limits.js';

/** capText (store/limits.ts) in SQL: the text, or its head and how much was not kept. */
const capped = (col: string): string => {
  const mark = `' [... ' || (length(${col}) - ${MAX_STORED_DIAGNOSTIC}) || ' more characters not stored]'`;
  return `CASE WHEN length(${col}) <= ${MAX_STORED_DIAGNOSTIC} THEN ${col} ELSE substr(${col}, 1, ${MAX_STORED_DIAGNOSTIC} - length(${mark})) || ${mark} END`;
};

export const sql = `
CREATE TABLE diagnostics (
  id         INTEGER PRIMARY KEY,
  message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  text       TEXT    NOT NULL
);
CREATE INDEX diagnostics_message ON diagnostics (message_id);
ALTER TABLE events ADD COLUMN diagnostic_id INTEGER REFERENCES diagnostics (id);

INSERT INTO diagnostics (message_id, text)
  SELECT DISTINCT message_id, ${capped('diagnostic')} FROM events WHERE diagnostic <> '' ORDER BY message_id;
UPDATE events SET
  diagnostic_id = (SELECT d.id FROM diagnostics d WHERE d.message_id = events.message_id AND d.text = ${capped('events.diagnostic')}),
  diagnostic = ''
  WHERE diagnostic <> '';
CREATE INDEX events_diagnostic ON events (diagnostic_id) WHERE diagnostic_id IS NOT NULL;
-- The causes the address rows took from those texts, cut the same way: the fold reads the stored
-- text, so verify-state finds the rows equal to a fold of their history.
UPDATE addresses SET email_invalid_cause = ${capped('email_invalid_cause')} WHERE length(email_invalid_cause) > ${MAX_STORED_DIAGNOSTIC};
UPDATE addresses SET email_suspended_cause = ${capped('email_suspended_cause')} WHERE length(email_suspended_cause) > ${MAX_STORED_DIAGNOSTIC};
`;
