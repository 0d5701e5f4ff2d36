/**
 * mime - read one raw message into a MIME tree, synchronously and within bounded time and memory.
 * In: raw bytes (any line ending, any charset/transfer encoding). Out: ParsedMessage; never throws
 * on bad input: what cannot be read becomes a problem string.
 *
 * RFCs: 5322 (header fields, folding), 2045/2046 (MIME, multipart boundaries), 2047 (encoded words),
 * 2231 (parameter continuations and charsets), 6532/6533 (UTF-8 headers, message/global).
 * Config keys: none (limits come from ParseOptions).
 *
 * How: the input is held as a one-byte-per-char "binary" string (latin1), line endings are made LF
 * once, and every structural step (header lines, boundaries) is an indexOf over that string, so a
 * part is a slice, not a copy. Leaf bodies are decoded lazily on first read of `body`, because most
 * decoders read only two or three parts of a message and attachments are never needed.
 *
 * CONTRACT used by every decoder (owned by the parse stage; keep these shapes stable):
 */
import { isAscii, isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';
import { decode as decodeCharset } from 'libmime/lib/charset.js';

export interface Headers {
  /** Header fields in order: [lower-case name, unfolded raw value]. */
  readonly list: ReadonlyArray<readonly [string, string]>;
  /** First value of a field (unfolded, raw, not RFC 2047-decoded), or undefined. */
  get(name: string): string | undefined;
  /** Every value of a field, in order. */
  getAll(name: string): string[];
  /** First value, RFC 2047-decoded to a UTF-8 string; '' when absent. */
  text(name: string): string;
}

export interface MimePart {
  headers: Headers;
  /** Lower-case media type, 'text/plain' when absent. */
  type: string;
  /** Content-Type parameters, lower-case keys, decoded values (RFC 2231 joined). */
  params: Record<string, string>;
  /**
   * Leaf parts: the body decoded (transfer encoding removed, text converted to UTF-8 with LF endings).
   * message/rfc822, message/global, text/rfc822-headers, message/delivery-status,
   * message/global-delivery-status, message/feedback-report: the (transfer-decoded) text as-is.
   * Multipart: the preamble text (some MTAs write their report there).
   * Implemented as a getter that decodes on first read, so spreading a part ({...part}) loses it.
   */
  body: string;
  /** Multipart children; for message/rfc822 and message/global: one child, the parsed inner message. */
  parts: MimePart[];
}

export interface ParsedMessage {
  headers: Headers;
  root: MimePart;
  problems: string[];
}

export interface ParseOptions {
  /** Bytes beyond this are ignored (a problem is recorded). Default 64 MiB. */
  maxBytes?: number;
  /** Maximum MIME nesting depth. Default 16. */
  maxDepth?: number;
  /** Maximum number of parts. Default 512. */
  maxParts?: number;
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_DEPTH = 16;
const DEFAULT_MAX_PARTS = 512;
/** Header fields kept per entity; beyond this a flood of lines is body, not headers. */
const MAX_HEADER_FIELDS = 2000;

/** Text parts above this size are junk or attachments mislabelled as text: decode them cheaply. */
const LARGE_TEXT = 1024 * 1024;
const HUGE_TEXT = 8 * 1024 * 1024;

const NON_ASCII = /[^\x00-\x7f]/;
const HAS_CR = /\r/;

/* ------------------------------------------------------------------------------------------- */
/* Headers                                                                                      */
/* ------------------------------------------------------------------------------------------- */

const NO_VALUES: readonly string[] = [];

class HeaderList implements Headers {
  /** Name -> values, built after a few lookups: some forty decoders each look up two or three
   *  fields of the bounce's headers, and a linear scan of the list for each was a measurable
   *  share of decoding. */
  private index: Map<string, string[]> | undefined;
  /** Lookups so far: most parts get two (Content-Type, Content-Transfer-Encoding), where a
   *  scan is cheaper than building the index. */
  private lookups = 0;

  constructor(readonly list: Array<readonly [string, string]>) {}

  private scan(name: string): string[] {
    const n = name.toLowerCase();
    const out: string[] = [];
    for (const f of this.list) if (f[0] === n) out.push(f[1]);
    return out;
  }

  private values(name: string): readonly string[] {
    let idx = this.index;
    if (idx === undefined) {
      if (++this.lookups <= 8) return this.scan(name);
      idx = new Map();
      for (const f of this.list) {
        const v = idx.get(f[0]);
        if (v === undefined) idx.set(f[0], [f[1]]);
        else v.push(f[1]);
      }
      this.index = idx;
    }
    return idx.get(name) ?? idx.get(name.toLowerCase()) ?? NO_VALUES;
  }

  get(name: string): string | undefined {
    if (this.index === undefined && this.lookups < 8) {
      this.lookups++;
      const n = name.toLowerCase();
      for (const f of this.list) if (f[0] === n) return f[1];
      return undefined;
    }
    return this.values(name)[0];
  }

  getAll(name: string): string[] {
    const v = this.values(name);
    // A copy: callers may keep or change the array (scan() already made one).
    return this.index === undefined ? (v as string[]) : v.slice();
  }

  text(name: string): string {
    const v = this.get(name);
    return v === undefined ? '' : decodeWords(v);
  }
}

/** Raw 8-bit header bytes (RFC 6532, or just sloppy MTAs): UTF-8 when they are valid UTF-8, else latin1. */
function headerBytesToText(v: string): string {
  if (!NON_ASCII.test(v)) return v;
  const u = Buffer.from(v, 'latin1').toString('utf8');
  return u.includes('\uFFFD') ? v : u;
}

interface HeaderBlock {
  headers: HeaderList;
  /** Index in the source string where the body starts. */
  bodyStart: number;
}

function isWsp(c: number): boolean {
  return c === 32 || c === 9;
}

/** Index of the ':' ending a field name on the line s[pos, nl), or -1 when the line is no field. */
function fieldColon(s: string, pos: number, nl: number): number {
  let sawBlank = false;
  for (let q = pos; q < nl; q++) {
    const ch = s.charCodeAt(q);
    if (ch === 58) return q > pos ? q : -1;
    if (isWsp(ch)) {
      sawBlank = true;
      continue;
    }
    if (ch < 33 || ch > 126 || sawBlank) return -1;
  }
  return -1;
}

/** True when one of the next few lines from `pos` is a header field line, before any empty line. */
function fieldFollows(s: string, pos: number, end: number): boolean {
  for (let k = 0; k < 6 && pos < end; k++) {
    const c = s.charCodeAt(pos);
    if (c === 10) return false;
    let nl = s.indexOf('\n', pos);
    if (nl < 0 || nl > end) nl = end;
    if (isWsp(c) || fieldColon(s, pos, nl) > 0) return true;
    pos = nl + 1;
  }
  return false;
}

/**
 * Read header fields from s[start, end). Stops at the first empty line. A first line that is not a
 * header field means the entity has no headers at all (bare text): the body starts at `start`.
 */
function readHeaderBlock(s: string, start: number, end: number, problems: string[] | null, ascii = false): HeaderBlock {
  // An all-ASCII source needs no per-field charset check.
  const conv = ascii ? (v: string): string => v : headerBytesToText;
  const list: Array<readonly [string, string]> = [];
  let pos = start;
  let name = '';
  let value = '';
  let open = false;
  let bodyStart = end;
  let unfoldedBad = false;

  while (pos < end) {
    const c = s.charCodeAt(pos);
    if (c === 10) {
      // Empty line: end of the header section.
      bodyStart = pos + 1;
      break;
    }
    let nl = s.indexOf('\n', pos);
    if (nl < 0 || nl > end) nl = end;

    if (isWsp(c)) {
      // Continuation line (folded field). A whitespace line before any field: not a header block.
      if (!open) {
        if (list.length === 0) {
          bodyStart = start;
          break;
        }
      } else {
        const piece = s.slice(pos, nl).trim();
        if (piece !== '') value = value === '' ? piece : value + ' ' + piece;
      }
      pos = nl + 1;
      continue;
    }

    // A new field: name is printable ASCII up to ':' (trailing blanks before ':' tolerated).
    const colon = fieldColon(s, pos, nl);
    if (colon < 0) {
      if (list.length === 0 && !open) {
        bodyStart = start;
        break;
      }
      // Hack: some relays drop the leading blank of a folded line ("boundary=..." alone on a line).
      // If a field line follows shortly, before any empty line, this is still the header section.
      const lastCh = value.charCodeAt(value.length - 1);
      if (open && (lastCh === 59 /* ; */ || lastCh === 44 /* , */ || fieldFollows(s, nl + 1, end))) {
        if (problems && !unfoldedBad) problems.push(`folded header line without leading blank: "${s.slice(pos, Math.min(nl, pos + 40))}"`);
        unfoldedBad = true;
        const piece = s.slice(pos, nl).trim();
        if (piece !== '') value = value === '' ? piece : value + ' ' + piece;
        pos = nl + 1;
        continue;
      }
      if (problems) problems.push(`header section ended without an empty line at "${s.slice(pos, Math.min(nl, pos + 40))}"`);
      bodyStart = pos;
      break;
    }
    if (open) list.push([name, conv(value)]);
    if (list.length >= MAX_HEADER_FIELDS) {
      if (problems) problems.push(`more than ${MAX_HEADER_FIELDS} header fields; rest treated as body`);
      open = false;
      bodyStart = pos;
      break;
    }
    name = s.slice(pos, colon).trimEnd().toLowerCase();
    value = s.slice(colon + 1, nl).trim();
    open = true;
    pos = nl + 1;
  }
  if (open) list.push([name, conv(value)]);
  if (pos >= end && bodyStart === end && list.length === 0) bodyStart = start;
  return { headers: new HeaderList(list), bodyStart };
}

/**
 * Parse a block of header lines (for example a text/rfc822-headers part, or headers quoted in the
 * text of a bounce) into Headers. Input is text; any line endings.
 */
export function parseHeaders(text: string): Headers {
  let s = toBinary(text);
  if (HAS_CR.test(s)) s = s.replace(/\r\n?/g, '\n');
  return readHeaderBlock(s, 0, s.length, null).headers;
}

/* ------------------------------------------------------------------------------------------- */
/* RFC 2047 encoded words                                                                       */
/* ------------------------------------------------------------------------------------------- */

const ENCODED_WORD = /=\?([^?\s]{1,64})\?([bBqQ])\?([^?\s]*)\?=/g;

function qBytes(text: string, underscoreIsSpace: boolean): Buffer {
  const out = Buffer.allocUnsafe(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 61 /* = */ && i + 2 < text.length + 0 && isHex(text.charCodeAt(i + 1)) && isHex(text.charCodeAt(i + 2))) {
      out[n++] = (hexVal(text.charCodeAt(i + 1)) << 4) | hexVal(text.charCodeAt(i + 2));
      i += 2;
    } else if (c === 95 /* _ */ && underscoreIsSpace) {
      out[n++] = 32;
    } else {
      out[n++] = c & 0xff;
    }
  }
  return out.subarray(0, n);
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

function hexVal(c: number): number {
  if (c <= 57) return c - 48;
  if (c <= 70) return c - 55;
  return c - 87;
}

/**
 * Decode RFC 2047 encoded words in a header value. Whitespace between adjacent encoded words is
 * dropped; adjacent words in one charset are joined as bytes first, because senders split
 * multi-byte characters across words.
 */
export function decodeWords(value: string): string {
  if (value.indexOf('=?') < 0) return value;
  let out = '';
  let last = 0;
  let pendCharset = '';
  let pend: Buffer[] = [];
  const flush = (): void => {
    if (pend.length > 0) {
      out += decodeText(pend.length === 1 ? pend[0]! : Buffer.concat(pend), pendCharset);
      pend = [];
    }
  };
  ENCODED_WORD.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = ENCODED_WORD.exec(value)) !== null) {
    const gap = value.slice(last, m.index);
    const gapIsBlank = gap.trim() === '';
    let charset = m[1]!.toLowerCase();
    const star = charset.indexOf('*');
    if (star >= 0) charset = charset.slice(0, star);
    const enc = m[2]!;
    const bytes = enc === 'b' || enc === 'B' ? Buffer.from(m[3]!, 'base64') : qBytes(m[3]!, true);
    if (pend.length > 0 && gapIsBlank) {
      if (charset !== pendCharset) {
        flush();
        pendCharset = charset;
      }
    } else {
      flush();
      out += gap;
      pendCharset = charset;
    }
    pend.push(bytes);
    last = m.index + m[0].length;
  }
  flush();
  out += value.slice(last);
  return out;
}

/* ------------------------------------------------------------------------------------------- */
/* Content-Type and RFC 2231 parameters                                                          */
/* ------------------------------------------------------------------------------------------- */

interface ContentType {
  type: string;
  params: Record<string, string>;
}

function percentBytes(v: string): Buffer {
  const out = Buffer.allocUnsafe(v.length);
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 37 && i + 2 < v.length && isHex(v.charCodeAt(i + 1)) && isHex(v.charCodeAt(i + 2))) {
      out[n++] = (hexVal(v.charCodeAt(i + 1)) << 4) | hexVal(v.charCodeAt(i + 2));
      i += 2;
    } else {
      out[n++] = c & 0xff;
    }
  }
  return out.subarray(0, n);
}

/** Parse `type/subtype; a=b; c*0*=utf-8''%E3...` into a lower-case type and decoded params. */
export function parseContentType(value: string | undefined): ContentType {
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  if (value === undefined) return { type: '', params };
  const len = value.length;
  let i = value.indexOf(';');
  if (i < 0) i = len;
  const type = value.slice(0, i).trim().toLowerCase();

  // Raw name=value pairs, in order.
  const raw: Array<[string, string]> = [];
  while (i < len) {
    // Skip separators.
    while (i < len) {
      const c = value.charCodeAt(i);
      if (c === 59 || c === 32 || c === 9) i++;
      else break;
    }
    if (i >= len) break;
    const eq = value.indexOf('=', i);
    const semi = value.indexOf(';', i);
    if (eq < 0 || (semi >= 0 && semi < eq)) {
      // A bare token without '=': skip it.
      i = semi < 0 ? len : semi + 1;
      continue;
    }
    const pname = value.slice(i, eq).trim().toLowerCase();
    i = eq + 1;
    while (i < len && isWsp(value.charCodeAt(i))) i++;
    let pval = '';
    if (value.charCodeAt(i) === 34 /* " */) {
      i++;
      let buf = '';
      let start = i;
      while (i < len) {
        const c = value.charCodeAt(i);
        if (c === 92 /* \ */ && i + 1 < len) {
          buf += value.slice(start, i) + value[i + 1];
          i += 2;
          start = i;
          continue;
        }
        if (c === 34) break;
        i++;
      }
      pval = buf + value.slice(start, i);
      i++; // closing quote (or past end)
      const semi2 = value.indexOf(';', i);
      i = semi2 < 0 ? len : semi2 + 1;
    } else {
      const semi2 = value.indexOf(';', i);
      const stop = semi2 < 0 ? len : semi2;
      pval = value.slice(i, stop).trim();
      i = stop + 1;
    }
    if (pname !== '') raw.push([pname, pval]);
  }

  // RFC 2231: join name*0, name*1*, ... and decode charset'lang'%XX values.
  let continued: Map<string, Array<{ n: number; enc: boolean; v: string }>> | null = null;
  for (const [pname, pval] of raw) {
    const star = pname.indexOf('*');
    if (star < 0) {
      if (!(pname in params)) params[pname] = pval.indexOf('=?') >= 0 ? decodeWords(pval) : pval;
      continue;
    }
    const base = pname.slice(0, star);
    const rest = pname.slice(star + 1);
    const enc = rest.endsWith('*') || rest === '';
    const num = rest === '' ? 0 : parseInt(rest, 10);
    continued ??= new Map();
    let list = continued.get(base);
    if (!list) continued.set(base, (list = []));
    list.push({ n: Number.isFinite(num) ? num : 0, enc, v: pval });
  }
  if (continued) {
    for (const [base, segs] of continued) {
      segs.sort((a, b) => a.n - b.n);
      let charset = '';
      const bufs: Buffer[] = [];
      segs.forEach((seg, k) => {
        let v = seg.v;
        if (seg.enc) {
          if (k === 0) {
            const a = v.indexOf("'");
            const b = a >= 0 ? v.indexOf("'", a + 1) : -1;
            if (a >= 0 && b >= 0) {
              charset = v.slice(0, a);
              v = v.slice(b + 1);
            }
          }
          bufs.push(percentBytes(v));
        } else {
          bufs.push(Buffer.from(v, 'latin1'));
        }
      });
      params[base] = decodeText(Buffer.concat(bufs), charset);
    }
  }
  return { type, params };
}

/* ------------------------------------------------------------------------------------------- */
/* Transfer encodings and charsets                                                               */
/* ------------------------------------------------------------------------------------------- */

/** Quoted-printable to a binary string (one char per byte). Runs without '=' are copied whole. */
function decodeQuotedPrintable(s: string): string {
  let i = s.indexOf('=');
  if (i < 0) return s;
  const len = s.length;
  const out = Buffer.allocUnsafe(len);
  let n = 0;
  let last = 0;
  while (i >= 0) {
    if (i > last) n += out.write(s.slice(last, i), n, 'latin1');
    const c1 = s.charCodeAt(i + 1);
    if (c1 === 10) {
      // Soft line break.
      last = i + 2;
    } else if (isHex(c1) && isHex(s.charCodeAt(i + 2))) {
      out[n++] = (hexVal(c1) << 4) | hexVal(s.charCodeAt(i + 2));
      last = i + 3;
    } else if (c1 === 32 || c1 === 9) {
      // "=  \n": a soft break with trailing blanks some encoders leave; else a literal '='.
      let j = i + 1;
      while (j < len && (s.charCodeAt(j) === 32 || s.charCodeAt(j) === 9)) j++;
      if (j >= len || s.charCodeAt(j) === 10) {
        last = j + 1;
      } else {
        out[n++] = 61;
        last = i + 1;
      }
    } else {
      out[n++] = 61;
      last = i + 1;
    }
    i = last < len ? s.indexOf('=', last) : -1;
  }
  if (last < len) n += out.write(s.slice(last), n, 'latin1');
  return out.toString('latin1', 0, n);
}

/** Remove the transfer encoding; result is a binary string (one char per byte). */
function decodeTransfer(s: string, cte: string): string {
  if (cte === 'base64') return Buffer.from(s, 'base64').toString('latin1');
  if (cte === 'quoted-printable') return decodeQuotedPrintable(s);
  return s;
}

/**
 * ISO-2022-JP (RFC 1468, and the common -JP-2/-JP-3 subsets) to EUC-JP bytes, which iconv-lite
 * decodes fast from a table: JIS X 0208 pairs get the high bit set, half-width katakana get an
 * SS2 prefix. A stateful decoder written by hand because the general one (encoding-japanese)
 * costs milliseconds per Japanese bounce.
 */
function iso2022jpToEucJp(buf: Buffer): Buffer {
  const out = Buffer.allocUnsafe(buf.length * 2);
  let n = 0;
  let mode = 0; // 0 ASCII/Roman, 1 JIS X 0208 (two bytes), 2 half-width katakana, 3 JIS X 0212
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i]!;
    if (b === 0x1b) {
      const b1 = buf[i + 1];
      const b2 = buf[i + 2];
      if (b1 === 0x24 && (b2 === 0x42 || b2 === 0x40)) mode = 1; // ESC $ B, ESC $ @
      else if (b1 === 0x24 && b2 === 0x28 && (buf[i + 3] === 0x44)) { mode = 3; i++; } // ESC $ ( D
      else if (b1 === 0x24 && b2 === 0x28 && (buf[i + 3] === 0x51 || buf[i + 3] === 0x4f)) { mode = 1; i++; } // JIS X 0213 plane 1 ~ 0208
      else if (b1 === 0x28 && (b2 === 0x42 || b2 === 0x4a)) mode = 0; // ESC ( B, ESC ( J
      else if (b1 === 0x28 && b2 === 0x49) mode = 2; // ESC ( I
      else {
        out[n++] = b;
        continue;
      }
      i += 2;
      continue;
    }
    if (b === 0x0a || b === 0x0d) {
      // Line ends reset nothing by the RFC, but broken senders forget ESC ( B: text lines
      // starting in two-byte mode would be garbage anyway.
      out[n++] = b;
      continue;
    }
    if (mode === 1 || mode === 3) {
      const b1 = buf[i + 1];
      if (b1 === undefined || b1 === 0x0a || b1 === 0x0d || b1 === 0x1b) {
        out[n++] = b;
        continue;
      }
      if (mode === 3) out[n++] = 0x8f;
      out[n++] = b | 0x80;
      out[n++] = b1 | 0x80;
      i++;
    } else if (mode === 2) {
      out[n++] = 0x8e;
      out[n++] = b | 0x80;
    } else {
      out[n++] = b;
    }
  }
  return out.subarray(0, n);
}

/** Bytes to text in a charset; '' or unknown => UTF-8 when valid, else windows-1252. */
function decodeText(buf: Buffer, charset: string): string {
  const cs = charset.trim().toLowerCase();
  if (cs === 'iso-2022-jp' || cs === 'iso2022jp' || cs === 'iso-2022-jp-2' || cs === 'iso-2022-jp-3' || cs === 'jis' || cs === 'csiso2022jp') {
    return iconv.decode(iso2022jpToEucJp(buf), 'euc-jp');
  }
  if (cs === '' || cs === 'utf-8' || cs === 'utf8' || cs === 'us-ascii' || cs === 'ascii') {
    if (isUtf8(buf)) return buf.toString('utf8');
    // Declared UTF-8/ASCII but it is not: the usual case is latin1 or cp1252 text. Big blobs are
    // binary junk: latin1 is a plain byte copy, cp1252 through iconv would cost seconds.
    return buf.length > LARGE_TEXT ? buf.toString('latin1') : decodeCharset(buf, 'windows-1252');
  }
  try {
    return decodeCharset(buf, cs);
  } catch {
    return buf.toString('utf8');
  }
}

/** A binary string (one char per byte) to text in a charset, with LF line endings. */
function binaryToText(bin: string, charset: string, knownAscii = false): string {
  // Megabytes of "text" are an attachment or junk: no decoder reads that far, so skip the
  // round trip through a Buffer and keep the bytes as latin1.
  if (bin.length > HUGE_TEXT) return HAS_CR.test(bin) ? bin.replace(/\r\n?/g, '\n') : bin;
  let out: string;
  if (knownAscii || !NON_ASCII.test(bin)) {
    const cs = charset.toLowerCase();
    // Seven-bit charsets that still need decoding: ISO-2022-* (ESC sequences) and UTF-7.
    if ((cs.startsWith('iso-2022') || cs.startsWith('utf-7') || cs === 'jis') && bin.length > 0) {
      out = decodeText(Buffer.from(bin, 'latin1'), cs);
    } else {
      out = bin;
    }
  } else {
    out = decodeText(Buffer.from(bin, 'latin1'), charset);
  }
  if (HAS_CR.test(out)) out = out.replace(/\r\n?/g, '\n');
  return out;
}

/** Any string to a binary string: strings given by callers are text, so non-ASCII becomes UTF-8 bytes. */
function toBinary(text: string): string {
  return NON_ASCII.test(text) ? Buffer.from(text, 'utf8').toString('latin1') : text;
}

/* ------------------------------------------------------------------------------------------- */
/* The tree                                                                                     */
/* ------------------------------------------------------------------------------------------- */

/** Types whose body is kept as the transfer-decoded text as-is. */
const TEXT_AS_IS = new Set([
  'message/rfc822',
  'message/global',
  'text/rfc822-headers',
  'message/rfc822-headers',
  'message/delivery-status',
  'message/global-delivery-status',
  'message/feedback-report',
  'message/disposition-notification',
  'message/global-disposition-notification',
  'message/global-headers',
]);

class Part implements MimePart {
  parts: MimePart[] = [];
  private decoded: string | undefined;

  constructor(
    public headers: Headers,
    public type: string,
    public params: Record<string, string>,
    /** Raw (still transfer-encoded) body as a binary string, decoded on first read. */
    private raw: string,
    private cte: string,
    private charset: string,
    /** The raw body is known to be 7-bit (a slice of an all-ASCII message). */
    private ascii = false,
  ) {}

  get body(): string {
    if (this.decoded === undefined) {
      const bin = decodeTransfer(this.raw, this.cte);
      this.decoded = this.ascii && (this.cte === '' || this.cte === '7bit' || this.cte === '8bit' || this.cte === 'binary')
        ? binaryToText(bin, this.charset, true)
        : binaryToText(bin, this.charset);
      this.raw = '';
    }
    return this.decoded;
  }

  set body(v: string) {
    this.decoded = v;
    this.raw = '';
  }

  /** For JSON dumps while debugging: the getter is not an own property. */
  toJSON(): object {
    return { type: this.type, params: this.params, headers: this.headers.list, body: this.body, parts: this.parts };
  }
}

interface Ctx {
  problems: string[];
  /** The top-level source string, and whether it is pure ASCII (then so is every slice of it). */
  source: string;
  ascii: boolean;
  maxDepth: number;
  maxParts: number;
  parts: number;
  partLimitHit: boolean;
}

function cteOf(headers: Headers): string {
  const v = headers.get('content-transfer-encoding');
  if (v === undefined) return '';
  const t = v.trim().toLowerCase();
  // "base64 (comment)" and similar noise.
  const sp = t.search(/[\s;(]/);
  return sp < 0 ? t : t.slice(0, sp);
}

/** Find a delimiter line "--boundary" starting at or after `from`; returns its index or -1. */
function findDelimiter(s: string, delim: string, from: number, end: number): { at: number; close: boolean; next: number } | null {
  let i = from;
  for (;;) {
    i = s.indexOf(delim, i);
    if (i < 0 || i >= end) return null;
    if (i === from || s.charCodeAt(i - 1) === 10) {
      let j = i + delim.length;
      let close = false;
      if (s.charCodeAt(j) === 45 && s.charCodeAt(j + 1) === 45) {
        close = true;
        j += 2;
      }
      // Only transport padding may follow on the line.
      while (j < end && isWsp(s.charCodeAt(j))) j++;
      if (j >= end || s.charCodeAt(j) === 10) {
        return { at: i, close, next: j >= end ? end : j + 1 };
      }
    }
    i += delim.length;
  }
}

/** When the declared boundary is absent, guess one from the first line that looks like a delimiter. */
function guessBoundary(s: string, start: number, end: number): string | null {
  let pos = start;
  let lines = 0;
  while (pos < end && lines < 2000) {
    let nl = s.indexOf('\n', pos);
    if (nl < 0 || nl > end) nl = end;
    if (s.charCodeAt(pos) === 45 && s.charCodeAt(pos + 1) === 45 && nl - pos > 6 && nl - pos < 200) {
      let line = s.slice(pos + 2, nl).trimEnd();
      if (line.endsWith('--')) line = line.slice(0, -2);
      if (line.length >= 4 && !/[\s]/.test(line) && !/^-+$/.test(line)) return line;
    }
    pos = nl + 1;
    lines++;
  }
  return null;
}

function parseEntity(s: string, start: number, end: number, depth: number, ctx: Ctx, defaultType: string): Part {
  const hb = readHeaderBlock(s, start, end, ctx.problems, ctx.ascii && s === ctx.source);
  return buildPart(s, hb.headers, hb.bodyStart, end, depth, ctx, defaultType);
}

function buildPart(
  s: string,
  headers: Headers,
  bodyStart: number,
  end: number,
  depth: number,
  ctx: Ctx,
  defaultType: string,
): Part {
  ctx.parts++;
  const ct = parseContentType(headers.get('content-type'));
  let type = ct.type;
  if (type === '' || type.indexOf('/') < 0) {
    if (type !== '') ctx.problems.push(`bad Content-Type "${type.slice(0, 60)}", read as ${defaultType}`);
    type = defaultType;
  }
  const cte = cteOf(headers);
  const charset = ct.params['charset'] ?? '';
  if (bodyStart > end) bodyStart = end;
  const rawBody = s.slice(bodyStart, end);
  const asciiSrc = ctx.ascii && s === ctx.source;

  // Multipart: split on the boundary.
  if (type.startsWith('multipart/')) {
    if (depth >= ctx.maxDepth) {
      ctx.problems.push(`MIME nesting deeper than ${ctx.maxDepth}; inner parts not read`);
      return new Part(headers, type, ct.params, rawBody, '', charset);
    }
    let boundary = ct.params['boundary'] ?? '';
    let first = boundary === '' ? null : findDelimiter(s, '--' + boundary, bodyStart, end);
    if (first === null) {
      const guessed = guessBoundary(s, bodyStart, end);
      if (guessed !== null && guessed !== boundary) {
        ctx.problems.push(
          boundary === '' ? `${type} without boundary; guessed "${guessed}"` : `boundary "${boundary}" not found; guessed "${guessed}"`,
        );
        boundary = guessed;
        first = findDelimiter(s, '--' + boundary, bodyStart, end);
      }
    }
    if (first === null) {
      ctx.problems.push(`${type} has no parts (boundary not found); body read as text`);
      return new Part(headers, type, ct.params, rawBody, cte, charset, asciiSrc);
    }
    // Preamble: text before the first delimiter, without the line break that belongs to it.
    const preEnd = first.at > bodyStart ? first.at - 1 : bodyStart;
    const part = new Part(headers, type, ct.params, s.slice(bodyStart, preEnd), '', charset, asciiSrc);
    const delim = '--' + boundary;
    const childDefault = type === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
    let cur = first;
    for (;;) {
      if (cur.close) {
        // Hack: two reports concatenated in one file reuse the boundary after the closing
        // delimiter; read those parts too rather than lose the second report.
        const again = findDelimiter(s, delim, cur.next, end);
        if (again === null || again.close) break;
        ctx.problems.push(`${type}: parts after the closing boundary`);
        cur = again;
      }
      const partStart = cur.next;
      const next = findDelimiter(s, delim, partStart, end);
      const partEnd = next === null ? end : next.at > partStart ? next.at - 1 : partStart;
      if (ctx.parts >= ctx.maxParts) {
        if (!ctx.partLimitHit) ctx.problems.push(`more than ${ctx.maxParts} MIME parts; rest not read`);
        ctx.partLimitHit = true;
        break;
      }
      if (partStart < end || next !== null) {
        part.parts.push(parseEntity(s, partStart, partEnd, depth + 1, ctx, childDefault));
      }
      if (next === null) {
        ctx.problems.push(`${type}: closing boundary missing (truncated message?)`);
        break;
      }
      cur = next;
    }
    return part;
  }

  // Attached message: keep the text as-is and parse it into one child.
  if (type === 'message/rfc822' || type === 'message/global' || type === 'message/partial-rfc822') {
    const inner = decodeTransfer(rawBody, cte);
    const part = new Part(headers, type, ct.params, inner, '', charset || (type === 'message/global' ? 'utf-8' : ''));
    if (depth >= ctx.maxDepth) {
      ctx.problems.push(`MIME nesting deeper than ${ctx.maxDepth}; attached message not read`);
      return part;
    }
    if (ctx.parts >= ctx.maxParts) {
      if (!ctx.partLimitHit) ctx.problems.push(`more than ${ctx.maxParts} MIME parts; rest not read`);
      ctx.partLimitHit = true;
      return part;
    }
    let innerS = inner;
    if (cte !== '' && innerS.indexOf('\r') >= 0) innerS = innerS.replace(/\r\n?/g, '\n');
    let st = 0;
    while (st < innerS.length && innerS.charCodeAt(st) === 10) st++;
    part.parts.push(parseEntity(innerS, st, innerS.length, depth + 1, ctx, 'text/plain'));
    return part;
  }

  if (TEXT_AS_IS.has(type)) {
    return new Part(headers, type, ct.params, rawBody, cte, charset || 'utf-8', asciiSrc);
  }
  return new Part(headers, type, ct.params, rawBody, cte, charset, asciiSrc);
}

/** Read one raw message into a MIME tree. Never throws on bad input. */
export function parseMessage(raw: Buffer | string, opts?: ParseOptions): ParsedMessage {
  const problems: string[] = [];
  const maxBytes = opts?.maxBytes ?? DEFAULT_MAX_BYTES;
  const ctx: Ctx = {
    problems,
    maxDepth: opts?.maxDepth ?? DEFAULT_MAX_DEPTH,
    maxParts: opts?.maxParts ?? DEFAULT_MAX_PARTS,
    parts: 0,
    partLimitHit: false,
    source: '',
    ascii: false,
  };
  try {
    let s: string;
    let truncated = false;
    if (typeof raw === 'string') {
      // Strings are text: non-ASCII characters become their UTF-8 bytes.
      ctx.ascii = !NON_ASCII.test(raw);
      s = ctx.ascii ? raw : Buffer.from(raw, 'utf8').toString('latin1');
      if (s.length > maxBytes) {
        s = s.slice(0, maxBytes);
        truncated = true;
      }
    } else {
      truncated = raw.length > maxBytes;
      const bytes = truncated ? raw.subarray(0, maxBytes) : raw;
      // isAscii is a native scan, many times faster than a regex over the string.
      ctx.ascii = isAscii(bytes);
      s = bytes.toString('latin1');
    }
    if (truncated) problems.push(`message larger than ${maxBytes} bytes; rest ignored`);
    if (s.indexOf('\r') >= 0) s = s.replace(/\r\n?/g, '\n');

    // Leading blank lines and an mbox "From " separator are not part of the message.
    let start = 0;
    while (start < s.length && s.charCodeAt(start) === 10) start++;
    if (s.startsWith('From ', start)) {
      const nl = s.indexOf('\n', start);
      start = nl < 0 ? s.length : nl + 1;
    }
    ctx.source = s;
    const hb = readHeaderBlock(s, start, s.length, problems, ctx.ascii);
    if (hb.headers.list.length === 0) problems.push('message has no header fields');
    const root = buildPart(s, hb.headers, hb.bodyStart, s.length, 0, ctx, 'text/plain');
    return { headers: root.headers, root, problems };
  } catch (err) {
    // A bug, not bad input; still, the caller keeps the raw message, so report instead of throwing.
    problems.push(`parse failed: ${err instanceof Error ? err.message : String(err)}`);
    const headers = new HeaderList([]);
    return { headers, root: new Part(headers, 'text/plain', {}, '', '', ''), problems };
  }
}

/* ------------------------------------------------------------------------------------------- */
/* Small helpers for decoders                                                                   */
/* ------------------------------------------------------------------------------------------- */

/** Every part of the tree, depth first, parents before children. */
export function walkParts(root: MimePart, visit: (part: MimePart, depth: number) => void, depth = 0): void {
  visit(root, depth);
  for (const p of root.parts) walkParts(p, visit, depth + 1);
}

/** The first part (depth first) whose type is one of `types`, or undefined. */
export function findPart(root: MimePart, ...types: string[]): MimePart | undefined {
  if (types.includes(root.type)) return root;
  for (const p of root.parts) {
    const f = findPart(p, ...types);
    if (f) return f;
  }
  return undefined;
}
