/**
 * log - the root pino logger, writing one JSON line per event to stdout (journald keeps it).
 * In: level from config `log.level` (setLogLevel) or REBOUND_LOG_LEVEL. Out: logger, child(scope).
 * REBOUND_LOG_FILE (read once, at load) appends the lines to that file instead of stdout: the test
 * suite sends the logs of daemons it runs in-process there, so they do not mix with vitest's
 * report (test/support/log-to-file.ts); reader processes inherit it (logFile()).
 * Tests silence it with REBOUND_LOG_LEVEL=silent.
 *
 * Lines are buffered (4 KiB or 250 ms, whichever first) and flushed synchronously at exit: one
 * write(2) per line cost more than the SMTP transaction it describes (bench:smtp profile).
 */
import { pino, type Logger } from 'pino';

export type { Logger };

const file = process.env.REBOUND_LOG_FILE || undefined;
const dest = pino.destination({ dest: file ?? 1, sync: false, minLength: 4096, mkdir: file !== undefined });
setInterval(() => dest.flush(), 250).unref();
process.on('exit', () => {
  try {
    dest.flushSync();
  } catch {
    // stdout already gone (EPIPE): nothing left to tell anyone.
  }
});

const root: Logger = pino(
  {
    name: 'rebound',
    level: process.env.REBOUND_LOG_LEVEL ?? 'info',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  },
  dest,
);

export const logger: Logger = root;

/** A logger for one component; `scope` appears on every line ('smtp', 'daemon', 'store', ...). */
export function child(scope: string, bindings: Record<string, unknown> = {}): Logger {
  return root.child({ scope, ...bindings });
}

export function setLogLevel(level: string): void {
  // The env var wins so that tests and operators can override the config file.
  root.level = process.env.REBOUND_LOG_LEVEL ?? level;
}

/** The file the lines go to (REBOUND_LOG_FILE at load), or undefined for stdout. */
export function logFile(): string | undefined {
  return file;
}

/** Write out buffered lines now (before a deliberate exit). */
export function flushLogs(): void {
  try {
    dest.flushSync();
  } catch {
    // see the exit handler
  }
}
