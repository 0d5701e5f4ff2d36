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
import libmime from 'libmime';
import { fieldsText } from '../address/index.js';

export { MAX_FIELD_VALUE, parseHeaders, type Headers } from './headers.js';
import { HeaderList, headersFromLines, headersFromMap, type Headers } from './headers.js';
import { bytesToText, note, runMailparser, structured, type Collected, type Ctx } from './mailparser.js';
import { indentLostFolds, repairMultipart } from './repair.js';

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

/* ------------------------------------------------------------------------------------------- */
/* The tree                                                                                     */
/* ------------------------------------------------------------------------------------------- */

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
