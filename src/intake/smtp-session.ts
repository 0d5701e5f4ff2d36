/**
 * intake/smtp-session - one SMTP or LMTP conversation (RFC 5321, RFC 2033 for LMTP, RFC 2920
 * pipelining, RFC 3207 STARTTLS, RFC 1870 SIZE), from the greeting to QUIT.
 *
 * In: a connected socket and a SessionContext (what the listener decides: which recipients are
 * ours, where a finished message goes, whether the daemon is stopping). Out: replies on the socket;
 * each complete message handed to ctx.deliver(), whose answer (after the commit) becomes the
 * reply to the end of DATA - one per accepted recipient under LMTP.
 *
 * Why our own: a bounce intake needs a small part of SMTP, and a general-purpose library cost
 * twice the CPU per message of this loop (docs/BENCHMARKS.md, bench:smtp), which on two cores
 * decided how many bounces per second could be acknowledged.
 *
 * The reader is a small state machine: 'command' (lines), 'data' (smtp-data.ts), 'wait' (the
 * message is being committed; further input is held, and reading pauses if it piles up), 'closed'.
 * Replies produced while one chunk of input is read go out in one write (pipelined clients get
 * their MAIL/RCPT/DATA answers together). Bounded: command lines (MAX_LINE), recipients
 * (MAX_RECIPIENTS), message bytes (ctx.maxMessageBytes), errors per session (MAX_ERRORS).
 */
import { TLSSocket, type SecureContext } from 'node:tls';
import type { Socket } from 'node:net';
import type { RcptDecision } from '../verp/sign.js';
import { DataReader, type DataEnd } from './smtp-data.js';
import { parsePathArg } from './smtp-syntax.js';

/** RCPTs per transaction; more get 452 (RFC 5321 4.5.3.1.8 allows a server to limit them). */
export const MAX_RECIPIENTS = 1000;
/** Longest command line accepted (RFC 5321 4.5.3.1.4 says 512; parameters make real ones longer). */
const MAX_LINE = 4096;
/** Held input while a message commits, before reading pauses (a pipelining client's next commands). */
const MAX_HELD = 64 * 1024;
/** Bad commands before the session is dropped (Postfix: smtpd_hard_error_limit). */
const MAX_ERRORS = 20;
/** Sent by web clients and proxies probing a port: not a mail client, hang up (Postfix does too). */
const FORBIDDEN = new Set(['GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'CONNECT']);
const LF = 0x0a;

export interface Transaction {
  from: string;
  rcpts: string[];
  /** Recipients accepted with a missing/bad signature (signatures not required). */
  unverified: string[];
  /** ESMTP parameters of MAIL FROM (SIZE, BODY, SMTPUTF8, ...), as sent. */
  params: Map<string, string>;
}

export interface SessionContext {
  protocol: 'smtp' | 'lmtp';
  /** The name in the greeting and the EHLO reply. */
  hostname: string;
  maxMessageBytes: number;
  /** Offered as STARTTLS when set. */
  secureContext: SecureContext | null;
  checkRcpt(address: string, session: SmtpSession): RcptDecision;
  /**
   * A complete message: answer with reply(lines) - one line for SMTP, one per recipient for
   * LMTP - only once it is committed. An oversize message is answered here (552) without it.
   */
  deliver(session: SmtpSession, tx: Transaction, data: DataEnd, reply: (lines: string[]) => void): void;
  /** A refused command or message worth one log line (RCPT refused, oversize). */
  refused(session: SmtpSession, what: { outcome: string; rcpt?: string; status?: string; size?: number; from?: string; rcpts?: string[] }): void;
  /** True once the daemon is stopping: finished transactions are answered, then 421. */
  stopping(): boolean;
  closed(session: SmtpSession): void;
}

type Mode = 'command' | 'data' | 'wait' | 'closed';

let sessionCounter = 0;

export class SmtpSession {
  readonly id = `${process.pid.toString(36)}-${(++sessionCounter).toString(36)}`;
  readonly remoteAddress: string;
  readonly remotePort: number | undefined;
  /** The name the client gave in HELO/EHLO/LHLO ('' before it). */
  helo = '';
  private secure = false;
  private mode: Mode = 'command';
  private input: Buffer | null = null;
  /** Rest of an over-long line being skipped. */
  private skipping = false;
  private data: DataReader | null = null;
  private tx: Transaction | null = null;
  private out = '';
  private errors = 0;
  private paused = false;

  constructor(
    private socket: Socket,
    private readonly ctx: SessionContext,
    timeoutMs: number,
  ) {
    this.remoteAddress = socket.remoteAddress ?? 'local';
    this.remotePort = socket.remotePort;
    socket.setNoDelay?.(true);
    socket.setTimeout(timeoutMs);
    this.attach(socket);
    const kind = ctx.protocol === 'lmtp' ? 'LMTP' : 'ESMTP';
    socket.write(`220 ${ctx.hostname} ${kind} rebound bounce intake\r\n`);
  }

  /** In the middle of a transaction (DATA being read or committed): stop() lets it finish. */
  busy(): boolean {
    return this.mode === 'data' || this.mode === 'wait';
  }

  /** The daemon stops: an idle session is told at once, a busy one after its reply. */
  shutdown(): void {
    if (this.mode === 'command') this.hangUp('421 4.3.2 Service shutting down, try again later');
  }

  destroy(): void {
    this.mode = 'closed';
    this.socket.destroy();
  }

  private attach(s: Socket): void {
    s.on('data', this.onData);
    s.on('timeout', this.onTimeout);
    s.on('error', () => {}); // a peer that resets is not our error; 'close' follows
    s.once('close', this.onClose);
  }

  private readonly onClose = (): void => {
    this.mode = 'closed';
    this.ctx.closed(this);
  };

  private readonly onTimeout = (): void => {
    // Waiting for our own commit is not the client's idleness.
    if (this.mode === 'wait') return;
    this.hangUp('421 4.4.2 Timeout exceeded, closing connection');
  };

  private readonly onData = (chunk: Buffer): void => {
    switch (this.mode) {
      case 'data':
        this.readData(chunk);
        break;
      case 'wait':
        this.input = this.input ? Buffer.concat([this.input, chunk]) : chunk;
        if (this.input.length > MAX_HELD && !this.paused) {
          this.paused = true;
          this.socket.pause();
        }
        return;
      case 'command':
        this.input = this.input ? Buffer.concat([this.input, chunk]) : chunk;
        this.readCommands();
        break;
      case 'closed':
        return;
    }
    this.flush();
  };

  private flush(): void {
    if (this.out === '' || this.mode === 'closed') return;
    this.socket.write(this.out);
    this.out = '';
  }

  private reply(line: string): void {
    this.out += `${line}\r\n`;
  }

  /** Last words: send what is queued plus `line`, then close. */
  private hangUp(line: string): void {
    if (this.mode === 'closed') return;
    this.reply(line);
    this.flush();
    this.mode = 'closed';
    this.socket.end();
    // A client that never closes its side must not keep the socket.
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  private readCommands(): void {
    while (this.mode === 'command' && this.input) {
      const buf = this.input;
      const lf = buf.indexOf(LF);
      if (lf < 0) {
        if (buf.length > MAX_LINE) {
          // Drop the line without keeping it; answer once, when its end comes (or now, if skipping starts).
          if (!this.skipping) this.error('500 5.5.2 Error: line too long');
          this.skipping = true;
          this.input = null;
        }
        return;
      }
      this.input = lf + 1 < buf.length ? buf.subarray(lf + 1) : null;
      if (this.skipping) {
        this.skipping = false;
        continue;
      }
      const end = lf > 0 && buf[lf - 1] === 0x0d ? lf - 1 : lf;
      if (end > MAX_LINE) {
        this.error('500 5.5.2 Error: line too long');
        continue;
      }
      this.command(buf.toString('utf8', 0, end));
      if ((this.mode as Mode) === 'data' && this.input) {
        // A pipelining client may send the message right behind DATA.
        const rest = this.input;
        this.input = null;
        this.readData(rest);
      }
    }
  }

  private readData(chunk: Buffer): void {
    const end = this.data!.push(chunk);
    if (!end) return;
    this.data = null;
    this.mode = 'wait';
    if (end.rest.length > 0) this.input = end.rest;
    const tx = this.tx!;
    this.tx = null;
    if (end.oversize) {
      this.ctx.refused(this, { outcome: 'refused-size', size: end.size, from: tx.from, rcpts: tx.rcpts });
      this.answered([`552 5.3.4 Error: message exceeds fixed maximum message size ${this.ctx.maxMessageBytes}`]);
      return;
    }
    this.ctx.deliver(this, tx, end, (lines) => this.answered(lines));
  }

  /** The end-of-DATA reply(ies) are known: send them and go on with held input. */
  private answered(lines: string[]): void {
    if (this.mode !== 'wait') return; // the client went away meanwhile
    for (const l of lines) this.reply(l);
    this.mode = 'command';
    if (this.ctx.stopping()) return this.hangUp('421 4.3.2 Service shutting down, try again later');
    if (this.input) this.readCommands();
    this.flush();
    if (this.paused && this.mode === 'command') {
      this.paused = false;
      this.socket.resume();
    }
  }

  private error(line: string): void {
    if (++this.errors >= MAX_ERRORS) return this.hangUp('421 4.7.0 Error: too many errors');
    this.reply(line);
  }

  private command(line: string): void {
    const sp = line.indexOf(' ');
    const verb = (sp < 0 ? line : line.slice(0, sp)).toUpperCase();
    const arg = sp < 0 ? '' : line.slice(sp + 1).trim();
    const lmtp = this.ctx.protocol === 'lmtp';
    switch (verb) {
      case 'EHLO':
      case 'HELO':
      case 'LHLO':
        if (lmtp !== (verb === 'LHLO')) return this.error(`500 5.5.1 Error: ${lmtp ? 'this is LMTP, send LHLO' : 'LHLO is for LMTP, send EHLO'}`);
        if (arg === '') return this.error(`501 5.5.4 Syntax: ${verb} hostname`);
        this.helo = arg;
        this.tx = null;
        if (verb === 'HELO') return this.reply(`250 ${this.ctx.hostname}`);
        return this.ehlo();
      case 'MAIL':
        return this.mail(arg);
      case 'RCPT':
        return this.rcpt(arg);
      case 'DATA':
        if (!this.tx) return this.error('503 5.5.1 Error: need MAIL command');
        if (this.tx.rcpts.length === 0) return this.error('554 5.5.1 Error: no valid recipients');
        this.reply('354 End data with <CR><LF>.<CR><LF>');
        this.mode = 'data';
        this.data = new DataReader(this.ctx.maxMessageBytes);
        return;
      case 'RSET':
        this.tx = null;
        return this.reply('250 2.0.0 Ok');
      case 'NOOP':
        return this.reply('250 2.0.0 Ok');
      case 'QUIT':
        return this.hangUp('221 2.0.0 Bye');
      case 'VRFY':
        return this.reply('252 2.5.2 Cannot VRFY user');
      case 'HELP':
        return this.reply('214 2.0.0 Commands: HELO EHLO LHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP STARTTLS');
      case 'STARTTLS':
        return this.startTls(arg);
      default:
        if (FORBIDDEN.has(verb)) return this.hangUp('421 4.7.0 Error: this is a mail server, not a web server');
        if (verb === 'AUTH' || verb === 'BDAT' || verb === 'EXPN' || verb === 'ETRN' || verb === 'TURN')
          return this.error('502 5.5.1 Error: command not implemented');
        return this.error('500 5.5.2 Error: command not recognized');
    }
  }

  private ehlo(): void {
    const ext = ['PIPELINING', `SIZE ${this.ctx.maxMessageBytes}`, '8BITMIME', 'SMTPUTF8', 'ENHANCEDSTATUSCODES'];
    if (this.ctx.secureContext && !this.secure) ext.push('STARTTLS');
    this.out += `250-${this.ctx.hostname} greets ${this.helo}\r\n`;
    for (let i = 0; i < ext.length; i++) this.out += `250${i === ext.length - 1 ? ' ' : '-'}${ext[i]}\r\n`;
  }

  private mail(arg: string): void {
    if (this.helo === '') return this.error(`503 5.5.1 Error: send ${this.ctx.protocol === 'lmtp' ? 'LHLO' : 'HELO/EHLO'} first`);
    if (this.tx) return this.error('503 5.5.1 Error: nested MAIL command');
    const p = parsePathArg(arg, 'FROM');
    if (typeof p === 'string') return this.error(`501 5.5.4 ${p}`);
    const size = p.params.get('SIZE');
    if (size !== undefined && (!/^\d+$/.test(size) || Number(size) > this.ctx.maxMessageBytes)) {
      if (!/^\d+$/.test(size)) return this.error('501 5.5.4 Syntax: bad SIZE parameter');
      this.ctx.refused(this, { outcome: 'refused-size', size: Number(size), from: p.address });
      return this.reply(`552 5.3.4 Error: message size exceeds fixed maximum message size ${this.ctx.maxMessageBytes}`);
    }
    this.tx = { from: p.address, rcpts: [], unverified: [], params: p.params };
    this.reply('250 2.1.0 Ok');
  }

  private rcpt(arg: string): void {
    const tx = this.tx;
    if (!tx) return this.error('503 5.5.1 Error: need MAIL command');
    const p = parsePathArg(arg, 'TO');
    if (typeof p === 'string') return this.error(`501 5.5.4 ${p}`);
    if (tx.rcpts.length >= MAX_RECIPIENTS) return this.reply('452 4.5.3 Error: too many recipients');
    const d = this.ctx.checkRcpt(p.address, this);
    if (!d.accept) {
      this.ctx.refused(this, { outcome: 'refused-rcpt', rcpt: p.address, status: d.status });
      return this.reply(`${d.code} ${d.enhanced} <${p.address}>: ${d.text}`);
    }
    tx.rcpts.push(p.address);
    if (!d.verified) tx.unverified.push(p.address);
    this.reply('250 2.1.5 Ok');
  }

  private startTls(arg: string): void {
    if (!this.ctx.secureContext) return this.error('502 5.5.1 Error: command not implemented');
    if (this.secure) return this.error('503 5.5.1 Error: TLS already active');
    if (arg !== '') return this.error('501 5.5.4 Syntax: STARTTLS');
    this.reply('220 2.0.0 Ready to start TLS');
    this.flush();
    // Anything pipelined behind STARTTLS was sent in the clear: RFC 3207 5 says discard it.
    this.input = null;
    const plain = this.socket;
    plain.off('data', this.onData);
    plain.off('timeout', this.onTimeout);
    plain.off('close', this.onClose);
    const secure = new TLSSocket(plain, { isServer: true, secureContext: this.ctx.secureContext });
    secure.setTimeout(plain.timeout ?? 0);
    plain.setTimeout(0);
    this.socket = secure;
    this.secure = true;
    this.helo = '';
    this.tx = null;
    this.attach(secure);
  }
}
