/**
 * parse/mailparser - one run of mailparser over one message (the top level, or an attached message
 * read again), with the options every run uses and what it collects: header lines, the inline
 * text and HTML, and every other part with its bytes when the decoders may read them. Never
 * rejects: a mailparser error comes back in the result. Also the parse context (problems noted
 * once, the limits) and the charset rule for part text.
 */
import { isUtf8 } from 'node:buffer';
import { MailParser, type AttachmentStream, type HeaderLines, type HeaderValue, type MailParserOptions, type MessageText } from 'mailparser';
import { decode as decodeCharset } from 'libmime/lib/charset.js';

/** Media types whose content is text worth keeping (decoders may read it). */
const TEXTUAL = /^(?:text|message)\//;

/* ------------------------------------------------------------------------------------------- */
/* Reading one message with mailparser                                                          */
/* ------------------------------------------------------------------------------------------- */

/** One attachment as collected: its bytes only when the decoders may read them. */
export interface Collected {
  type: string;
  params: Record<string, string>;
  headers: Map<string, HeaderValue>;
  content: Buffer | null;
}

/** What one mailparser run gave. */
export interface MailparserResult {
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
export function mailparserOptions(maxParts: number): MailParserOptions {
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

export function structured(v: HeaderValue | undefined): { value: string; params: Record<string, string> } {
  if (v && typeof v === 'object' && !Array.isArray(v) && 'value' in v && typeof v.value === 'string' && 'params' in v) {
    return { value: v.value.trim().toLowerCase(), params: lowerKeys(v.params as Record<string, string>) };
  }
  return { value: '', params: Object.create(null) as Record<string, string> };
}

export function lowerKeys(p: Record<string, string> | undefined): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(p ?? {})) out[k.toLowerCase()] = String(v);
  return out;
}

/** Run mailparser over one message. Resolves once it ends or fails; never rejects. */
export function runMailparser(input: Buffer, maxParts: number): Promise<MailparserResult> {
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

export interface Ctx {
  problems: string[];
  maxDepth: number;
  maxParts: number;
  maxAttached: number;
  /** Attached messages that may still be parsed: with maxDepth and maxParts this bounds the work
   *  of one message to (maxAttached + 1) parses of at most maxParts parts each. */
  attachedLeft: number;
}

/** Record a problem once per message (a flood of attached messages gives one line, not 1,000). */
export function note(ctx: Ctx, problem: string): void {
  if (!ctx.problems.includes(problem)) ctx.problems.push(problem);
}

/** Bytes of a textual part to text: its declared charset (through libmime), else UTF-8 when
 *  valid, else windows-1252 (the usual undeclared 8-bit text); LF line endings. */
export function bytesToText(buf: Buffer, charset: string | undefined): string {
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

