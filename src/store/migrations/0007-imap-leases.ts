/**
 * migrations/0007-imap-leases - who owns an IMAP mailbox's cursor right now. Several
 * rebound daemons on one PostgreSQL store may be configured with the same mailbox; only the holder
 * of its lease polls it, so two hosts never fetch and process the same UIDs twice. A lease is
 * taken for a while (`expires_at`) and renewed by every pass; a daemon that dies loses it when it
 * expires and another one takes over from the cursor it left (jobs/poll-imap.ts imapPollStore,
 * intake/imap.ts claimFolder). The SQLite backend has the table too (one list of steps gives both
 * backends the same tables) and does not use it.
 *
 * Portable SQL (steps.ts translates it for PostgreSQL). Times: ms since the Unix epoch, UTC.
 */
export const sql = `
CREATE TABLE imap_leases (
  account     TEXT    NOT NULL,
  folder      TEXT    NOT NULL,
  owner       TEXT    NOT NULL,
  acquired_at INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  PRIMARY KEY (account, folder)
);
`;
