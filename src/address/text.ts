/**
 * address/text - one rule for the text that names an address, at every edge where bytes come in:
 * header fields (IMAP delivery headers, DSN fields), envelope commands, Postfix socketmap keys and
 * policy attributes.
 *
 * - Bytes that are valid UTF-8 are UTF-8 (RFC 6532, RFC 6531): never latin1, never "fixed".
 * - Anything else is kept as bytes and marked: each byte that is not part of a valid UTF-8
 *   sequence becomes the four characters `\xHH` (upper-case hex), and a literal backslash in such
 *   a string becomes `\x5C`, so the bytes can be recovered exactly (bytesOfText) and the text can
 *   never pass for a real address (a bare backslash is not allowed in a dot-atom). Nothing is
 *   re-encoded: `m\xFCller@example.de` says "a byte 0xFC was here", not "this was latin1".
 * - RFC 2047 encoded-words (decodeEncodedWords) and the escapes of an RFC 6533 `utf-8` address
 *   type or RFC 3461 xtext (decodeAddressEscapes) are decoded, since they spell characters.
 * - A quoted local part may carry a backslash before each byte of a UTF-8 character (Postfix
 *   quotes 8-bit local parts so in X-Postfix-Sender and Return-Path); those quoted-pairs are
 *   removed before the UTF-8 check, since RFC 5322 makes them invisible.
 */
import { isUtf8 } from 'node:buffer';
import libmime from 'libmime';

/** Bytes to address text: UTF-8 when valid, else marked (see above). */
export function textFromBytes(bytes: Uint8Array): string {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isUtf8(buf)) return buf.toString('utf8');
  const unquoted = dropEightBitQuotedPairs(buf);
  if (unquoted !== buf && isUtf8(unquoted)) return unquoted.toString('utf8');
  return markInvalid(buf);
}

/**
 * A block of fields (the body of a message/global-delivery-status or message/global-headers part,
 * RFC 6533) to text, each line by the rule above. Line by line, so that one field Postfix wrote
 * with backslash-quoted 8-bit bytes (X-Postfix-Sender) neither spoils nor is spoilt by the others:
 * the part is UTF-8 whatever charset it declares (RFC 6533 section 6.1).
 */
export function fieldsText(body: Uint8Array): string {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (isUtf8(buf)) return buf.toString('utf8');
  const out: string[] = [];
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(0x0a, start);
    out.push(textFromBytes(buf.subarray(start, nl < 0 ? buf.length : nl)));
    if (nl < 0) break;
    start = nl + 1;
  }
  return out.join('\n');
}

/** The same for a "binary" string (one char per byte, as latin1 decoding gives). */
export function textFromBinary(binary: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(binary)) return binary;
  return textFromBytes(Buffer.from(binary, 'latin1'));
}

/** True when the text carries marked bytes (it did not come from valid UTF-8). */
export function isMarked(text: string): boolean {
  return /\\x[0-9A-Fa-f]{2}/.test(text);
}

/** The bytes a text stands for: UTF-8 of its characters, and the byte of each `\xHH` mark in a marked text. */
export function bytesOfText(text: string): Buffer {
  if (!isMarked(text)) return Buffer.from(text, 'utf8');
  const out: Buffer[] = [];
  let last = 0;
  for (const m of text.matchAll(/\\x([0-9A-Fa-f]{2})/g)) {
    out.push(Buffer.from(text.slice(last, m.index), 'utf8'), Buffer.from([parseInt(m[1]!, 16)]));
    last = m.index! + m[0].length;
  }
  out.push(Buffer.from(text.slice(last), 'utf8'));
  return Buffer.concat(out);
}

/** Inside a quoted string, `\` before a byte >= 0x80 goes (the pair means that byte alone). */
function dropEightBitQuotedPairs(buf: Buffer): Buffer {
  if (buf.indexOf(0x22) < 0 || buf.indexOf(0x5c) < 0) return buf;
  const out = Buffer.allocUnsafe(buf.length);
  let n = 0;
  let quoted = false;
  let changed = false;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i]!;
    if (quoted && b === 0x5c && i + 1 < buf.length) {
      const next = buf[i + 1]!;
      if (next >= 0x80) changed = true;
      else out[n++] = b;
      out[n++] = next;
      i++;
      continue;
    }
    if (b === 0x22) quoted = !quoted;
    out[n++] = b;
  }
  return changed ? out.subarray(0, n) : buf;
}

/** Length of the valid UTF-8 sequence starting at i (RFC 3629 section 4), 0 when there is none. */
function utf8SequenceAt(buf: Buffer, i: number): number {
  const b = buf[i]!;
  const tail = (k: number, lo = 0x80, hi = 0xbf): boolean => i + k < buf.length && buf[i + k]! >= lo && buf[i + k]! <= hi;
  if (b >= 0xc2 && b <= 0xdf) return tail(1) ? 2 : 0;
  if (b === 0xe0) return tail(1, 0xa0) && tail(2) ? 3 : 0;
  if ((b >= 0xe1 && b <= 0xec) || b === 0xee || b === 0xef) return tail(1) && tail(2) ? 3 : 0;
  if (b === 0xed) return tail(1, 0x80, 0x9f) && tail(2) ? 3 : 0;
  if (b === 0xf0) return tail(1, 0x90) && tail(2) && tail(3) ? 4 : 0;
  if (b >= 0xf1 && b <= 0xf3) return tail(1) && tail(2) && tail(3) ? 4 : 0;
  if (b === 0xf4) return tail(1, 0x80, 0x8f) && tail(2) && tail(3) ? 4 : 0;
  return 0;
}

function markInvalid(buf: Buffer): string {
  let out = '';
  let i = 0;
  while (i < buf.length) {
    const b = buf[i]!;
    if (b < 0x80) {
      out += b === 0x5c ? '\\x5C' : String.fromCharCode(b);
      i++;
      continue;
    }
    const n = utf8SequenceAt(buf, i);
    if (n > 0) {
      out += buf.toString('utf8', i, i + n);
      i += n;
    } else {
      out += `\\x${b.toString(16).toUpperCase().padStart(2, '0')}`;
      i++;
    }
  }
  return out;
}

/** RFC 2047 encoded-words to text (declared charsets are honoured; that is decoding, not guessing). */
export function decodeEncodedWords(value: string): string {
  if (!value.includes('=?')) return value;
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
}

/**
 * Decode the escapes an address may carry in a DSN or an ORCPT: RFC 6533 `\x{HHHH}`
 * (EmbeddedUnicodeChar, utf-8 address type) and RFC 3461 xtext `+HH`. An escape that names no
 * character (a surrogate, beyond U+10FFFF) is kept as written. A run of xtext `+HH` is decoded
 * only when it spells what xtext must escape ('+', '=', controls) or valid UTF-8, so the tags
 * of `a+b@x` and `a+DE@x` stay as written.
 */
export function decodeAddressEscapes(a: string): string {
  let s = a;
  if (s.includes('\\x{')) {
    s = s.replace(/\\x\{([0-9A-Fa-f]{1,6})\}/g, (m, h: string) => {
      const cp = parseInt(h, 16);
      return cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? m : String.fromCodePoint(cp);
    });
  }
  if (s.includes('+')) {
    // Runs of escaped bytes are decoded together, so "+C3+BC" becomes "ü".
    s = s.replace(/(?:\+[0-9A-F]{2})+/g, (run) => {
      const bytes = Buffer.from(run.split('+').slice(1).map((h) => parseInt(h, 16)));
      if (bytes.every((c) => c >= 33 && c <= 126 && c !== 43 && c !== 61)) return run;
      return isUtf8(bytes) ? bytes.toString('utf8') : run;
    });
  }
  return s;
}

/**
 * One typed address field value of a DSN (`rfc822; a@b`, `utf-8; j\x{FC}rgen@b`, `<a@b>`) to
 * the address text, escapes decoded. The type is returned lower-cased ('' when absent).
 */
export function readTypedAddress(value: string): { type: string; address: string } {
  const m = /^\s*([A-Za-z0-9][A-Za-z0-9._-]{0,30})\s*;\s*/.exec(value);
  const type = m ? m[1]!.toLowerCase() : '';
  const rest = (m ? value.slice(m[0].length) : value).trim();
  return { type, address: decodeAddressEscapes(rest) };
}
