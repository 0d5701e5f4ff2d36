/**
 * intake/smtp-sessions - each SMTP/LMTP session's clock and error count (Postfix's
 * smtpd_per_request_deadline, smtpd_min_data_rate and smtpd_hard_error_limit): when the client
 * began to owe us a complete command, DATA's moving deadline, refused RCPTs. sweep() closes the
 * sessions past their deadline with 421 4.4.2; a full listener closes its most stalled session
 * (evictStalled) to admit a newcomer. smtp.ts feeds it at the greeting (watch: it wraps the
 * connection's command handler, the one place every complete command line passes) and in DATA.
 * Config keys: intake.smtp.commandTimeoutMs, minDataRate (smtp.ts), hardErrorLimit.
 */
import type { SMTPServer, SMTPServerSession } from 'smtp-server';
import type { Logger } from '../log.js';

/** A full listener only closes a session that has owed us input this long (a real sender never does). */
const STALLED_MS = 1000;

/** smtp-server's connection class (its package exports only the type of the set that holds them). */
type SMTPConnection = SMTPServer['connections'] extends Set<infer C> ? C : never;

/** One session's deadline and error bookkeeping. */
export interface Pace {
  conn: SMTPConnection;
  /** Since when the client owes us a complete command (our previous reply went out); null while we owe it one. */
  owedSince: number | null;
  /** In DATA: the time the message must progress by; each chunk moves it (minDataRate). */
  dataDeadline: number | null;
  /** Refused RCPTs since the last stored message. */
  errors: number;
}

export class SessionClocks {
  /** Sessions past the greeting, by session id (= connection id). */
  private readonly paces = new Map<string, Pace>();

  constructor(
    private readonly server: SMTPServer,
    private readonly o: { name: string; log: Logger; commandTimeout: number; hardErrorLimit: number; busy: ReadonlySet<string> },
  ) {}

  get(id: string): Pace | undefined {
    return this.paces.get(id);
  }

  forget(id: string): void {
    this.paces.delete(id);
  }

  /** Greeting time: start the session's clock, and watch every complete command it sends. */
  watch(session: SMTPServerSession, cb: (err?: Error | null) => void): void {
    let conn: SMTPConnection | undefined;
    for (const c of this.server.connections) if (c.id === session.id) conn = c;
    if (conn) {
      const c = conn;
      const p: Pace = { conn: c, owedSince: Date.now(), dataDeadline: null, errors: 0 };
      this.paces.set(session.id, p);
      const handle = c._onCommand;
      c._onCommand = (command, next) => {
        if (p.errors >= this.o.hardErrorLimit) {
          this.o.log.info({ peer: peerOf(session), session: session.id, errors: p.errors, outcome: 'error-limit' }, 'session closed');
          c.send(421, `4.7.0 ${this.o.name} Error: too many errors`);
          return;
        }
        if (badGreetingName(command)) {
          c.send(501, '5.5.4 Error: Bad hostname syntax (control or formatting character)', false);
          next?.();
          return;
        }
        p.owedSince = null; // the command is in; until our reply the wait is ours
        handle.call(c, command, () => {
          // DATA's 354 calls back at once: receive() keeps the clock while the message arrives.
          if (p.dataDeadline === null && !this.o.busy.has(session.id)) p.owedSince = Date.now();
          next?.();
        });
      };
    }
    cb();
  }

  /** When a session began to fall behind: while its command or message is within allowance, about now. */
  private behindSince(p: Pace): number | null {
    return p.dataDeadline !== null ? p.dataDeadline - this.o.commandTimeout : p.owedSince;
  }

  /** 421 4.4.2 for every session past its deadline (runs every second or so). */
  sweep(): void {
    const t = Date.now();
    for (const [id, p] of this.paces) {
      if (!this.server.connections.has(p.conn)) continue; // closing already; onClose removes it
      const since = this.behindSince(p);
      if (since === null || t - since <= this.o.commandTimeout) continue;
      this.paces.delete(id);
      this.o.log.info({ peer: peerOf(p.conn.session), session: id, outcome: p.dataDeadline !== null ? 'data-deadline' : 'command-deadline', ms: t - since }, 'session closed');
      p.conn.send(421, `4.4.2 ${this.o.name} Error: timeout exceeded`);
    }
  }

  /** A full listener: close the session that has owed us input longest (a second or more), if any. */
  evictStalled(): void {
    const t = Date.now();
    let worst: Pace | null = null;
    let worstSince = t - STALLED_MS;
    for (const p of this.paces.values()) {
      if (!this.server.connections.has(p.conn)) continue;
      const since = this.behindSince(p);
      if (since !== null && since <= worstSince) {
        worst = p;
        worstSince = since;
      }
    }
    if (!worst) return;
    this.paces.delete(worst.conn.id);
    this.o.log.info({ peer: peerOf(worst.conn.session), session: worst.conn.id, outcome: 'evicted', ms: t - worstSince }, 'session closed');
    worst.conn.send(421, `4.4.2 ${this.o.name} Error: timeout exceeded (listener full)`);
  }

  /** A refused RCPT (hardErrorLimit). */
  countError(session: SMTPServerSession): void {
    const p = this.paces.get(session.id);
    if (p) p.errors++;
  }
}

/**
 * An EHLO/HELO/LHLO name with a character that is not printable: smtp-server refuses C0 controls
 * and DEL itself, but lets through Unicode format and separator characters (U+202E turns the rest
 * of a line around on a terminal, U+200B hides in it) and bytes that are not UTF-8 (read as
 * U+FFFD). The name goes into the stored envelope and every log line and history view that shows
 * it, so it is refused here. U+200C/U+200D stay: some scripts' IDN labels need them.
 */
const UNPRINTABLE = /[\p{Cc}\p{Zl}\p{Zp}\uFFFD]|(?![\u200C\u200D])\p{Cf}/u;
function badGreetingName(command: Buffer): boolean {
  if (command.length < 5) return false;
  const verb = command.subarray(0, 5).toString('latin1').toUpperCase();
  if (verb !== 'EHLO ' && verb !== 'HELO ' && verb !== 'LHLO ') return false;
  return UNPRINTABLE.test(command.subarray(5).toString('utf8'));
}

export function peerOf(session: SMTPServerSession): string {
  return session.remoteAddress || 'local';
}
