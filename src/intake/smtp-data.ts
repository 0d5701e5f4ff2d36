/**
 * intake/smtp-data - the DATA phase of an SMTP/LMTP session (RFC 5321 4.1.1.4, 4.5.2): collect
 * the message from whatever chunks the socket delivers, undo dot-stuffing, find the lone "."
 * line that ends it, and keep at most `limit` bytes.
 *
 * In: socket chunks via push(). Out: null while the message goes on; at its end
 * { raw, size, oversize, rest } - `rest` is what the client sent after the terminator (a
 * pipelining client's next command), left for the command reader.
 *
 * The content keeps the line ends as sent, including the CRLF before the terminating dot (it
 * ends the last line). A bare LF ends a line too (lenient, as Postfix's smtpd is), so "\n.\n"
 * also ends the message. Past `limit` the bytes are counted, not kept: memory per session
 * stays bounded while the client finishes, and the caller answers 552.
 */

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
/** "\n." - the only place where stuffing or the end can be. */
const LF_DOT = Buffer.from('\n.');

export interface DataEnd {
  raw: Buffer;
  /** Message size after unstuffing (also counted past the limit). */
  size: number;
  oversize: boolean;
  /** Bytes after the terminator (pipelined commands), possibly empty. */
  rest: Buffer;
}

export class DataReader {
  private parts: Buffer[] = [];
  private kept = 0;
  private size = 0;
  /** True when the next byte starts a line (true at the start: "." there may end the message). */
  private atLineStart = true;
  /** A "." (and maybe CR) at a line start whose meaning the next chunk decides. */
  private carry: Buffer | null = null;

  constructor(private readonly limit: number) {}

  /** Feed one chunk; returns the message once its terminator has been read. */
  push(chunk: Buffer): DataEnd | null {
    let b = chunk;
    if (this.carry) {
      b = Buffer.concat([this.carry, chunk]);
      this.carry = null;
    }
    let p = 0;
    const n = b.length;
    while (p < n) {
      if (this.atLineStart && b[p] === DOT) {
        // ".\r\n" or ".\n" ends the message; any other ".x" is a stuffed dot (dropped).
        if (p + 1 >= n) return this.hold(b, p);
        const c1 = b[p + 1];
        if (c1 === LF) return this.end(b, p + 2);
        if (c1 === CR) {
          if (p + 2 >= n) return this.hold(b, p);
          if (b[p + 2] === LF) return this.end(b, p + 3);
        }
        p += 1; // drop the stuffing dot; the rest of the line is content
        this.atLineStart = false;
        continue;
      }
      // Jump to the next line start that begins with a dot; everything before it is content.
      const i = b.indexOf(LF_DOT, p);
      if (i < 0) {
        this.keep(b, p, n);
        this.atLineStart = b[n - 1] === LF;
        return null;
      }
      this.keep(b, p, i + 1);
      p = i + 1;
      this.atLineStart = true;
    }
    return null;
  }

  /** Keep b[from, to) within the limit; count all of it. */
  private keep(b: Buffer, from: number, to: number): void {
    const len = to - from;
    if (len <= 0) return;
    this.size += len;
    if (this.kept >= this.limit) return;
    const take = Math.min(len, this.limit - this.kept);
    this.parts.push(from === 0 && take === b.length ? b : b.subarray(from, from + take));
    this.kept += take;
  }

  private hold(b: Buffer, from: number): null {
    // At most ".\r": copied, so the chunk it came from is not kept alive for it.
    this.carry = Buffer.from(b.subarray(from));
    return null;
  }

  private end(b: Buffer, after: number): DataEnd {
    const raw = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.kept);
    const out: DataEnd = { raw, size: this.size, oversize: this.size > this.limit, rest: b.subarray(after) };
    this.parts = [];
    return out;
  }
}
