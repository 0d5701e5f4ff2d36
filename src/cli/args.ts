/**
 * cli/args - what the store commands read from their command line beyond the store options:
 * `--now TIME`, an address argument (checked as the status socket checks it), times ("2026-01-31",
 * "36h", "7d"), who did it (for the audit table), and the usage error that exits 2.
 */
import type { Command } from 'commander';
import { userInfo } from 'node:os';
import { checkAddress } from '../control/commands.js';

/**
 * `--now TIME`: answer as of another time (ISO date/time), for the "may I send?" commands: shows
 * the 24 h suspension rule on old samples, or what will be true tomorrow.
 */
export function addNowOption(cmd: Command): Command {
  return cmd.option('--now <time>', 'answer as of this time (ISO 8601, e.g. 2026-11-27T12:00Z; default: now)');
}

export function nowOption(opts: { now?: string }): number | undefined {
  if (opts.now === undefined) return undefined;
  const t = Date.parse(opts.now.trim());
  if (!Number.isFinite(t)) throw new UsageError(`--now: expected an ISO 8601 time like 2026-11-27T12:00Z, got ${JSON.stringify(opts.now)}`);
  return t;
}

/** An address argument, checked as the status socket checks it (local@domain, no spaces). */
export function addressArg(a: string): string {
  const bad = checkAddress(a);
  if (bad) throw new UsageError(bad);
  return a;
}

/** A usage error: main.ts exits 2 for errors carrying exitCode 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

/**
 * A time on the command line: an ISO 8601 date/time ("2026-01-31", "2026-01-31T12:00Z"), or an
 * age before now: "90m", "36h", "7d", "2w".
 */
export function parseTime(s: string, now = Date.now()): number {
  const rel = /^(\d+)\s*(m|h|d|w)$/i.exec(s.trim());
  if (rel) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 }[rel[2]!.toLowerCase() as 'm' | 'h' | 'd' | 'w'];
    return now - Number(rel[1]) * unit;
  }
  const t = Date.parse(s.trim());
  if (!Number.isFinite(t)) throw new UsageError(`not a time: ${JSON.stringify(s)} (use 2026-01-31, 2026-01-31T12:00Z, 36h or 7d)`);
  return t;
}

/** Who did it, for the audit table: --who, else the invoking (sudo) user. */
export function whoAmI(option?: string): string {
  if (option !== undefined && option !== '') return option;
  const sudo = process.env.SUDO_USER;
  if (sudo) return sudo;
  try {
    return userInfo().username;
  } catch {
    return `uid:${process.getuid?.() ?? '?'}`;
  }
}
