/**
 * intake/mbox - split an mbox into its messages as the bytes arrive, holding one message at a time
 * (a 5 GB mbox never needs 5 GB): `MboxSplitter.push(chunk)` returns the messages completed by it,
 * `end()` the last one.
 *
 * The rules (the same as a whole-file split): a message starts at an envelope line ("From sender
 * date", the date in any usual form) that starts the file or follows a blank line; the file's line
 * ending - LF, CRLF or CR alone - is the one its first line ends with. Each message loses its
 * envelope line and the blank line before the next one, keeps the file's line endings, and has one
 * level of ">From " quoting undone (mboxrd and mboxo alike; lossy only for an mboxo file that had a
 * literal ">From " line - harmless for bounces). A message of nothing but white space is skipped.
 *
 * A message larger than `maxMessageBytes` cannot be held: it is reported as `tooBig` with its size
 * and its bytes are skipped up to the next envelope line, so the rest of the file still comes.
 */

/** An envelope line: "From sender date", the date in asctime or any usual form. */
const ENVELOPE_LINE = /^From [^\s]*[ \t]+\S.*(?:\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b|\b\d{1,2}:\d{2}\b|\b(?:19|20)\d{2}\b)/;
/** How much of a candidate envelope line is looked at. */
const ENVELOPE_LOOK = 200;
const FROM = Buffer.from('From ', 'latin1');

export type MboxPart =
  /** A message, and the input bytes it took (its envelope line to the next one). */
  | { raw: Buffer; bytes: number }
  /** A message over the size limit, skipped. */
  | { tooBig: true; bytes: number }
  /** Only white space between two envelope lines: nothing to store. */
  | { empty: true; bytes: number };

/** Whether bytes that begin a file or stream are an mbox (its first line an envelope line). */
export function isMbox(head: Buffer): boolean {
  return head.length > 5 && head.subarray(0, 5).equals(FROM);
}

export class MboxSplitter {
  private buf = Buffer.allocUnsafe(64 * 1024);
  /** Where the current message (its envelope line) starts in buf; bytes before it are spent. */
  private start = 0;
  /** End of the valid bytes in buf. */
  private len = 0;
  /** Where the search for the next separator resumes (in buf). */
  private scan = 0;
  private eol: Buffer | null = null;
  private marker: Buffer | null = null;
  /** Bytes of the current (too big) message already dropped; -1 when not skipping. */
  private skipped = -1;
  /** How far the first line has been searched for its line ending. */
  private eolScan = 0;

  constructor(private readonly maxMessageBytes: number) {}

  /** The file's line ending once its first line is read: '\n', '\r\n' or '\r'; null before. */
  get lineEnding(): string | null {
    return this.eol === null ? null : this.eol.toString('latin1');
  }

  push(chunk: Buffer): MboxPart[] {
    this.append(chunk);
    return this.drain(false);
  }

  end(): MboxPart[] {
    const out = this.drain(true);
    if (this.len > this.start || this.skipped >= 0) out.push(this.finish(this.len));
    this.start = this.len = this.scan = 0;
    return out;
  }

  private append(chunk: Buffer): void {
    if (this.len + chunk.length > this.buf.length) {
      // Spent bytes go first (the current message moves to the front), then the buffer grows if
      // the message and the chunk still do not fit: each byte is moved at most once per growth.
      const keep = this.len - this.start;
      const size = keep + chunk.length > this.buf.length ? Math.max(keep + chunk.length, this.buf.length * 2) : this.buf.length;
      const target = size === this.buf.length ? this.buf : Buffer.allocUnsafe(size);
      this.buf.copy(target, 0, this.start, this.len);
      this.buf = target;
      this.scan -= this.start;
      this.eolScan -= this.start;
      this.len = keep;
      this.start = 0;
    }
    chunk.copy(this.buf, this.len);
    this.len += chunk.length;
  }

  /** The line ending of the first line; null while the first line is not complete. */
  private findEol(atEnd: boolean): Buffer | null {
    const b = this.buf;
    for (let i = this.eolScan; i < this.len; i++) {
      const c = b[i];
      if (c === 10) return Buffer.from('\n');
      if (c === 13) {
        if (i + 1 < this.len) return Buffer.from(b[i + 1] === 10 ? '\r\n' : '\r');
        return atEnd ? Buffer.from('\r') : null;
      }
    }
    this.eolScan = this.len;
    return atEnd ? Buffer.from('\n') : null;
  }

  private drain(atEnd: boolean): MboxPart[] {
    const out: MboxPart[] = [];
    if (this.eol === null) {
      // A first line longer than any message is cut as if it ended: it is garbage either way.
      this.eol = this.findEol(atEnd || this.len - this.start > this.maxMessageBytes);
      if (this.eol === null) return out;
      this.marker = Buffer.concat([this.eol, this.eol, FROM]);
    }
    const eol = this.eol;
    const marker = this.marker!;
    const view = this.buf.subarray(0, this.len);
    for (;;) {
      const i = view.indexOf(marker, this.scan);
      if (i < 0) {
        this.scan = Math.max(this.scan, this.len - marker.length + 1, this.start);
        break;
      }
      const at = i + 2 * eol.length;
      // The candidate envelope line: up to its line ending, at most ENVELOPE_LOOK characters.
      const window = view.subarray(at, Math.min(this.len, at + ENVELOPE_LOOK + eol.length - 1));
      const e = window.indexOf(eol);
      let stop: number;
      if (e >= 0 && e < ENVELOPE_LOOK) stop = at + e;
      else if (this.len >= at + ENVELOPE_LOOK) stop = at + ENVELOPE_LOOK;
      else if (atEnd) stop = this.len;
      else {
        // Not enough of the line yet: look again when more bytes come.
        this.scan = i;
        break;
      }
      if (!ENVELOPE_LINE.test(view.toString('latin1', at, stop))) {
        this.scan = i + eol.length;
        continue;
      }
      out.push(this.finish(at));
      // The next message starts at its envelope line.
      this.start = at;
      this.scan = at;
    }
    this.checkSize();
    this.shrink();
    return out;
  }

  /** The current message ends at `stop` (exclusive): what it yields. */
  private finish(stop: number): MboxPart {
    const size = stop - this.start;
    if (this.skipped >= 0) {
      const bytes = this.skipped + size;
      this.skipped = -1;
      return { tooBig: true, bytes };
    }
    if (size > this.maxMessageBytes) return { tooBig: true, bytes: size };
    const eol = (this.eol ?? Buffer.from('\n')).toString('latin1');
    let text = this.buf.toString('latin1', this.start, stop);
    // Drop the envelope line itself.
    const nl = text.indexOf(eol);
    text = nl < 0 ? '' : text.slice(nl + eol.length);
    // Undo >From quoting (one level); in a JS regex ^ follows CR, LF and CRLF alike.
    text = text.replace(/^>(>*From )/gm, '$1');
    // Drop the blank separator line that precedes the next envelope line.
    if (text.endsWith(eol + eol)) text = text.slice(0, -eol.length);
    if (text.trim().length === 0) return { empty: true, bytes: size };
    return { raw: Buffer.from(text, 'latin1'), bytes: size };
  }

  /** Too big to hold: drop what was searched already, keeping a tail to find the next separator in. */
  private checkSize(): void {
    if (this.skipped < 0 && this.len - this.start <= this.maxMessageBytes) return;
    const keep = (this.marker?.length ?? 8) + ENVELOPE_LOOK + 8;
    const dropTo = Math.min(this.len - keep, this.scan);
    if (dropTo <= this.start) return;
    if (this.skipped < 0) this.skipped = 0;
    this.skipped += dropTo - this.start;
    this.start = dropTo;
  }

  /** After a big message, give the memory back. */
  private shrink(): void {
    const live = this.len - this.start;
    if (this.buf.length > 4 * 1024 * 1024 && live < this.buf.length / 4) {
      const smaller = Buffer.allocUnsafe(Math.max(64 * 1024, live * 2));
      this.buf.copy(smaller, 0, this.start, this.len);
      this.buf = smaller;
      this.scan -= this.start;
      this.eolScan -= this.start;
      this.len = live;
      this.start = 0;
    }
  }
}

/** Split a whole mbox held in memory (the same rules; for callers that already have the bytes). */
export function splitMbox(raw: Buffer): Buffer[] {
  const s = new MboxSplitter(Number.MAX_SAFE_INTEGER);
  const parts = [...s.push(raw), ...s.end()];
  return parts.flatMap((p) => ('raw' in p ? [p.raw] : []));
}
