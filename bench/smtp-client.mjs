/**
 * bench/smtp-client - the load generator of bench/smtp.mjs: N connections to one SMTP server, each
 * sending unique ~2.5 KB DSNs one after another for a given time; without pipelining (four round
 * trips a message) or, with `pipelining`, MAIL/RCPT/DATA in one write as Postfix sends them. Runs in the
 * bench's process or, with --client-threads, in worker threads (each its share of connections),
 * so that the client's own work does not queue every connection behind one event loop.
 */
import { connect } from 'node:net';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';

/** Line-reply reader over a raw socket (pipelining off: one command, one reply). */
/** Postfix's smtp-source, as bench:smtp (--client smtp-source) and bench:postfix run it. */
export const SMTP_SOURCE = '/usr/sbin/smtp-source';

/**
 * smtp-source's arguments: `count` messages over `sessions` sessions to 127.0.0.1:port, connections
 * kept open (`-d`) when `reuse`; each a generated 1,500-byte message with its own Message-Id and
 * Date (so rebound stores every one) from the null sender to a plain VERP address.
 */
export function smtpSourceArgs(port, { sessions, count, reuse = true }) {
  return ['-s', String(sessions), '-m', String(count), '-l', '1500', '-f', '', '-t', 'bounces+user-1=example.com@bounces.localhost', ...(reuse ? ['-d'] : []), `127.0.0.1:${port}`];
}

export class Conn {
  constructor(sock) {
    this.sock = sock;
    this.buf = '';
    this.waiter = null;
    sock.setEncoding('latin1');
    sock.setNoDelay(true);
    sock.on('data', (d) => {
      this.buf += d;
      this.waiter?.();
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
  }
  static open(port) {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => resolve(new Conn(s)));
      s.once('error', reject);
    });
  }
  async reply() {
    for (;;) {
      const m = /^(?:\d{3}-[^\n]*\n)*\d{3}(?: [^\n]*)?\r?\n/.exec(this.buf);
      if (m) {
        this.buf = this.buf.slice(m[0].length);
        return m[0];
      }
      if (this.closed) throw new Error('connection closed');
      await new Promise((r) => (this.waiter = r));
      this.waiter = null;
    }
  }
  cmd(line) {
    this.sock.write(`${line}\r\n`);
    return this.reply();
  }
}

// A realistic ~2.5 KB Postfix-style DSN; the token keeps every message unique (no dedupe shortcut).
function bounce(token) {
  const rcpt = `user-${token}@example.com`;
  return [
    'Return-Path: <>',
    'From: MAILER-DAEMON@mta.example.net (Mail Delivery System)',
    `To: bounces+user-${token}=example.com@bounces.localhost`,
    'Subject: Undelivered Mail Returned to Sender',
    `Message-Id: <${token}.bench@mta.example.net>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="B1"',
    '',
    '--B1',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'This is the mail system at host mta.example.net.',
    '',
    "I'm sorry to have to inform you that your message could not",
    'be delivered to one or more recipients.',
    '',
    `<${rcpt}>: host mx.example.com[192.0.2.1] said: 550 5.1.1 <${rcpt}>:`,
    '    Recipient address rejected: User unknown in virtual mailbox table (in reply',
    '    to RCPT TO command)',
    '',
    '--B1',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mta.example.net',
    `X-Postfix-Queue-ID: ${token.slice(0, 10)}`,
    'Arrival-Date: Thu, 26 Nov 2026 04:00:00 +0000 (UTC)',
    '',
    `Final-Recipient: rfc822; ${rcpt}`,
    `Original-Recipient: rfc822;${rcpt}`,
    'Action: failed',
    'Status: 5.1.1',
    'Remote-MTA: dns; mx.example.com',
    `Diagnostic-Code: smtp; 550 5.1.1 <${rcpt}>: Recipient address rejected: User unknown in virtual mailbox table`,
    '',
    '--B1',
    'Content-Type: text/rfc822-headers',
    '',
    'From: news@sender.example.org',
    `To: ${rcpt}`,
    'Subject: Our newsletter',
    `Message-ID: <${token}@sender.example.org>`,
    'Date: Thu, 26 Nov 2026 03:59:00 +0000',
    ...Array.from({ length: 12 }, (_, i) => `X-Filler-${i}: ${'x'.repeat(90)}`),
    '',
    '--B1--',
    '.',
  ].join('\r\n');
}

/** One transaction on an open connection; returns the stored id (or 0 for smtp-sink). */
async function send(c, token, pipelining) {
  const rcpt = `RCPT TO:<bounces+user-${token}=example.com@bounces.localhost>`;
  let r1, r2, r3;
  if (pipelining) {
    // As Postfix's smtp client does when PIPELINING is offered (RFC 2920): MAIL, RCPT and DATA
    // in one write, then the three replies.
    c.sock.write(`MAIL FROM:<>\r\n${rcpt}\r\nDATA\r\n`);
    r1 = await c.reply();
    r2 = await c.reply();
    r3 = await c.reply();
  } else {
    r1 = await c.cmd('MAIL FROM:<>');
    r2 = r1.startsWith('250') ? await c.cmd(rcpt) : '';
    r3 = r2.startsWith('250') ? await c.cmd('DATA') : '';
  }
  if (!r1.startsWith('250')) throw new Error(`MAIL: ${r1}`);
  if (!r2.startsWith('250')) throw new Error(`RCPT: ${r2}`);
  if (!r3.startsWith('354')) throw new Error(`DATA: ${r3}`);
  const r4 = await c.cmd(bounce(token));
  if (!r4.startsWith('250')) throw new Error(`end of DATA: ${r4}`);
  return Number(/stored as (\d+)/.exec(r4)?.[1] ?? 0);
}

/**
 * Drive `conns` connections (numbered from `first`) for `seconds`; returns per-message latencies
 * (ms), the acked ids and the error count.
 */
export async function drive({ port, reuse, label, conns, first = 0, seconds, pipelining = false }) {
  const lat = [];
  const ids = [];
  let errors = 0;
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: conns }, async (_, k) => {
      const w = first + k;
      let c = null;
      for (let i = 0; Date.now() < end; i++) {
        try {
          if (!c) {
            c = await Conn.open(port);
            await c.reply();
            await c.cmd('EHLO bench.example.net');
          }
          const s = performance.now();
          const id = await send(c, `${label}${w}n${i}r${Math.random().toString(36).slice(2, 10)}`, pipelining);
          lat.push(performance.now() - s);
          ids.push(id);
          if (!reuse) {
            await c.cmd('QUIT');
            c.sock.destroy();
            c = null;
          }
        } catch {
          errors++;
          c?.sock.destroy();
          c = null;
        }
      }
      if (c) {
        await c.cmd('QUIT').catch(() => {});
        c.sock.destroy();
      }
    }),
  );
  return { lat, ids, errors };
}

if (!isMainThread && workerData?.role === 'smtp-bench-client') {
  parentPort.postMessage(await drive(workerData.job));
}
