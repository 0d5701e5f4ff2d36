/**
 * log - the root pino logger, writing one JSON line per event to stdout (journald keeps it).
 * In: level from config `log.level` (setLogLevel) or REBOUND_LOG_LEVEL. Out: logger, child(scope).
 * Tests silence it with REBOUND_LOG_LEVEL=silent.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

const root: Logger = pino({
  name: 'rebound',
  level: process.env.REBOUND_LOG_LEVEL ?? 'info',
  base: { pid: process.pid },
  timestamp: pino.stdTimeFunctions.isoTime,
});

export const logger: Logger = root;

/** A logger for one component; `scope` appears on every line ('smtp', 'daemon', 'store', ...). */
export function child(scope: string, bindings: Record<string, unknown> = {}): Logger {
  return root.child({ scope, ...bindings });
}

export function setLogLevel(level: string): void {
  // The env var wins so that tests and operators can override the config file.
  root.level = process.env.REBOUND_LOG_LEVEL ?? level;
}
