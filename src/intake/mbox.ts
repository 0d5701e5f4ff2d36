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
  /** Valid bytes in buf: the current message from its envelope line on (or its kept tail while skipping). */
  private len = 0;
  /** Where the search for the next separator resumes. */
  private scan = 0;
  private eol: Buffer | null = null;
  private marker: Buffer | null = null;
  /** Bytes of the current (too big) message already dropped; -1 when not skipping. */
  private skipped = -1;
  /** How far the first line has been searched for its line ending. */
  private eolScan = 0;

  constructor(private readonly maxMessageBytes: number) {}

  push(chunk: Buffer): MboxPart[] {
    this.append(chunk);
    return this.drain(false);
  }

  end(): MboxPart[] {
    const out = this.drain(true);
    if (this.len > 0 || this.skipped >= 0) out.push(this.finish(this.len));
    this.len = 0;
    this.scan = 0;
    return out;
  }

  private append(chunk: Buffer): void {
    const need = this.len + chunk.length;
    if (need > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    chunk.copy(this.buf, this.len);
    this.len = need;
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
      this.eol = this.findEol(atEnd || this.len > this.maxMessageBytes);
      if (this.eol === null) {
        this.checkSize(out);
        return out;
      }
      this.marker = Buffer.concat([this.eol, this.eol, FROM]);
    }
    const eol = this.eol;
    const marker = this.marker!;
    for (;;) {
      const view = this.buf.subarray(0, this.len);
      const i = view.indexOf(marker, this.scan);
      if (i < 0) {
        this.scan = Math.max(this.scan, this.len - marker.length + 1, 0);
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
      // The next message (from its envelope line) moves to the front of the buffer.
      this.buf.copy(this.buf, 0, at, this.len);
      this.len -= at;
      this.scan = 0;
      this.shrink();
    }
    this.checkSize(out);
    return out;
  }

  /** The current message ends at `stop` (exclusive): what it yields. */
  private finish(stop: number): MboxPart {
    if (this.skipped >= 0) {
      const bytes = this.skipped + stop;
      this.skipped = -1;
      return { tooBig: true, bytes };
    }
    if (stop > this.maxMessageBytes) return { tooBig: true, bytes: stop };
    const eol = (this.eol ?? Buffer.from('\n')).toString('latin1');
    let text = this.buf.toString('latin1', 0, stop);
    // Drop the envelope line itself.
    const nl = text.indexOf(eol);
    text = nl < 0 ? '' : text.slice(nl + eol.length);
    // Undo >From quoting (one level); in a JS regex ^ follows CR, LF and CRLF alike.
    text = text.replace(/^>(>*From )/gm, '$1');
    // Drop the blank separator line that precedes the next envelope line.
    if (text.endsWith(eol + eol)) text = text.slice(0, -eol.length);
    if (text.trim().length === 0) return { empty: true, bytes: stop };
    return { raw: Buffer.from(text, 'latin1'), bytes: stop };
  }

  /** Too big to hold: keep only a tail long enough to find the next separator in. */
  private checkSize(out: MboxPart[]): void {
    void out;
    if (this.skipped < 0 && this.len <= this.maxMessageBytes) return;
    const keep = (this.marker?.length ?? 8) + ENVELOPE_LOOK + 8;
    if (this.len <= keep) return;
    if (this.skipped < 0) this.skipped = 0;
    const drop = Math.min(this.len - keep, this.scan);
    if (drop <= 0) return;
    this.buf.copy(this.buf, 0, drop, this.len);
    this.len -= drop;
    this.scan -= drop;
    this.skipped += drop;
    this.shrink();
  }

  /** After a big message, give the memory back. */
  private shrink(): void {
    const floor = 64 * 1024;
    if (this.buf.length > 4 * 1024 * 1024 && this.len < this.buf.length / 4) {
      const smaller = Buffer.allocUnsafe(Math.max(floor, this.len * 2));
      this.buf.copy(smaller, 0, 0, this.len);
      this.buf = smaller;
    }
  }
}

/** Split a whole mbox held in memory (the same rules; for callers that already have the bytes). */
export function splitMbox(raw: Buffer): Buffer[] {
  const s = new MboxSplitter(Number.MAX_SAFE_INTEGER);
  const parts = [...s.push(raw), ...s.end()];
  return parts.flatMap((p) => ('raw' in p ? [p.raw] : []));
}
