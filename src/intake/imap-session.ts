/**
 * intake/imap-session - what every IMAP connection of a mailbox shares: the imapflow client as
 * configured (TLS mode, timeouts, IDLE), how the mailbox is named in logs and errors (never the
 * password), imapflow's failures as one DaemonError, and the envelope of a fetched message read
 * from the delivery headers its final MTA added, with what its return paths are worth.
 * Config keys: imap.mailboxes[].host, port, tls, user, password, name; verp.* (the return paths).
 */
import { ImapFlow } from 'imapflow';
import { decodeEncodedWords, textFromBinary } from '../address/text.js';
import type { ImapMailboxConfig } from '../config/schema.js';
import { DaemonError } from '../errors.js';
import type { Envelope } from '../types.js';
import { learnReturnPaths, type CheckOptions } from '../verp/sign.js';

/** "name (user@host:port)" - how a mailbox is named in every log line and error; no password. */
export function describeMailbox(cfg: ImapMailboxConfig): string {
  return `imap mailbox "${cfg.name}" (${cfg.user}@${cfg.host}:${cfg.port})`;
}

/**
 * An error message fit to log and to store (imap_health.last_error): imapError never quotes the
 * password, but a server's free-text reply might echo what it was sent, so cut it out anyway.
 */
export function errorText(cfg: ImapMailboxConfig, err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const pw = cfg.password ?? '';
  return pw.length >= 3 ? text.split(pw).join('[password]') : text;
}

export function newClient(cfg: ImapMailboxConfig, opts: { idle: boolean; timeoutMs: number }): ImapFlow {
  // tls: implicit = TLS from the first byte (993); starttls = must upgrade, never send the
  // password in clear; none = cleartext, meant for loopback only.
  return new ImapFlow({
    host: cfg.host,
    port: cfg.port,
    secure: cfg.tls === 'implicit',
    doSTARTTLS: cfg.tls === 'starttls' ? true : cfg.tls === 'none' ? false : undefined,
    auth: { user: cfg.user, pass: cfg.password ?? '' },
    logger: false,
    disableAutoIdle: !opts.idle,
    autoIdleDelay: opts.idle ? 1000 : undefined,
    // A slow or silent server must fail the pass, not hang it.
    connectionTimeout: Math.min(opts.timeoutMs, 30_000),
    greetingTimeout: Math.min(opts.timeoutMs, 16_000),
    socketTimeout: opts.idle ? 10 * 60_000 : Math.max(opts.timeoutMs, 10_000),
    // Re-issue IDLE every 5 min: NAT boxes and some servers drop sessions silent for longer.
    maxIdleTime: opts.idle ? 5 * 60_000 : undefined,
    clientInfo: { name: 'rebound' },
  });
}

/** Turn whatever imapflow threw into one DaemonError that says what failed, for whom, and why. */
export function imapError(cfg: ImapMailboxConfig, doing: string, err: unknown): DaemonError {
  if (err instanceof DaemonError) return err;
  const e = (err ?? {}) as {
    message?: string;
    code?: string;
    authenticationFailed?: boolean;
    response?: string;
    responseText?: string;
    serverResponseCode?: string;
  };
  const where = describeMailbox(cfg);
  if (e.authenticationFailed) {
    const said = e.responseText ?? e.response ?? e.message ?? '';
    // A wrong password will not fix itself; retrying is still right (the operator may fix the
    // file), but the job backs off to its longest interval.
    return new DaemonError('imap', `${where}: login failed for user "${cfg.user}": ${said.trim() || 'authentication failed'}`, {
      cause: err,
      temporary: false,
    });
  }
  const code = e.code ? ` [${e.code}]` : '';
  const text = (e.responseText ?? e.message ?? String(err)).trim();
  return new DaemonError('imap', `${where}: ${doing} failed${code}: ${text}`, { cause: err });
}

function headerBlock(raw: Buffer): string {
  let end = raw.indexOf('\r\n\r\n');
  if (end < 0) end = raw.indexOf('\n\n');
  if (end < 0) end = Math.min(raw.length, 64 * 1024);
  return raw.subarray(0, Math.min(end, 256 * 1024)).toString('latin1').replace(/\r?\n[ \t]+/g, ' ');
}

/** The address in one delivery header value, read as address text (address/text.ts): the block is
 *  latin1 (one char per byte) so that the bytes survive; Postfix writes raw UTF-8 here (RFC 6532). */
function addressOf(v: string): string {
  const t = decodeEncodedWords(textFromBinary(v));
  // The first "<" and the next ">" (by index: /<([^>]*)>/ rescans from every "<" without a ">").
  const lt = t.indexOf('<');
  const gt = lt < 0 ? -1 : t.indexOf('>', lt + 1);
  return (gt < 0 ? t : t.slice(lt + 1, gt)).trim();
}

/**
 * The envelope an SMTP intake would have seen, recovered from the delivery headers the final MTA
 * added: Return-Path (RFC 5321 4.4) and Delivered-To / X-Original-To / Envelope-To (the VERP
 * address the bounce was sent to; Postfix and Exim write these, Dovecot LDA keeps them). Their
 * VERP tokens are judged here, once, as of `receivedAt` with `verp` (the config of the pass):
 * without `verp` (a caller with no bounce domains) none is ours and nothing is learned.
 */
export function envelopeFromHeaders(raw: Buffer, origin: string, receivedAt: number, verp?: CheckOptions): Envelope {
  const lines = headerBlock(raw).split(/\r?\n/);
  let mailFrom = '';
  const rcpt: string[] = [];
  for (const line of lines) {
    const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    const name = m[1]!.toLowerCase();
    if (name === 'return-path' && mailFrom === '') mailFrom = addressOf(m[2]!);
    else if (name === 'delivered-to' || name === 'x-original-to' || name === 'envelope-to') {
      for (const part of m[2]!.split(',')) {
        const a = addressOf(part);
        if (a && !rcpt.includes(a)) rcpt.push(a);
      }
    }
  }
  return { source: 'imap', origin, mailFrom, rcptTo: rcpt, receivedAt, returnPaths: verp ? learnReturnPaths(rcpt, verp, receivedAt) : [] };
}
