/**
 * decode/text - the views of a parsed bounce that every decoder uses: the human-readable text
 * (the text/plain parts outside any attached original, or text/html stripped when there is none),
 * and the headers of the attached original message.
 * In: ParsedMessage. Out: DecodeInput, Report['original']. No config keys. RFCs: 2046 (multipart),
 * 3462/6522 (text/rfc822-headers), 6532 (message/global).
 */
import { parseHeaders, type Headers, type MimePart, type ParsedMessage } from '../parse/message.js';
import type { Report } from '../types.js';
import type { DecodeContext, DecodeInput } from './types.js';

/** Parts whose subtree is the returned original message, not the bounce's own words. */
const ATTACHED = new Set(['message/rfc822', 'message/global', 'message/partial-rfc822']);

/** Machine-readable parts: never part of the human text. */
const MACHINE = new Set([
  'message/delivery-status',
  'message/global-delivery-status',
  'message/feedback-report',
  'message/disposition-notification',
  'message/global-disposition-notification',
  'text/rfc822-headers',
  'message/rfc822-headers',
  'message/global-headers',
]);

/** Bounce prose is short; beyond this a part is a returned newsletter or garbage, and decoders'
 *  regexes over it would cost time for nothing. */
const MAX_TEXT_PER_PART = 256 * 1024;

function capped(s: string): string {
  return s.length > MAX_TEXT_PER_PART ? s.slice(0, MAX_TEXT_PER_PART) : s;
}

/** Received fields of the bounce, joined by '\n', computed once per message (many decoders' detect()
 *  look for their MTA's name there). Keyed by the parsed message, so bounded() copies share it. */
const RECEIVED = new WeakMap<ParsedMessage, string>();

/** The bounce's Received: fields joined by '\n' (a substring test on it is a test on any one field,
 *  as long as the needle holds no line break). */
export function receivedText(input: DecodeInput): string {
  let r = RECEIVED.get(input.msg);
  if (r === undefined) {
    r = input.msg.headers.getAll('received').join('\n');
    RECEIVED.set(input.msg, r);
  }
  return r;
}

/**
 * Compute from/subject for the decoders, and the text on first read: a standard DSN whose fields
 * say everything never needs it, and decoding the text parts (an HTML-only bounce of 60 KB, a
 * charset conversion) was the largest single cost of decoding such messages. A failure to read
 * the text leaves it '' and is recorded in `problems` when given.
 */
export function buildDecodeInput(msg: ParsedMessage, problems?: string[], context?: DecodeContext): DecodeInput {
  const input = new LazyInput(msg, msg.headers.text('from'), msg.headers.text('subject'), problems);
  if (context) input.context = context;
  return input;
}

/**
 * A class with the getter on its prototype, not an object literal with `get text()`: a literal's
 * per-call getter closure gives every object its own hidden class, and those (old-space) maps kept
 * each message's whole tree alive through scavenges - GC took a third of the time.
 * A spread ({...input}) does not copy `text`; bounded() sets it explicitly.
 */
class LazyInput implements DecodeInput {
  private cached: string | undefined;
  context?: DecodeContext;

  constructor(
    public msg: ParsedMessage,
    public from: string,
    public subject: string,
    private readonly problems: string[] | undefined,
  ) {}

  get text(): string {
    if (this.cached === undefined) {
      try {
        this.cached = readText(this.msg);
      } catch (err) {
        this.cached = '';
        this.problems?.push(`reading the text failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return this.cached;
  }
}

function readText(msg: ParsedMessage): string {
  const plain: string[] = [];
  const html: string[] = [];
  // The inline text/plain and text/html parts arrive joined (mailparser); other text parts (a
  // text/plain attachment, text/enriched) are among the parts.
  if (msg.text.trim() !== '') plain.push(capped(msg.text));
  if (msg.html !== '') html.push(msg.html);
  if (msg.root.type.startsWith('multipart/')) for (const p of msg.root.parts) collectText(p, plain, html);
  else if (msg.text === '' && msg.html === '') collectText(msg.root, plain, html);
  // HTML is stripped only when there is no plain text at all; a multipart preamble ("This is a
  // multi-part message in MIME format.") is not text: mailparser does not even report it.
  return plain.length > 0 ? plain.join('\n') : html.map((h) => htmlToText(capped(h))).join('\n');
}

function collectText(p: MimePart, plain: string[], html: string[]): void {
  if (ATTACHED.has(p.type) || MACHINE.has(p.type)) return;
  if (p.type === 'text/html') html.push(p.body);
  else if (p.type.startsWith('text/') && p.type !== 'text/calendar') plain.push(capped(p.body));
}

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  copy: '(c)',
  reg: '(R)',
  ndash: '-',
  mdash: '-',
  hellip: '...',
  laquo: '"',
  raquo: '"',
};

/** Remove <script>/<style>/<head>/<title> elements and <!-- comments -->; unclosed ones run to the end. */
function dropBlocks(html: string): string {
  const low = html.toLowerCase();
  const out: string[] = [];
  const open = /<(script|style|head|title)\b|<!--/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = open.exec(low)) !== null) {
    out.push(html.slice(last, m.index));
    let end: number;
    if (m[0] === '<!--') {
      const c = low.indexOf('-->', m.index + 4);
      end = c < 0 ? low.length : c + 3;
    } else {
      const c = low.indexOf('</' + m[1]!, m.index + m[0].length);
      const gt = c < 0 ? -1 : low.indexOf('>', c);
      end = gt < 0 ? low.length : gt + 1;
    }
    last = end;
    open.lastIndex = end;
  }
  out.push(html.slice(last));
  return out.join('');
}

const BLOCK_TAG = /^\/?(?:br|p|div|tr|li|h[1-6]|table|hr)\b/;
const CELL_END = /^\/t[dh]\b/;

/** Remove tags in one pass: block tags become line breaks, cell ends a space. Linear even when a
 *  '<' is never closed (then the rest is text). */
function stripTags(s: string): string {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    const lt = s.indexOf('<', i);
    if (lt < 0) break;
    const gt = s.indexOf('>', lt + 1);
    if (gt < 0) break;
    out.push(s.slice(i, lt));
    const head = s.slice(lt + 1, Math.min(gt, lt + 12)).toLowerCase();
    if (BLOCK_TAG.test(head)) out.push('\n');
    else if (CELL_END.test(head)) out.push(' ');
    i = gt + 1;
  }
  out.push(s.slice(i));
  return out.join('');
}

/** Drop "(...)" comments: from each "(" to the next ")" (what /\([^)]*\)/g removed, by index: the
 *  pattern rescanned the rest of the value from every "(" when no ")" followed). */
export function withoutComments(s: string): string {
  let out = '';
  let i = 0;
  for (;;) {
    const open = s.indexOf('(', i);
    const close = open < 0 ? -1 : s.indexOf(')', open + 1);
    if (close < 0) return out + s.slice(i);
    out += s.slice(i, open);
    i = close + 1;
  }
}

/** Strip HTML to plain text: block ends become line breaks, entities decoded. Linear, no DOM. */
function htmlToText(html: string): string {
  // Bounce prose is short; a huge HTML part is a returned newsletter, not worth the time.
  let s = html.length > MAX_TEXT_PER_PART ? html.slice(0, MAX_TEXT_PER_PART) : html;
  // Drop invisible blocks and comments (by index: a lazy regex rescans to the end for every
  // unclosed opener, which is quadratic on hostile input).
  s = dropBlocks(s);
  s = stripTags(s.replace(/\n/g, ' '));
  s = s.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{2,8});/gi, (m, e: string) => {
    if (e[0] === '#') {
      const cp = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });
  s = s.replace(/[ \t\u00a0]+/g, ' ').replace(/ ?\n ?/g, '\n').replace(/\n{3,}/g, '\n\n');
  return s.trim();
}

/** The headers of the returned original message, if the bounce carries them. */
export function findOriginalHeaders(root: MimePart): Headers | undefined {
  let found: Headers | undefined;
  const visit = (p: MimePart, inAttached: boolean): void => {
    if (found) return;
    if (ATTACHED.has(p.type)) {
      const child = p.parts[0];
      if (child && child.headers.list.length > 0) {
        found = child.headers;
        return;
      }
      if (p.body.trim() !== '') {
        const h = parseHeaders(p.body);
        if (h.list.length > 0) found = h;
      }
      return;
    }
    if ((p.type === 'text/rfc822-headers' || p.type === 'message/rfc822-headers' || p.type === 'message/global-headers') && !inAttached) {
      const h = parseHeaders(p.body);
      if (h.list.length > 0) found = h;
      return;
    }
    for (const c of p.parts) visit(c, inAttached);
  };
  visit(root, false);
  return found;
}

/** Report.original from the returned headers. */
export function findOriginal(root: MimePart): Report['original'] | undefined {
  const h = findOriginalHeaders(root);
  if (!h) return undefined;
  const addr = (v: string): string => {
    const m = /<([^<>]*)>/.exec(v);
    return (m ? m[1]! : v).trim();
  };
  return {
    messageId: addr(h.get('message-id') ?? ''),
    to: h.text('to'),
    from: h.text('from'),
    subject: h.text('subject'),
    returnPath: addr(h.get('return-path') ?? ''),
  };
}
