/**
 * migrations/0001-initial - the first schema: messages (raw + envelope + processing state),
 * events (one row per recipient result), addresses (Marketo state, derived from events and
 * operator actions), address_actions (audited resets and imports), imap_cursors.
 *
 * Migrations are TypeScript strings rather than .sql files so that `tsc` carries them into dist/
 * without a copy step. Never edit a released migration; add 0002-<what>.ts instead.
 * Times are integers, milliseconds since the Unix epoch (UTC). Documented in docs/SCHEMA.md.
 */
export const sql = `
CREATE TABLE messages (
  id            INTEGER PRIMARY KEY,
  sha256        TEXT    NOT NULL UNIQUE,
  source        TEXT    NOT NULL,
  origin        TEXT    NOT NULL DEFAULT '',
  mail_from     TEXT    NOT NULL DEFAULT '',
  rcpt_to       TEXT    NOT NULL DEFAULT '[]',
  received_at   INTEGER NOT NULL,
  stored_at     INTEGER NOT NULL,
  size          INTEGER NOT NULL,
  raw           BLOB,
  compression   TEXT    NOT NULL DEFAULT 'gzip',
  state         TEXT    NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'processed', 'not-a-bounce', 'failed')),
  error         TEXT,
  message_type  TEXT,
  decoded_by    TEXT,
  problems      TEXT,
  bounce_at     INTEGER,
  attempts      INTEGER NOT NULL DEFAULT 0,
  processed_at  INTEGER
);
CREATE INDEX messages_state ON messages (state, id);
CREATE INDEX messages_received ON messages (received_at);

CREATE TABLE events (
  id                    INTEGER PRIMARY KEY,
  message_id            INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  address               TEXT    NOT NULL,
  raw_address           TEXT    NOT NULL,
  at                    INTEGER NOT NULL,
  received_at           INTEGER NOT NULL,
  message_type          TEXT    NOT NULL,
  action                TEXT    NOT NULL,
  status                TEXT    NOT NULL,
  reply_code            TEXT    NOT NULL,
  reason                TEXT    NOT NULL,
  hard                  INTEGER NOT NULL,
  category              INTEGER NOT NULL,
  likely_false_positive INTEGER NOT NULL,
  evidence              TEXT    NOT NULL,
  diagnostic            TEXT    NOT NULL,
  remote_mta            TEXT    NOT NULL,
  feedback_type         TEXT    NOT NULL,
  effect                TEXT    NOT NULL
);
CREATE INDEX events_address ON events (address, received_at, id);
CREATE INDEX events_message ON events (message_id);
CREATE INDEX events_at ON events (at);

CREATE TABLE addresses (
  address               TEXT PRIMARY KEY,
  email_suspended       INTEGER NOT NULL DEFAULT 0,
  email_suspended_cause TEXT    NOT NULL DEFAULT '',
  email_suspended_at    INTEGER,
  email_invalid         INTEGER NOT NULL DEFAULT 0,
  email_invalid_cause   TEXT    NOT NULL DEFAULT '',
  email_invalid_at      INTEGER,
  complained            INTEGER NOT NULL DEFAULT 0,
  complained_at         INTEGER,
  soft_bounces          INTEGER NOT NULL DEFAULT 0,
  soft_days             INTEGER NOT NULL DEFAULT 0,
  last_soft_at          INTEGER,
  first_bounce_at       INTEGER,
  last_bounce_at        INTEGER,
  events                INTEGER NOT NULL DEFAULT 0,
  updated_at            INTEGER NOT NULL
);
CREATE INDEX addresses_invalid ON addresses (email_invalid_at) WHERE email_invalid = 1;
CREATE INDEX addresses_suspended ON addresses (email_suspended_at) WHERE email_suspended = 1;
CREATE INDEX addresses_complained ON addresses (complained_at) WHERE complained = 1;

CREATE TABLE address_actions (
  id       INTEGER PRIMARY KEY,
  address  TEXT    NOT NULL,
  action   TEXT    NOT NULL CHECK (action IN ('reset', 'import')),
  what     TEXT    NOT NULL,
  reason   TEXT    NOT NULL,
  who      TEXT    NOT NULL,
  at       INTEGER NOT NULL,
  before   TEXT,
  after    TEXT
);
CREATE INDEX address_actions_address ON address_actions (address, at, id);

CREATE TABLE imap_cursors (
  account      TEXT    NOT NULL,
  folder       TEXT    NOT NULL,
  uid_validity INTEGER NOT NULL,
  last_uid     INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  PRIMARY KEY (account, folder)
);
`;
