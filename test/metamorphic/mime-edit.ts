/**
 * A small MIME rewriter for the metamorphic variants: walk a raw message (a latin1 "binary" string,
 * LF line endings) entity by entity and let a callback rewrite each header block and each leaf body,
 * re-encoding base64 bodies so that a change reaches text a decoder reads after transfer decoding.
 * With an identity callback the output is byte-for-byte the input (tested).
 *
 * Test support only: it trusts its input (our corpus), it is not a MIME parser for the product.
 */

export interface EntityInfo {
  /** Lower-case media type ('text/plain' when absent). */
  type: string;
  /** Nesting depth: 0 for the top-level message. */
  depth: number;
}

/** Rewrite one header block ('head') or one decoded leaf body ('body'). Return the text unchanged to keep it. */
export type Rewrite = (kind: 'head' | 'body', text: string, info: EntityInfo) => string;

/** The value of the first header field `name` in a header block, unfolded. */
export function headerValue(head: string, name: string): string | undefined {
  const re = new RegExp(`^${name}[ \\t]*:[ \\t]*(.*(?:\\n[ \\t].*)*)`, 'im');
  const m = re.exec(head);
  return m ? m[1]!.replace(/\n[ \t]+/g, ' ').trim() : undefined;
}

function mediaType(head: string): string {
  const v = headerValue(head, 'content-type');
  if (!v) return 'text/plain';
  return (v.split(';')[0] ?? '').trim().toLowerCase() || 'text/plain';
}

function boundaryOf(head: string): string | undefined {
  const v = headerValue(head, 'content-type');
  if (!v) return undefined;
  const m = /;\s*boundary\s*=\s*(?:"([^"]*)"|([^\s;]+))/i.exec(v);
  return m ? (m[1] ?? m[2]) : undefined;
}

/** Split an entity at its first empty line: header block, body ('' when there is none). */
export function splitEntity(s: string): { head: string; body: string; hasBody: boolean } {
  if (s.startsWith('\n')) return { head: '', body: s.slice(1), hasBody: true };
  const i = s.indexOf('\n\n');
  if (i < 0) return { head: s, body: '', hasBody: false };
  return { head: s.slice(0, i), body: s.slice(i + 2), hasBody: true };
}

function joinEntity(head: string, body: string, hasBody: boolean): string {
  if (!hasBody) return head;
  return head === '' ? '\n' + body : head + '\n\n' + body;
}

function base64Wrap(bin: string): string {
  const b = Buffer.from(bin, 'latin1').toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b.length; i += 76) lines.push(b.slice(i, i + 76));
  return lines.join('\n') + '\n';
}

/** Rewrite a whole message (or entity) with `f`; see the module comment. */
export function rewriteEntity(s: string, f: Rewrite, depth = 0): string {
  const { head, body, hasBody } = splitEntity(s);
  const type = mediaType(head);
  const info: EntityInfo = { type, depth };
  const newHead = f('head', head, info);
  if (!hasBody) return newHead;

  const boundary = type.startsWith('multipart/') ? boundaryOf(head) : undefined;
  if (boundary !== undefined && boundary !== '') {
    const newBoundary = boundaryOf(newHead) ?? boundary;
    return joinEntity(newHead, rewriteMultipart(body, boundary, newBoundary, f, depth), true);
  }
  if (type === 'message/rfc822' || type === 'message/global') {
    const cte = (headerValue(head, 'content-transfer-encoding') ?? '').toLowerCase();
    if (cte === 'base64') return joinEntity(newHead, base64Wrap(rewriteEntity(Buffer.from(body, 'base64').toString('latin1'), f, depth + 1)), true);
    return joinEntity(newHead, rewriteEntity(body, f, depth + 1), true);
  }
  const cte = (headerValue(head, 'content-transfer-encoding') ?? '').toLowerCase();
  if (cte === 'base64') {
    const decoded = Buffer.from(body, 'base64').toString('latin1');
    const changed = f('body', decoded, info);
    return joinEntity(newHead, changed === decoded ? body : base64Wrap(changed), true);
  }
  return joinEntity(newHead, f('body', body, info), true);
}

/** Rewrite the parts of a multipart body, keeping preamble, delimiters and epilogue in place. */
function rewriteMultipart(body: string, boundary: string, newBoundary: string, f: Rewrite, depth: number): string {
  const lines = body.split('\n');
  const open = '--' + boundary;
  const close = open + '--';
  const isDelim = (l: string): 'open' | 'close' | null => {
    const t = l.replace(/[ \t]+$/, '');
    if (t === close) return 'close';
    if (t === open) return 'open';
    return null;
  };
  const out: string[] = [];
  let i = 0;
  // Preamble (kept as written: it is text only where an MTA put its report there).
  const preamble: string[] = [];
  while (i < lines.length && isDelim(lines[i]!) === null) preamble.push(lines[i++]!);
  if (preamble.length > 0) out.push(f('body', preamble.join('\n'), { type: 'text/plain', depth: depth + 1 }));
  while (i < lines.length) {
    const kind = isDelim(lines[i]!);
    if (kind === 'close') {
      out.push(lines[i]!.replace(close, '--' + newBoundary + '--'));
      i++;
      // The epilogue: nothing a reader should see, but some messages carry text there too.
      if (i < lines.length) out.push(f('body', lines.slice(i).join('\n'), { type: 'text/plain', depth: depth + 1 }));
      break;
    }
    out.push(lines[i]!.replace(open, '--' + newBoundary));
    i++;
    const part: string[] = [];
    while (i < lines.length && isDelim(lines[i]!) === null) part.push(lines[i++]!);
    out.push(rewriteEntity(part.join('\n'), f, depth + 1));
  }
  return out.join('\n');
}

/** Header fields of a block as [name, raw text with its continuation lines]. */
export function headerFields(head: string): Array<[string, string]> {
  const fields: Array<[string, string]> = [];
  for (const line of head.split('\n')) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && fields.length > 0) {
      fields[fields.length - 1]![1] += '\n' + line;
      continue;
    }
    const colon = line.indexOf(':');
    fields.push([colon > 0 ? line.slice(0, colon).trim().toLowerCase() : '', line]);
  }
  return fields;
}
