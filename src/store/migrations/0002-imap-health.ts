/**
 * migrations/0002-imap-health - one row per configured IMAP mailbox (imap.mailboxes[].name) with
 * the outcome of its latest passes, so `rebound stats` (a separate process reading the file) can
 * show what the daemon's poller only knew in memory: last run, last success, last error, backlog.
 *
 * Written by jobs/poll-imap.ts after every pass and by `rebound poll`; read by store.stats().
 * Rows of mailboxes removed from the config stay until deleted by hand (their updated_at ages).
 * Times are integers, ms since the Unix epoch (UTC); NULL = never / unknown. docs/SCHEMA.md.
 */
export const sql = `
CREATE TABLE imap_health (
  mailbox           TEXT    PRIMARY KEY,
  last_run_at       INTEGER,
  last_success_at   INTEGER,
  last_error        TEXT,
  last_error_at     INTEGER,
  backlog           INTEGER,
  messages_last_run INTEGER,
  updated_at        INTEGER NOT NULL
);
`;
