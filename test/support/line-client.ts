/**
 * line-client - a status-socket client for tests: send a line, read one reply line (JSON for the
 * status socket). Connects to a Unix socket path or a loopback TCP port.
 */
import { createConnection, type Socket } from 'node:net';

export class LineClient {
  private buf = '';
  private waiters: ((line: string) => void)[] = [];
  private lines: string[] = [];
  readonly closed: Promise<void>;
  readonly sock: Socket;
  constructor(where: string | number) {
    this.sock = typeof where === 'string' ? createConnection(where) : createConnection(where, '127.0.0.1');
    this.sock.setEncoding('utf8');
    this.closed = new Promise((r) => this.sock.once('close', () => r()));
    this.sock.on('error', () => undefined);
    this.sock.on('data', (d: string) => {
      this.buf += d;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        const w = this.waiters.shift();
        if (w) w(line);
        else this.lines.push(line);
      }
    });
  }
  next(): Promise<string> {
    const l = this.lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    return new Promise((res) => this.waiters.push(res));
  }
  async ask(line: string): Promise<Record<string, unknown>> {
    this.sock.write(`${line}\n`);
    return JSON.parse(await this.next()) as Record<string, unknown>;
  }
  close(): void {
    this.sock.destroy();
  }
}
