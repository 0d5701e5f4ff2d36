/**
 * smtp-wire - a minimal SMTP/LMTP client over a raw socket for intake tests: send a line, read
 * one (possibly multi-line) reply. Raw on purpose: tests need to send what real clients never would.
 */
import { connect, type Socket } from 'node:net';

/** Minimal SMTP/LMTP client over a raw socket: send a line, read one reply (multi-line aware). */
export class Wire {
  private buf = '';
  private waiters: (() => void)[] = [];
  closed = false;
  constructor(readonly sock: Socket) {
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => {
      this.buf += d;
      for (const w of this.waiters.splice(0)) w();
    });
    sock.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w();
    });
    sock.on('error', () => {});
  }
  static open(target: { port: number } | { path: string }): Promise<Wire> {
    return new Promise((resolve, reject) => {
      const s = 'path' in target ? connect(target.path) : connect(target.port, '127.0.0.1');
      s.once('connect', () => resolve(new Wire(s)));
      s.once('error', reject);
    });
  }
  async reply(): Promise<string> {
    for (;;) {
      const m = /^(?:\d{3}-[^\n]*\n)*\d{3}(?: [^\n]*)?\r?\n/.exec(this.buf);
      if (m) {
        this.buf = this.buf.slice(m[0].length);
        return m[0].trimEnd();
      }
      if (this.closed) return '';
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }
  async cmd(line: string): Promise<string> {
    this.sock.write(`${line}\r\n`);
    return this.reply();
  }
  /** Everything received and not yet read as a reply. */
  rest(): string {
    const r = this.buf;
    this.buf = '';
    return r;
  }
  end(): void {
    this.sock.end();
  }
}

