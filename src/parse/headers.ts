/**
 * parse/headers - a message's or a part's header fields as the decoders read them (the Headers
 * of the parse contract, parse/message.ts): in order, unfolded, 8-bit bytes by the address-text
 * rule, RFC 2047 decoded on request; from mailparser's header lines or map, or from text
 * (parseHeaders: a text/rfc822-headers part, headers quoted in a body).
 */
import libmime from 'libmime';
import type { HeaderLines, HeaderValue } from 'mailparser';
import { decodeEncodedWords, textFromBinary } from '../address/index.js';

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

/* ------------------------------------------------------------------------------------------- */
/* Headers                                                                                      */
/* ------------------------------------------------------------------------------------------- */

const NO_VALUES: readonly string[] = [];

export class HeaderList implements Headers {
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

export function headersFromLines(lines: HeaderLines | undefined): Headers {
  const list: Array<readonly [string, string]> = [];
  // A line without a colon has the key '': not a field.
  for (const l of lines ?? []) if (l.key !== '') list.push(fieldOf(l.key, l.line));
  return new HeaderList(list);
}

/** A part's headers from mailparser's parsed map (the only form it gives for non-root parts). */
export function headersFromMap(map: Map<string, HeaderValue> | undefined): Headers {
  const list: Array<readonly [string, string]> = [];
  for (const [name, value] of map ?? []) {
    for (const v of Array.isArray(value) ? value : [value]) {
      const s = headerValueText(v);
      if (s !== undefined) list.push([name, capped(s)]);
    }
  }
  return new HeaderList(list);
}

export function headerValueText(v: unknown): string | undefined {
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
