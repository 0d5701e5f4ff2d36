/**
 * bench/daemon-session - what the PostgreSQL benches share: a minimal SMTP client session over
 * loopback (a closed connection answers '' rather than throwing, so a killed daemon is a reply the
 * caller can count), and starting `rebound serve` until its SMTP port greets.
 */
import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';

export class Session {
  constructor(sock) {
    this.sock = sock;
    this.buf = '';
    this.closed = false;
    this.waiters = [];
    sock.setEncoding('latin1');
    sock.on('data', (d) => {
      this.buf += d;
      for (const w of this.waiters.splice(0)) w();
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w();
    });
  }
  static open(port) {
    return new Promise((res, rej) => {
      const s = createConnection(port, '127.0.0.1');
      s.once('connect', () => res(new Session(s)));
      s.once('error', rej);
    });
  }
  async reply() {
    for (;;) {
      const m = /^(?:\d{3}-[^\n]*\n)*\d{3}(?: [^\n]*)?\r?\n/.exec(this.buf);
      if (m) {
        this.buf = this.buf.slice(m[0].length);
        return m[0];
      }
      if (this.closed) return '';
      await new Promise((r) => this.waiters.push(r));
    }
  }
  cmd(line) {
    this.sock.write(line);
    return this.reply();
  }
}


/** Start `node MAIN serve -c cfg` (log level warn: no line per message); resolves once `port` greets 220. */
export async function startDaemon(main, cfg, port) {
  const proc = spawn(process.execPath, [main, 'serve', '-c', cfg], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, REBOUND_LOG_LEVEL: 'warn' } });
  let err = '';
  proc.stderr.on('data', (d) => (err += d));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`daemon exited ${proc.exitCode}:\n${err}`);
    try {
      const s = await Session.open(port);
      const greeting = await s.reply();
      s.sock.destroy();
      if (greeting.startsWith('220')) return proc;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`daemon not ready:\n${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
