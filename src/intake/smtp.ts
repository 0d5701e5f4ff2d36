/**
 * intake/smtp - receive bounces over SMTP or LMTP through the npm smtp-server package (imported
 * only here): one SMTPServer per listener (`lmtp: true` for LMTP), on TCP or a Unix socket.
 * In: connections. Out: raw message + Envelope committed to the store, then the reply: 250 only
 * after the commit and the WAL sync (one reply per accepted recipient under LMTP, RFC 2033 4.2).
 *
 * smtp-server owns the conversation: command syntax, pipelining (RFC 2920), dot-stuffing,
 * STARTTLS (RFC 3207), SIZE (RFC 1870), its error limits and its 100 ms early-talker pause before
 * the greeting (not configurable; docs/SMTP.md lists what it answers). We configure it through its
 * options and two callbacks and decide only what is ours:
 * RCPT (onRcptTo): only return paths at a configured bounce domain with the VERP prefix (verp/sign.ts
 * checkReturnPath): anything else 550 5.1.1 (never a relay); bad/expired signature 550 5.7.1 when
 * verp.requireSignature, else accepted and logged unverified. The decision of every accepted RCPT
 * (the address the token names, its verdict) goes into the envelope (Envelope.returnPaths), is
 * stored with the message, and is what the pipeline attributes by: the token is decoded once, here.
 * DATA (onData): kept up to intake.smtp.maxMessageBytes; past it the bytes already held are dropped,
 * the rest is only counted and the answer is 552 (so memory stays within maxClients x
 * maxMessageBytes); otherwise committed through a Committer (group commit, group-commit.ts or the
 * writer thread) and answered once that is durable. A failed commit or sync answers 451 4.3.0.
 * Enhanced status codes are in our own reply texts (smtp-server would put its own code from the
 * reply number in front of ours, e.g. 5.1.1 before a 5.7.1), so ENHANCEDSTATUSCODES is not offered.
 * Other limits: intake.smtp.maxClients per listener (421 over it; twice that and new connections
 * are closed at once), intake.smtp.socketTimeoutMs (idle), MAX_RECIPIENTS per transaction,
 * MAX_COMMAND_LINE, STARTTLS only with intake.smtp.tls.cert + key, AUTH off, no reverse DNS.
 * Deadlines: an idle timeout alone lets a peer that trickles one byte every few seconds
 * hold a slot for ever, so, as Postfix's smtpd_per_request_deadline and smtpd_min_data_rate do,
 * every command must be complete within intake.smtp.commandTimeoutMs of our previous reply, and
 * DATA gets the same allowance plus 1 s per minDataRate bytes received (never more than
 * commandTimeoutMs ahead): past either, 421 4.4.2 and close. A full listener closes its most
 * stalled session (one that has owed us input for a second or more) to admit a newcomer, so real
 * senders are served while trickling ones wait. Refused RCPTs count towards
 * intake.smtp.hardErrorLimit (Postfix's smtpd_hard_error_limit); at the limit the next command
 * gets 421 4.7.0 and the session closes. The bookkeeping is smtp-sessions.ts (a Pace per session),
 * fed at the greeting, by a wrapper around each connection's command handler (the one place every
 * complete command line passes) and by receive().
 * Logs: one line per message with its outcome (scope 'smtp' or 'lmtp').
 * Config keys: intake.smtp.*, intake.lmtp.* (socket, group), verp.*.
 */
import { readFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import { domainToASCII } from 'node:url';
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { DaemonError, isTemporary } from '../errors.js';
import { child, type Logger } from '../log.js';
import type { Envelope, ReturnPathVerdict } from '../types.js';
import { checkReturnPath, learnReturnPaths, verdictOf, type CheckOptions, type RcptDecision } from '../verp/sign.js';
import { listen as listenOn, listenUnix } from '../unix-socket.js';
import type { Committer } from './group-commit.js';
import { peerOf, SessionClocks } from './smtp-sessions.js';

export { GroupCommitter, type Committer, type IntakeStore, type SaveOutcome } from './group-commit.js';

/** RCPTs per transaction; more get 452 (RFC 5321 4.5.3.1.8 allows a server to limit them). */
export const MAX_RECIPIENTS = 1000;
/**
 * Longest command line (RFC 5321 4.5.3.1.4 says 512; parameters make real ones longer). Over it
 * smtp-server answers 421 and closes. Its default, 16 KB, is for AUTH blobs we do not take.
 */
export const MAX_COMMAND_LINE = 4096;

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
  /** How long stop() waits for sessions in DATA before it cuts them (421). Default 10 s. */
  closeTimeoutMs?: number;
  /** A whole command, from our previous reply to its CRLF; also DATA's base allowance. Default 60 s. */
  commandTimeoutMs?: number;
  /** DATA bytes per second that keep a message's deadline moving (Postfix smtpd_min_data_rate). Default 500. */
  minDataRate?: number;
  /** Refused RCPTs a session may collect before the next command gets 421 (Postfix smtpd_hard_error_limit). Default 20. */
  hardErrorLimit?: number;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 60_000;
export const DEFAULT_MIN_DATA_RATE = 500;
export const DEFAULT_HARD_ERROR_LIMIT = 20;
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

/** What one transaction accumulated at RCPT, keyed by smtp-server's envelope object (new per transaction). */
interface Transaction {
  /** RCPTs answered 250: under LMTP the end of DATA gets exactly this many replies. */
  accepted: number;
  /** The accepted recipients, each once, in the form that matched our rules (the envelope's). */
  rcpts: string[];
  /** What RCPT decided for each of rcpts (same order), kept for the pipeline. */
  verdicts: ReturnPathVerdict[];
}

/** Recipients accepted with a missing/bad signature (signatures not required), for the log line. */
function unverifiedOf(t: Transaction): string[] | undefined {
  const u = t.verdicts.filter((v) => !v.verified).map((v) => v.returnPath);
  return u.length > 0 ? u : undefined;
}

/** An smtp-server reply: the message becomes the reply text after the code. */
function reply(code: number, text: string): Error & { responseCode: number } {
  return Object.assign(new Error(text), { responseCode: code });
}

/**
 * Commands smtp-server knows that a bounce intake does not take: AUTH (nobody logs in), XCLIENT and
 * XFORWARD (no proxy in front of us may rewrite the peer), and sendmail's WIZ/SHELL/KILL jokes.
 * Disabled, they are unknown commands: 500, counted towards the error limit.
 */
const DISABLED = ['AUTH', 'XCLIENT', 'XFORWARD', 'WIZ', 'SHELL', 'KILL'];

const SHUTTING_DOWN = '4.3.2 Service shutting down, try again later';

export function createSmtpIntake(opts: SmtpIntakeOptions, deps: SmtpIntakeDeps): SmtpIntake {
  const { protocol, listen, limits } = opts;
  const log = deps.logger ?? child(protocol);
  const now = deps.now ?? Date.now;
  const lmtp = protocol === 'lmtp';
  let verp = opts.verp;
  let stopping = false;
  const transactions = new WeakMap<object, Transaction>();
  /** Sessions between DATA's 354 and our answer to it: stop() lets them finish. */
  const busy = new Set<string>();
  const tls = limits.tls.cert && limits.tls.key ? { cert: readFileSync(limits.tls.cert), key: readFileSync(limits.tls.key) } : null;
  const name = limits.hostname || osHostname();
  const commandTimeout = limits.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const minDataRate = limits.minDataRate ?? DEFAULT_MIN_DATA_RATE;
  const hardErrorLimit = limits.hardErrorLimit ?? DEFAULT_HARD_ERROR_LIMIT;
  let sweeper: NodeJS.Timeout | undefined;

  const server = new SMTPServer({
    lmtp,
    name,
    banner: 'rebound bounce intake',
    size: limits.maxMessageBytes,
    maxClients: limits.maxClients,
    // A bounce names one return path; Postfix's LMTP client batches up to 50 by default.
    maxRecipients: MAX_RECIPIENTS,
    maxCommandLength: MAX_COMMAND_LINE,
    socketTimeout: limits.socketTimeoutMs,
    closeTimeout: limits.closeTimeoutMs ?? 10_000,
    // No DNS on the machines rebound runs on in tests, and a bounce intake has no use for the name.
    disableReverseLookup: true,
    authOptional: true,
    disabledCommands: tls ? DISABLED : [...DISABLED, 'STARTTLS'],
    hideSTARTTLS: !tls,
    hideENHANCEDSTATUSCODES: true,
    ...(tls ?? {}),
    // smtp-server logs through its own logger; ours writes one line per message instead.
    logger: false,
    onConnect: (session, cb) => sessions.watch(session, cb),
    onClose: (session) => sessions.forget(session.id),
    onRcptTo,
    onData: receive,
  });
  // Before smtp-server counts a new connection against maxClients: make room if we can.
  server.server.prependListener('connection', () => {
    if (server.connections.size >= limits.maxClients) sessions.evictStalled();
  });
  // Past maxClients smtp-server still accepts, answers 421 and closes; beyond twice the limit Node
  // closes a new connection as soon as it is accepted (a flood gets no reply at all).
  server.server.maxConnections = limits.maxClients * 2;
  const sessions = new SessionClocks(server, { name, log, commandTimeout, hardErrorLimit, busy });
  // Errors of single sessions (a reset in mid-transaction, a failed TLS handshake) arrive here.
  server.on('error', (err: Error & { code?: string; remoteAddress?: string }) =>
    log.warn({ err: err.message, code: err.code, peer: err.remoteAddress }, 'session error'),
  );

  function onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, cb: (err?: Error | null) => void): void {
    // smtp-server reads command lines as UTF-8, so bytes that are not UTF-8 reach us as U+FFFD and
    // the sender's bytes are lost. Our return paths are ASCII or UTF-8 (RFC 6531), so such an
    // address cannot be one of ours: refuse it rather than credit a bounce to a garbled address.
    if (address.address.includes('\uFFFD')) {
      sessions.countError(session);
      log.info({ peer: peerOf(session), session: session.id, rcpt: address.address, outcome: 'refused-rcpt', status: 'not-utf8' }, 'recipient refused');
      return cb(reply(553, '5.1.3 Recipient address is not valid UTF-8 (RFC 6531)'));
    }
    const { rcpt, d } = decide(address.address);
    if (!d.accept) {
      sessions.countError(session);
      log.info({ peer: peerOf(session), session: session.id, rcpt, status: d.status, outcome: 'refused-rcpt' }, 'recipient refused');
      return cb(reply(d.code, `${d.enhanced} <${rcpt}>: ${d.text}`));
    }
    let t = transactions.get(session.envelope);
    if (!t) transactions.set(session.envelope, (t = { accepted: 0, rcpts: [], verdicts: [] }));
    t.accepted++;
    if (!t.rcpts.some((r) => r.toLowerCase() === rcpt.toLowerCase())) {
      t.rcpts.push(rcpt);
      t.verdicts.push(verdictOf(rcpt, d, verp));
    }
    cb();
  }

  /**
   * Our RCPT rule for an address as smtp-server hands it over. smtp-server turns an A-label
   * domain into Unicode (xn--bcher-kva.example -> bucher.example with the umlaut), so a bounce
   * domain configured in its A-label form is tried in that form too; the form that matched is
   * the one stored in the envelope, where the pipeline reads the VERP token against the same rules.
   */
  function decide(address: string): { rcpt: string; d: RcptDecision } {
    const d = checkReturnPath(address, verp, now());
    const at = address.lastIndexOf('@');
    if (d.accept || d.status !== 'not-ours' || at < 0 || /^[\x00-\x7f]*$/.test(address.slice(at + 1))) return { rcpt: address, d };
    const ascii = domainToASCII(address.slice(at + 1));
    if (ascii === '') return { rcpt: address, d };
    const alt = `${address.slice(0, at + 1)}${ascii}`;
    const d2 = checkReturnPath(alt, verp, now());
    return d2.status === 'not-ours' ? { rcpt: address, d } : { rcpt: alt, d: d2 };
  }

  /** DATA: collect the message within the limit, commit it, answer after the commit. */
  function receive(stream: SMTPServerDataStream, session: SMTPServerSession, cb: (err?: Error | null, message?: string | (string | Error)[]) => void): void {
    const started = Date.now();
    const limit = limits.maxMessageBytes;
    busy.add(session.id);
    const pace = sessions.get(session.id);
    if (pace) {
      pace.owedSince = null;
      pace.dataDeadline = started + commandTimeout;
    }
    // (smtp-server starts DATA only after an accepted RCPT, which created the entry.)
    const t = transactions.get(session.envelope) ?? fallback(session);
    let chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (c: Buffer) => {
      size += c.length;
      if (pace?.dataDeadline != null) {
        const t = Date.now();
        pace.dataDeadline = Math.min(t + commandTimeout, pace.dataDeadline + (c.length * 1000) / minDataRate);
      }
      if (size <= limit) chunks.push(c);
      else if (chunks.length > 0) chunks = []; // over the limit: let go of what we hold, count the rest
    });
    // One answer per transaction, whichever of 'error' (the client went away) and 'end' comes first.
    let answered = false;
    const answer = (result: string | Error): void => {
      if (answered) return;
      answered = true;
      busy.delete(session.id);
      if (pace) {
        pace.dataDeadline = null;
        pace.owedSince = Date.now();
        if (typeof result === 'string') pace.errors = 0; // a stored message starts the count again, as unknown commands do
      }
      if (lmtp) cb(null, Array.from({ length: t.accepted }, () => result));
      else if (typeof result === 'string') cb(null, result);
      else cb(result);
      // The reply is out (smtp-server writes it synchronously); during a stop the session ends here.
      if (stopping) hangUp(session.id);
    };
    stream.on('error', (err) => answer(reply(451, `4.3.0 Error: ${err.message}`)));
    stream.on('end', () => {
      if (pace) pace.dataDeadline = null; // the message is in: the wait for the commit is ours
      const rcpts = t.rcpts;
      const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
      const peer = peerOf(session);
      const base = { peer, from, rcpt: rcpts, size, session: session.id };
      if (size > limit) {
        log.info({ ...base, outcome: 'refused-size', limit }, 'message refused');
        return answer(reply(552, `5.3.4 Error: message exceeds fixed maximum message size ${limit}`));
      }
      const env: Envelope = {
        source: protocol,
        origin: `${peer}${session.remotePort ? `:${session.remotePort}` : ''} helo=${session.hostNameAppearsAs || ''}`,
        mailFrom: from,
        rcptTo: rcpts,
        receivedAt: now(),
        returnPaths: t.verdicts,
      };
      const raw = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      chunks = [];
      deps.committer.add(env, raw, (err, r) => {
        if (err === null && r) {
          // Reply first, log after: the rest of the batch's replies do not wait for log lines.
          answer(`2.0.0 Ok: stored as ${r.id}${r.duplicate ? ' (duplicate)' : ''}`);
          log.info(
            { ...base, id: r.id, outcome: r.duplicate ? 'duplicate' : 'stored', unverified: unverifiedOf(t), ms: Date.now() - started },
            'message accepted',
          );
          return;
        }
        log.error({ ...base, outcome: 'tempfail', err, code: err instanceof DaemonError ? err.code : undefined }, 'commit failed');
        // Both cases are answered 4xx: the message is intact, only our side failed.
        answer(reply(451, isTemporary(err) ? '4.3.0 Error: temporary failure, try again later' : '4.3.0 Error: local error, try again later'));
      });
    });
  }

  /** The transaction of a DATA without an entry (smtp-server starts DATA only after an accepted RCPT). */
  function fallback(session: SMTPServerSession): Transaction {
    const rcpts = session.envelope.rcptTo.map((r) => r.address);
    return { accepted: rcpts.length, rcpts, verdicts: learnReturnPaths(rcpts, verp, now()) };
  }

  /** 421 and close one session (smtp-server's send(421) closes the connection). */
  function hangUp(id: string): void {
    for (const c of server.connections) if (c.id === id) c.send(421, SHUTTING_DOWN);
  }

  let bound: { host: string; port: number } | { socket: string } = listen.socket ? { socket: listen.socket } : { host: listen.host, port: listen.port };

  return {
    protocol,
    async start() {
      if (listen.socket) {
        // Postfix's lmtp client runs as a different user: let the group in, nobody else. A stale
        // socket file is replaced; one a running daemon still answers on is refused.
        await listenUnix(server.server, listen.socket, 0o660, listen.group ?? '', `intake.${protocol}.group`);
      } else {
        await listenOn(server.server, { host: listen.host, port: listen.port });
        const a = server.server.address() as AddressInfo;
        bound = { host: a.address, port: a.port };
      }
      sweeper = setInterval(() => sessions.sweep(), Math.max(100, Math.min(1000, commandTimeout / 4)));
      sweeper.unref();
      log.info({ listen: bound, protocol }, 'listening');
    },
    async stop() {
      stopping = true;
      clearInterval(sweeper);
      // smtp-server stops accepting, answers any further command 421, and after closeTimeout
      // cuts what is left with 421. The callback comes when every socket has closed, or then.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Idle sessions hear it now; one in DATA or committing gets its reply first (answer()).
      for (const c of server.connections) if (!busy.has(c.id)) c.send(421, SHUTTING_DOWN);
      await closed;
      await deps.committer.drained();
      log.info({ listen: bound }, 'stopped');
    },
    address: () => bound,
    connections: () => server.connections.size,
    setVerp(v: CheckOptions) {
      verp = v;
    },
  };
}

