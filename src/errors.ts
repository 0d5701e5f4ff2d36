/**
 * errors - the daemon's closed set of error codes and the one error class that carries them.
 * In: a code, a message, optionally a cause. Out: DaemonError; isTemporary() tells intake whether
 * to answer 4xx (try again) or 5xx. SMTP replies stay generic; the detail is logged once, where
 * the error is handled (maddy exterrors).
 */

/** Every error the daemon raises on purpose. A new failure mode gets a name here, never an ad hoc string. */
export type ErrorCode =
  | 'config' // bad or unreadable configuration (exit 2)
  | 'store-write' // a commit failed for a reason other than a busy database
  | 'db-busy' // SQLITE_BUSY / SQLITE_LOCKED beyond the busy timeout
  | 'disk-full' // SQLITE_FULL, ENOSPC
  | 'listen' // a listener could not bind (port in use, bad socket path)
  | 'shutting-down' // work refused because the daemon is draining
  | 'overload' // too much queued in memory; the peer should retry
  | 'verp-malformed' // a return path that cannot be read
  | 'verp-too-long' // a signed local part would exceed 64 octets (RFC 5321 4.5.3.1.1)
  | 'verp-no-key' // signing or verifying needs a key and none is configured
  | 'imap' // IMAP connection or command failure
  | 'internal'; // a broken invariant that we still report instead of crashing

/** Codes where retrying later can succeed: intake answers 451 4.3.0 for these. */
const TEMPORARY: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'db-busy',
  'disk-full',
  'store-write',
  'shutting-down',
  'overload',
  'imap',
]);

export class DaemonError extends Error {
  readonly code: ErrorCode;
  readonly temporary: boolean;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; temporary?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DaemonError';
    this.code = code;
    this.temporary = options?.temporary ?? TEMPORARY.has(code);
  }
}

/** True when the failure is worth retrying (a DaemonError marked temporary, or SQLite busy/full). */
export function isTemporary(err: unknown): boolean {
  if (err instanceof DaemonError) return err.temporary;
  const code = (err as { code?: unknown } | null)?.code;
  // better-sqlite3 and node:fs errors surface here when a caller did not wrap them.
  return (
    typeof code === 'string' &&
    (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED') || code === 'SQLITE_FULL' || code === 'ENOSPC')
  );
}
