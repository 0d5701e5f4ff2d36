/**
 * parse/message - one raw message to what the decoders read (ParsedMessage), through mailparser.
 * In: raw bytes (or text), ParseOptions. Out: Promise<ParsedMessage>; never rejects: what cannot
 * be read becomes a problem string, and a message that cannot be read at all is marked
 * `unreadable` (the pipeline stores it as failed, to be reprocessed).
 *
 * This is the only file that imports mailparser; decoders see the contract below, never
 * mailparser's objects. The charsets of part text and header blocks given as text go through
 * libmime (the library mailparser itself uses); 8-bit header bytes, RFC 2047 words and RFC 6533
 * field blocks follow the address-text rule of src/address/text.ts (UTF-8 when valid, else the
 * bytes marked \xHH), so an address reads the same here as at every other edge.
 *
 * How: mailparser (keepDeliveryStatus, ignoreEmbedded) hands over the message's header lines, its
 * inline text/plain parts decoded and joined, its text/html parts joined, and every other part as an
 * attachment (message/delivery-status, message/global-delivery-status, message/feedback-report,
 * text/rfc822-headers, message/rfc822, images, ...), transfer-decoded. An attached message
 * (message/rfc822, message/global) is parsed again by mailparser, down to maxDepth levels.
 * What mailparser does not report, and so the contract no longer has: a multipart preamble and
 * epilogue, the multipart containers below the top level (their leaves are listed in order under
 * the root), and where each text/plain part ends (they arrive joined).
 *
 * Limits (ParseOptions): a message larger than maxBytes is not parsed at all; more than maxParts
 * MIME parts in one parse (mailparser's maxChildNodes), a header block over 1 MiB (mailparser's
 * maxHeadSize) or a mailparser error stop that parse; attached messages are parsed again at most
 * maxAttached times, at most maxDepth deep. Work is then linear in the input: mailparser's
 * splitter is, and a byte is re-read at most maxDepth times. RFCs: 5322, 2045-2047, 2231 (through mailparser and libmime), 3462/6522, 6532/6533.
 *
 * CONTRACT used by the decoders (owned by the parse stage; keep these shapes stable):
 */
import { isUtf8 } from 'node:buffer';
import { MailParser, type AttachmentStream, type HeaderLines, type HeaderValue, type MailParserOptions, type MessageText } from 'mailparser';
import libmime from 'libmime';
import { decode as decodeCharset } from 'libmime/lib/charset.js';
import { decodeEncodedWords, fieldsText, textFromBinary } from '../address/index.js';

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
  /** The part's own header fields (for the message itself and attached messages: every field in
   *  order; for other parts: the MIME fields mailparser read). */
  headers: Headers;
  /** Lower-case media type, 'text/plain' when absent. */
  type: string;
  /** Content-Type parameters, lower-case keys, decoded values (RFC 2231 and 2047, by mailparser). */
  params: Record<string, string>;
  /**
   * The content as text with LF endings, transfer encoding removed and charset decoded:
   * a text/plain message: its text (the same as ParsedMessage.text); text/html: the HTML;
   * message/*, text/* parts and the rest of the message's parts: their text (message/rfc822: the
   * attached message's source; message/global-delivery-status: UTF-8, line by line). '' for
   * multipart containers (mailparser does not report the preamble) and for binary parts
   * (image/*, application/*, ...: their bytes are not kept).
   */
  body: string;
  /**
   * Multipart (the message itself): its parts in order, except the inline text/plain and text/html
   * parts, which mailparser joins into ParsedMessage.text and .html; nested multipart containers
   * are not reported, their leaves are listed here in document order.
   * message/rfc822 and message/global: one child, the attached message's root (parsed again).
   * Otherwise empty.
   */
  parts: MimePart[];
}

export interface ParsedMessage {
  headers: Headers;
  root: MimePart;
  /** The message's inline text/plain parts, charset-decoded and joined by mailparser ('\n'); LF
   *  endings; '' when none. Attached messages' text is not in it. */
  text: string;
  /** Its text/html parts, joined; '' when none. */
  html: string;
  problems: string[];
  /** Set when the message could not be read at all (larger than maxBytes, or mailparser gave up):
   *  why. The analysis then has no findings and the pipeline marks the message failed. */
  unreadable?: string;
}

export interface ParseOptions {
  /** Messages larger than this are not parsed (marked unreadable). Default 64 MiB. */
  maxBytes?: number;
  /** Attached messages are parsed again down to this many levels. Default 8. */
  maxDepth?: number;
  /** MIME parts per parse (mailparser's maxChildNodes). Default 1000 (mailparser's own default). */
  maxParts?: number;
  /** Attached messages parsed per message, at all depths. Default 16. */
  maxAttached?: number;
}

export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_DEPTH = 8;
const DEFAULT_MAX_PARTS = 1000;
const DEFAULT_MAX_ATTACHED = 16;

/** Attached messages: parsed again by mailparser into one child. */
const ATTACHED_MESSAGE = new Set(['message/rfc822', 'message/global']);
/** Media types whose content is text worth keeping (decoders may read it). */
const TEXTUAL = /^(?:text|message)\//;

/* ------------------------------------------------------------------------------------------- */
/* Headers                                                                                      */
/* ------------------------------------------------------------------------------------------- */

const NO_VALUES: readonly string[] = [];

class HeaderList implements Headers {
  /** Name -> values, built on the first lookup (the bounce's own headers get some 80 lookups
   *  from the decoders' detect(); most other header lists get none). */
  private index: Map<string, string[]> | undefined;

  constructor(readonly list: ReadonlyArray<readonly [string, string]>) {}

  private values(name: string): readonly string[] {
    let idx = this.index;
    if (idx === undefined) {
      idx = new Map();
      for (const [n, v] of this.list) {
        const vs = idx.get(n);
        if (vs === undefined) idx.set(n, [v]);
        else vs.push(v);
      }
      this.index = idx;
    }
    return idx.get(name) ?? idx.get(name.toLowerCase()) ?? NO_VALUES;
  }

  get(name: string): string | undefined {
    return this.values(name)[0];
  }

  getAll(name: string): string[] {
    return this.values(name).slice();
  }

  text(name: string): string {
    const v = this.get(name);
    return v === undefined ? '' : decodeEncodedWords(v);
  }
}

/**
 * What decoders see of one header field's value, in characters. A bounce's own fields are short
 * (an X-Failed-Recipients of 1,000 addresses is some 30 KB); a longer value (a 200 KB From: or
 * Subject:) is cut here, so that no pattern of the decode and classify stages scans more than
 * this of it (mailparser already caps the header block at 1 MiB).
 */
export const MAX_FIELD_VALUE = 64 * 1024;

function capped(s: string): string {
  return s.length > MAX_FIELD_VALUE ? s.slice(0, MAX_FIELD_VALUE) : s;
}

/** One header line as mailparser gives it ("Name: value\r\n folded") to [name, unfolded value]. */
function fieldOf(key: string, line: string): readonly [string, string] {
  const colon = line.indexOf(':');
  // Folded lines and the raw bytes of 8-bit text make a value longer than what it shows: cut twice.
  const raw = colon < 0 ? '' : line.slice(colon + 1, colon + 1 + 4 * MAX_FIELD_VALUE);
  const value = raw.indexOf('\n') < 0 && raw.indexOf('\r') < 0 ? raw.trim() : raw.split(/\r?\n|\r/).map((s) => s.trim()).filter((s) => s !== '').join(' ');
  // Raw 8-bit bytes (RFC 6532): UTF-8 when valid, else marked as \\xHH (the address-text rule).
  const text = textFromBinary(value);
  return [key, capped(text)];
}

function headersFromLines(lines: HeaderLines | undefined): Headers {
  const list: Array<readonly [string, string]> = [];
  // A line without a colon has the key '': not a field.
  for (const l of lines ?? []) if (l.key !== '') list.push(fieldOf(l.key, l.line));
  return new HeaderList(list);
}

/** A part's headers from mailparser's parsed map (the only form it gives for non-root parts). */
function headersFromMap(map: Map<string, HeaderValue> | undefined): Headers {
  const list: Array<readonly [string, string]> = [];
  for (const [name, value] of map ?? []) {
    for (const v of Array.isArray(value) ? value : [value]) {
      const s = headerValueText(v);
      if (s !== undefined) list.push([name, capped(s)]);
    }
  }
  return new HeaderList(list);
}

function headerValueText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof Date) return v.toUTCString();
  if (v && typeof v === 'object') {
    const o = v as { value?: unknown; params?: Record<string, string>; text?: unknown };
    if (typeof o.text === 'string') return o.text;
    if (typeof o.value === 'string') {
      const params = Object.entries(o.params ?? {}).map(([k, p]) => `; ${k}="${p.replace(/["\\]/g, '\\$&')}"`);
      return o.value + params.join('');
    }
  }
  return undefined;
}

/**
 * A block of header fields given as text (a message/feedback-report body, a text/rfc822-headers
 * part, headers quoted in a bounce's text), read by libmime: unfolded, in order of first
 * appearance of each name. Any line endings.
 */
export function parseHeaders(text: string): Headers {
  const list: Array<readonly [string, string]> = [];
  let obj: Record<string, string[]>;
  try {
    obj = libmime.decodeHeaders(text, { skipPrototypeKeys: true });
  } catch {
    return new HeaderList(list);
  }
  for (const name of Object.keys(obj)) {
    // A line without a colon (prose, a broken fold) has no field name.
    if (name === '' || /[\s]/.test(name)) continue;
    for (const v of obj[name] ?? []) list.push([name, v]);
  }
  return new HeaderList(list);
}

/* ------------------------------------------------------------------------------------------- */
/* Reading one message with mailparser                                                          */
/* ------------------------------------------------------------------------------------------- */

/** One attachment as collected: its bytes only when the decoders may read them. */
interface Collected {
  type: string;
  params: Record<string, string>;
  headers: Map<string, HeaderValue>;
  content: Buffer | null;
}

/** What one mailparser run gave. */
interface MailparserResult {
  headerLines: HeaderLines | undefined;
  headers: Map<string, HeaderValue> | undefined;
  text: string;
  html: string;
  attachments: Collected[];
  error: Error | null;
}

/** The options every run uses: no HTML-to-text, text-to-HTML, link or checksum work (the
 *  decoders read the plain text and strip HTML themselves; with skipHtmlToText no conversion
 *  runs, so maxHtmlLengthToParse has nothing to limit); delivery-status and attached messages
 *  stay parts of their own. */
function mailparserOptions(maxParts: number): MailParserOptions {
  return {
    keepDeliveryStatus: true,
    ignoreEmbedded: true,
    skipHtmlToText: true,
    skipTextToHtml: true,
    skipTextLinks: true,
    skipImageLinks: true,
    checksumAlgo: false,
    maxChildNodes: maxParts,
  };
}

function structured(v: HeaderValue | undefined): { value: string; params: Record<string, string> } {
  if (v && typeof v === 'object' && !Array.isArray(v) && 'value' in v && typeof v.value === 'string' && 'params' in v) {
    return { value: v.value.trim().toLowerCase(), params: lowerKeys(v.params as Record<string, string>) };
  }
  return { value: '', params: Object.create(null) as Record<string, string> };
}

function lowerKeys(p: Record<string, string> | undefined): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(p ?? {})) out[k.toLowerCase()] = String(v);
  return out;
}

/** Run mailparser over one message. Resolves once it ends or fails; never rejects. */
function runMailparser(input: Buffer, maxParts: number): Promise<MailparserResult> {
  return new Promise((resolve) => {
    const out: MailparserResult = { headerLines: undefined, headers: undefined, text: '', html: '', attachments: [], error: null };
    let settled = false;
    /** Attachments whose content is still streaming. */
    let open = 0;
    let ended = false;
    let parser: MailParser;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      resolve(out);
    };
    const fail = (err: unknown): void => {
      if (out.error === null) out.error = err instanceof Error ? err : new Error(String(err));
      settle();
      // Stop the splitter; later events (and errors) are ignored.
      try {
        parser.destroy();
      } catch {
        /* already gone */
      }
    };
    try {
      parser = new MailParser(mailparserOptions(maxParts));
    } catch (err) {
      out.error = err instanceof Error ? err : new Error(String(err));
      resolve(out);
      return;
    }
    parser.on('error', fail);
    parser.on('headerLines', (lines: HeaderLines) => {
      out.headerLines = lines;
    });
    parser.on('headers', (h) => {
      out.headers = h;
    });
    parser.on('data', (data: AttachmentStream | MessageText) => {
      if (settled) return;
      if (data.type === 'text') {
        out.text = data.text ?? '';
        out.html = data.html ?? '';
        return;
      }
      const ct = structured(data.headers.get('content-type'));
      const type = ct.value.includes('/') ? ct.value : (data.contentType || 'application/octet-stream').toLowerCase();
      const a: Collected = { type, params: ct.params, headers: data.headers, content: null };
      out.attachments.push(a);
      const content = data.content;
      content.on('error', fail);
      if (!TEXTUAL.test(type)) {
        // Images, archives, TNEF: never read by a decoder. Drop the bytes as they stream.
        content.resume();
        data.release?.();
        return;
      }
      open++;
      const chunks: Buffer[] = [];
      content.on('data', (c: Buffer) => chunks.push(c));
      content.once('end', () => {
        a.content = Buffer.concat(chunks);
        open--;
        data.release?.();
        if (ended && open === 0) settle();
      });
    });
    parser.once('end', () => {
      ended = true;
      if (open === 0) settle();
    });
    parser.end(input);
  });
}

/* ------------------------------------------------------------------------------------------- */
/* The tree                                                                                     */
/* ------------------------------------------------------------------------------------------- */

interface Ctx {
  problems: string[];
  maxDepth: number;
  maxParts: number;
  maxAttached: number;
  /** Attached messages that may still be parsed: with maxDepth and maxParts this bounds the work
   *  of one message to (maxAttached + 1) parses of at most maxParts parts each. */
  attachedLeft: number;
}

/** Record a problem once per message (a flood of attached messages gives one line, not 1,000). */
function note(ctx: Ctx, problem: string): void {
  if (!ctx.problems.includes(problem)) ctx.problems.push(problem);
}

/** Bytes of a textual part to text: its declared charset (through libmime), else UTF-8 when
 *  valid, else windows-1252 (the usual undeclared 8-bit text); LF line endings. */
function bytesToText(buf: Buffer, charset: string | undefined): string {
  let s: string;
  const cs = (charset ?? '').trim().toLowerCase();
  if (cs === '' || cs === 'utf-8' || cs === 'utf8' || cs === 'us-ascii' || cs === 'ascii') {
    s = isUtf8(buf) ? buf.toString('utf8') : decodeCharset(buf, 'windows-1252');
  } else {
    try {
      s = decodeCharset(buf, cs);
    } catch {
      s = buf.toString('utf8');
    }
  }
  return s.indexOf('\r') >= 0 ? s.replace(/\r\n?/g, '\n') : s;
}

/** RFC 6533 field blocks: UTF-8 whatever they declare (section 6.1). */
const GLOBAL_FIELDS = new Set(['message/global-delivery-status', 'message/global-headers', 'message/global-disposition-notification']);

/** A part's text. A global field block is read line by line by the address-text rule (a line
 *  Postfix wrote with backslash-quoted 8-bit bytes, X-Postfix-Sender, spoils no other line). */
function partText(type: string, buf: Buffer, charset: string | undefined): string {
  if (GLOBAL_FIELDS.has(type)) {
    const s = fieldsText(buf);
    return s.indexOf('\r') >= 0 ? s.replace(/\r\n?/g, '\n') : s;
  }
  return bytesToText(buf, charset ?? (type === 'message/global' ? 'utf-8' : undefined));
}

/** Leading blank lines (some stored files have them) would end mailparser's header block at once. */
function skipLeadingBlankLines(buf: Buffer): Buffer {
  let i = 0;
  while (i < buf.length && (buf[i] === 0x0a || buf[i] === 0x0d)) i++;
  return i === 0 ? buf : buf.subarray(i);
}

function emptyPart(): MimePart {
  return { headers: new HeaderList([]), type: 'text/plain', params: Object.create(null) as Record<string, string>, body: '', parts: [] };
}

async function partOf(a: Collected, depth: number, ctx: Ctx): Promise<MimePart> {
  const part: MimePart = {
    headers: headersFromMap(a.headers),
    type: a.type,
    params: a.params,
    body: a.content === null ? '' : partText(a.type, a.content, a.params['charset']),
    parts: [],
  };
  if (ATTACHED_MESSAGE.has(a.type) && a.content !== null && a.content.length > 0) {
    if (depth >= ctx.maxDepth) {
      note(ctx, `attached message nested deeper than ${ctx.maxDepth}; not read`);
    } else if (ctx.attachedLeft <= 0) {
      note(ctx, `more than ${ctx.maxAttached} attached messages; not read`);
    } else {
      ctx.attachedLeft--;
      const inner = await parseEntity(a.content, depth + 1, ctx);
      if (inner.unreadable !== undefined) note(ctx, `attached message not read: ${inner.unreadable}`);
      part.parts.push(inner.root);
    }
  }
  return part;
}

/** Parse one message (the top level or an attached one) into its ParsedMessage. */
async function parseEntity(raw: Buffer, depth: number, ctx: Ctx): Promise<ParsedMessage> {
  const input = indentLostFolds(skipLeadingBlankLines(raw), ctx.problems);
  const r = await runMailparser(input, ctx.maxParts);
  const problems = ctx.problems;
  const headers = headersFromLines(r.headerLines);
  const ct = structured(r.headers?.get('content-type'));
  const type = ct.value.includes('/') ? ct.value : 'text/plain';
  const root: MimePart = { headers, type, params: ct.params, body: '', parts: [] };
  const msg: ParsedMessage = { headers, root, text: r.text, html: r.html, problems };
  if (r.error !== null) {
    // What was read before the error is kept (an attached message's headers still count); the
    // caller decides what an unreadable message means.
    msg.unreadable = errorText(r.error);
  }
  if (r.error === null && input.length > 0 && headers.list.length === 0) note(ctx, 'message has no header fields');

  if (type.startsWith('multipart/')) {
    let attachments = r.attachments;
    if (r.error === null) {
      const more = await repairMultipart(input, type, ct.params['boundary'] ?? '', r, ctx);
      if (more) {
        msg.text = joinText(msg.text, more.text);
        msg.html = joinText(msg.html, more.html);
        attachments = [...attachments, ...more.attachments];
      }
    }
    for (const a of attachments) root.parts.push(await partOf(a, depth, ctx));
  } else if (r.attachments.length > 0 && r.text === '' && r.html === '') {
    // The message is a single non-text part (mailparser calls it an attachment): it is the root.
    const only = await partOf(r.attachments[0]!, depth, ctx);
    root.body = only.body;
    root.parts = only.parts;
  } else {
    root.body = type === 'text/html' ? r.html : r.text;
  }
  return msg;
}

function errorText(err: Error): string {
  const code = (err as Error & { code?: string }).code;
  return `mailparser: ${err.message}${code ? ` (${code})` : ''}`;
}

function joinText(a: string, b: string): string {
  return a === '' ? b : b === '' ? a : `${a}\n${b}`;
}

/* ------------------------------------------------------------------------------------------- */
/* Repairs: broken senders whose bounces mailparser alone would lose. Each looks for its pattern  */
/* with Buffer.indexOf first, so a well-formed message pays next to nothing.                     */
/* ------------------------------------------------------------------------------------------- */

const LF = 0x0a;
const CR = 0x0d;

/**
 * Hack: some relays drop the leading blank of a folded Content-Type line, leaving
 *   Content-Type: multipart/alternative;
 *   boundary="----=_Part_1"
 * mailparser then sees no boundary and loses every part below. A line starting with
 * `boundary=` right after a line ending in ';' is indented back into its field.
 */
function indentLostFolds(buf: Buffer, problems: string[]): Buffer {
  if (!LOST_FOLD_MARKS.some((m) => buf.indexOf(m) >= 0)) return buf;
  const s = buf.toString('latin1');
  const fixed = s.replace(/;([ \t]*\r?\n)(boundary=)/gi, ';$1\t$2');
  if (fixed === s) return buf;
  problems.push('folded Content-Type line without its leading blank (boundary=...): read as folded');
  return Buffer.from(fixed, 'latin1');
}

const LOST_FOLD_MARKS = ['\nboundary=', '\nBoundary=', '\nBOUNDARY='].map((m) => Buffer.from(m, 'latin1'));

/** Where the body starts: after the first empty line (the end of the header section), or the end. */
function bodyStart(buf: Buffer): number {
  for (let i = 0; ; ) {
    const nl = buf.indexOf(LF, i);
    if (nl < 0) return buf.length;
    if (buf[nl + 1] === LF) return nl + 2;
    if (buf[nl + 1] === CR && buf[nl + 2] === LF) return nl + 3;
    i = nl + 1;
  }
}

/** Index of the line `--boundary` (closing: `--boundary--`) at or after `from`, alone on its line
 *  but for blanks; -1 when there is none. Returns the index just after its line break in `end`. */
function delimiterLine(buf: Buffer, boundary: string, from: number, closing: boolean): { at: number; end: number } | null {
  const needle = Buffer.from(`--${boundary}${closing ? '--' : ''}`, 'latin1');
  let i = from;
  for (;;) {
    const at = buf.indexOf(needle, i);
    if (at < 0) return null;
    i = at + needle.length;
    if (at > 0 && buf[at - 1] !== LF) continue;
    let j = i;
    while (buf[j] === 0x20 || buf[j] === 0x09) j++;
    if (j < buf.length && buf[j] === CR) j++;
    if (j < buf.length && buf[j] !== LF) continue;
    return { at, end: Math.min(j + 1, buf.length) };
  }
}

/** The first line of a body that looks like a MIME delimiter ("--something"), for a message whose
 *  declared boundary never occurs. */
function guessBoundary(body: Buffer): string | null {
  const head = body.subarray(0, 256 * 1024).toString('latin1');
  const m = /^--([^\s]{4,200}?)(?:--)?[ \t]*\r?$/m.exec(head);
  if (!m || /^-+$/.test(m[1]!)) return null;
  return m[1]!;
}

/** A body given to mailparser again, under a header of our own. */
function withHeader(contentType: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`Content-Type: ${contentType}\r\n\r\n`, 'latin1'), body]);
}

function isEmpty(r: MailparserResult): boolean {
  return r.text.trim() === '' && r.html === '' && r.attachments.length === 0;
}

/**
 * A multipart message mailparser read no part of, or whose closing delimiter is followed by
 * more parts. Returns what the repair read, to be added to the first parse's; null when there
 * was nothing to repair.
 *  - Hack: the declared boundary never occurs, another delimiter line does (a relay rewrote one
 *    of them): the body is read again with that boundary.
 *  - Hack: no delimiter at all (a converter stripped the MIME structure): the body is the text.
 *  - Hack: two reports in one file reuse the boundary after the closing delimiter: the rest is
 *    read again with the same boundary, and its parts follow the first ones.
 */
async function repairMultipart(input: Buffer, type: string, boundary: string, r: MailparserResult, ctx: Ctx): Promise<MailparserResult | null> {
  const start = bodyStart(input);
  if (isEmpty(r)) {
    const body = input.subarray(start);
    const guessed = guessBoundary(body);
    if (guessed !== null && guessed !== boundary) {
      const again = await runMailparser(withHeader(`${type}; boundary="${guessed}"`, body), ctx.maxParts);
      if (again.error === null && !isEmpty(again)) {
        ctx.problems.push(`boundary "${boundary.slice(0, 60)}" not found; read with "${guessed.slice(0, 60)}"`);
        return again;
      }
    }
    if (body.length === 0) return null;
    ctx.problems.push(`${type} has no parts (no delimiter line); body read as text`);
    return { headerLines: undefined, headers: undefined, text: bytesToText(body, undefined), html: '', attachments: [], error: null };
  }
  if (boundary === '') return null;
  const close = delimiterLine(input, boundary, start, true);
  if (close === null || delimiterLine(input, boundary, close.end, false) === null) return null;
  const again = await runMailparser(withHeader(`${type}; boundary="${boundary}"`, input.subarray(close.end)), ctx.maxParts);
  if (again.error !== null || isEmpty(again)) return null;
  ctx.problems.push(`${type}: parts after the closing delimiter (two reports in one file?) read as well`);
  return again;
}

/** Read one raw message. Never rejects: problems are listed; an unreadable message is marked. */
export async function parseMessage(raw: Buffer | string, opts?: ParseOptions): Promise<ParsedMessage> {
  const problems: string[] = [];
  const maxBytes = opts?.maxBytes ?? DEFAULT_MAX_BYTES;
  const buf = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
  const unread = (why: string): ParsedMessage => {
    problems.push(why);
    const root = emptyPart();
    return { headers: root.headers, root, text: '', html: '', problems, unreadable: why };
  };
  if (buf.length > maxBytes) return unread(`message of ${buf.length} bytes is larger than the parse limit of ${maxBytes} bytes; not parsed`);
  const maxParts = opts?.maxParts ?? DEFAULT_MAX_PARTS;
  const maxAttached = opts?.maxAttached ?? DEFAULT_MAX_ATTACHED;
  const ctx: Ctx = { problems, maxDepth: opts?.maxDepth ?? DEFAULT_MAX_DEPTH, maxParts, maxAttached, attachedLeft: maxAttached };
  try {
    const msg = await parseEntity(buf, 0, ctx);
    if (msg.unreadable !== undefined) problems.push(msg.unreadable);
    return msg;
  } catch (err) {
    // A bug, not bad input; the raw message is kept, so report instead of throwing.
    return unread(`parse failed: ${err instanceof Error ? err.message : String(err)}`);
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
