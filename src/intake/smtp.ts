/**
 * intake/smtp - receive bounces over SMTP or LMTP: the listener (TCP or a Unix socket), its
 * limits, and the group commit. The conversation itself is intake/smtp-session.ts.
 * In: connections. Out: raw message + Envelope committed to the store, then the reply: 250 only
 * after the commit (once per recipient under LMTP, RFC 2033 4.2).
 *
 * RCPT: only return paths at a configured bounce domain with the VERP prefix (verp/sign.ts
 * checkReturnPath): anything else 550 5.1.1 (never a relay); bad/expired signature 550 5.7.1 when
 * verp.requireSignature, else accepted and logged unverified.
 * DATA: collected up to intake.smtp.maxMessageBytes (SIZE, RFC 1870; over it: 552, nothing kept), so
 * memory per connection is bounded; committed through a group committer (one transaction per
 * group, then an fdatasync of the WAL off the event loop) and acked only after the sync. A failed
 * commit or sync answers 451 4.3.0 (the sender retries); nothing is acked before it is on disk.
 * Other limits: intake.smtp.maxClients (421 over it), intake.smtp.socketTimeoutMs (idle/command),
 * 1000 RCPTs per transaction, STARTTLS only with intake.smtp.tls.cert + key, no reverse DNS.
 * Logs: one line per message with its outcome (scope 'smtp' or 'lmtp').
 * Config keys: intake.smtp.*, intake.lmtp.* (socket, group), verp.*.
 */
import { readFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { createSecureContext } from 'node:tls';
import { DaemonError, isTemporary } from '../errors.js';
import { child, type Logger } from '../log.js';
import type { Envelope } from '../types.js';
import { checkReturnPath, type CheckOptions } from '../verp/sign.js';
import { SmtpSession, type SessionContext } from './smtp-session.js';
import { listen as listenOn, listenUnix } from '../unix-socket.js';
import type { Committer } from './group-commit.js';

export { GroupCommitter, type Committer, type IntakeStore, type SaveOutcome } from './group-commit.js';

export { MAX_RECIPIENTS } from './smtp-session.js';

export interface ListenOptions {
  host: string;
  port: number;
  /** Unix socket path; when set it wins over host:port. */
  socket?: string;
  /** Group for the socket (name or gid); '' or absent = the process's group. */
  group?: string;
}

export interface IntakeLimits {
  /** Greeting name; '' = os.hostname(). */
  hostname: string;
  maxClients: number;
  maxMessageBytes: number;
  socketTimeoutMs: number;
  tls: { cert?: string; key?: string };
  /** How long stop() waits for open sessions before it cuts them. Default 10 s. */
  closeTimeoutMs?: number;
}

export interface SmtpIntakeOptions {
  protocol: 'smtp' | 'lmtp';
  listen: ListenOptions;
  limits: IntakeLimits;
  verp: CheckOptions;
}

export interface SmtpIntakeDeps {
  committer: Committer;
  logger?: Logger;
  now?: () => number;
}

export interface SmtpIntake {
  readonly protocol: 'smtp' | 'lmtp';
  start(): Promise<void>;
  /** Stop accepting, let sessions in DATA finish (their commit included), then close. */
  stop(): Promise<void>;
  /** Bound port (TCP) or socket path. */
  address(): { host: string; port: number } | { socket: string };
  /** Sessions currently open. */
  connections(): number;
  /** Replace the VERP rules without dropping sessions (SIGHUP reload). */
  setVerp(verp: CheckOptions): void;
}

export function createSmtpIntake(opts: SmtpIntakeOptions, deps: SmtpIntakeDeps): SmtpIntake {
  const { protocol, listen, limits } = opts;
  const log = deps.logger ?? child(protocol);
  const now = deps.now ?? Date.now;
  let verp = opts.verp;
  let stopping = false;
  const sessions = new Set<SmtpSession>();
  const hostname = limits.hostname || osHostname();
  const secureContext =
    limits.tls.cert && limits.tls.key ? createSecureContext({ cert: readFileSync(limits.tls.cert), key: readFileSync(limits.tls.key) }) : null;

  const ctx: SessionContext = {
    protocol,
    hostname,
    maxMessageBytes: limits.maxMessageBytes,
    secureContext,
    checkRcpt: (address) => checkReturnPath(address, verp, now()),
    stopping: () => stopping,
    closed: (s) => {
      sessions.delete(s);
      if (sessions.size === 0) for (const r of whenEmpty.splice(0)) r();
    },
    refused(s, what) {
      const base = { peer: s.remoteAddress, session: s.id };
      if (what.outcome === 'refused-rcpt') log.info({ ...base, rcpt: what.rcpt, status: what.status, outcome: what.outcome }, 'recipient refused');
      else log.info({ ...base, from: what.from, rcpt: what.rcpts, size: what.size, outcome: what.outcome, limit: limits.maxMessageBytes }, 'message refused');
    },
    deliver(s, tx, data, reply) {
      const started = Date.now();
      const env: Envelope = {
        source: protocol,
        origin: `${s.remoteAddress}${s.remotePort ? `:${s.remotePort}` : ''} helo=${s.helo}`,
        mailFrom: tx.from,
        rcptTo: tx.rcpts,
        receivedAt: now(),
      };
      // Commit before replying.
      deps.committer.add(env, data.raw, (err, r) => {
        const base = { peer: s.remoteAddress, from: tx.from, rcpt: tx.rcpts, size: data.size, session: s.id };
        if (err === null && r) {
          // Reply first, log after: the rest of the batch's replies do not wait for log lines.
          const text = `250 2.0.0 Ok: stored as ${r.id}${r.duplicate ? ' (duplicate)' : ''}`;
          reply(protocol === 'lmtp' ? tx.rcpts.map(() => text) : [text]);
          log.info(
            { ...base, id: r.id, outcome: r.duplicate ? 'duplicate' : 'stored', unverified: tx.unverified.length ? tx.unverified : undefined, ms: Date.now() - started },
            'message accepted',
          );
          return;
        }
        const temporary = isTemporary(err);
        log.error({ ...base, outcome: 'tempfail', err, code: err instanceof DaemonError ? err.code : undefined }, 'commit failed');
        // Both cases are answered 4xx: the message is intact, only our side failed.
        const text = temporary ? '451 4.3.0 Error: temporary failure, try again later' : '451 4.3.0 Error: local error, try again later';
        reply(protocol === 'lmtp' ? tx.rcpts.map(() => text) : [text]);
      });
    },
  };
  const whenEmpty: (() => void)[] = [];

  const server = createServer({ noDelay: true }, (socket) => {
    if (stopping) return void socket.destroy();
    if (sessions.size >= limits.maxClients) {
      socket.on('error', () => {});
      socket.end(`421 4.7.0 ${hostname} Error: too many connections, try again later\r\n`);
      // A peer that never closes its side must not hold the descriptor past the limit.
      setTimeout(() => socket.destroy(), 2000).unref();
      return;
    }
    sessions.add(new SmtpSession(socket, ctx, limits.socketTimeoutMs));
  });
  // Past maxClients a connection still costs a descriptor until its 421 is out; beyond twice the
  // limit Node closes a new connection as soon as it is accepted (a flood gets no reply at all).
  server.maxConnections = limits.maxClients * 2;
  server.on('error', (err: Error) => log.error({ err }, 'listener error'));

  let bound: { host: string; port: number } | { socket: string } = listen.socket ? { socket: listen.socket } : { host: listen.host, port: listen.port };

  return {
    protocol,
    async start() {
      if (listen.socket) {
        // Postfix's lmtp client runs as a different user: let the group in, nobody else. A stale
        // socket file is replaced; one a running daemon still answers on is refused.
        await listenUnix(server, listen.socket, 0o660, listen.group ?? '', `intake.${protocol}.group`);
      } else {
        await listenOn(server, { host: listen.host, port: listen.port });
        const a = server.address() as AddressInfo;
        bound = { host: a.address, port: a.port };
      }
      log.info({ listen: bound, protocol }, 'listening');
    },
    async stop() {
      stopping = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Idle sessions hear 421 now; one in DATA or committing gets its reply first, then 421.
      for (const s of sessions) s.shutdown();
      if (sessions.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((r) => whenEmpty.push(r)),
          new Promise<void>((r) => (timer = setTimeout(r, limits.closeTimeoutMs ?? 10_000))),
        ]);
        clearTimeout(timer);
        for (const s of sessions) s.destroy();
      }
      await closed;
      await deps.committer.drained();
      log.info({ listen: bound }, 'stopped');
    },
    address: () => bound,
    connections: () => sessions.size,
    setVerp(v: CheckOptions) {
      verp = v;
    },
  };
}
