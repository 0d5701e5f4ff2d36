/**
 * address/normal - the one normal form of a mailbox address: the key the store keeps state under
 * and the spelling every lookup is compared in (status socket, Postfix socketmap and policy, CLI,
 * CSV import, VERP tokens, reports). docs/STATE-RULES.md "Address normalisation" is the rule book.
 *
 * In: an address as a bounce, an envelope, a CSV file or an operator wrote it (already text: see
 * text.ts for bytes). Out: the normal form, or '' when the input names no mailbox at all.
 *
 * - Wrappers go: `<...>`, `mailto:`, an RFC 3464/6533 `rfc822;` or `utf-8;` type (the latter's
 *   escapes decoded), surrounding blanks, a trailing dot on the domain.
 * - Local part: NFC, then Unicode default case folding (lower case for ASCII). RFC 5321 lets a
 *   server treat local parts case-sensitively, but providers do not, bounces echo addresses in
 *   another case, and Postfix itself folds every access-table key this way when smtputf8_enable
 *   is on (util/casefold.c: ICU full case folding) - a key Postfix can never ask for is a
 *   suppression that never applies. Folding is per code point and never turns a non-ASCII letter
 *   into an ASCII one that Unicode does not fold to it (dotless i stays dotless).
 *   A quoted local part whose content is a plain dot-atom loses its quotes (RFC 5322 3.2.4:
 *   quotes and quoted-pairs are semantically invisible): `"jürgen"@x` is `jürgen@x`.
 *   Nothing else: no dot or +tag folding, which is one provider's policy, not mail's.
 * - Domain: IDNA 2008 with the UTS #46 non-transitional mapping (node:url, as WHATWG URL): case
 *   folded, NFC, A-labels decoded to U-labels. `bücher.example`, `BÜCHER.example` and
 *   `xn--bcher-kva.example` are one domain, kept as `bücher.example`. A domain IDNA refuses (a bad
 *   A-label, a marked byte) is kept as written, lower-cased, rather than dropped; an ASCII domain
 *   without A-labels is only lower-cased. Address literals (`[192.0.2.1]`) are lower-cased.
 */
import { domainToASCII, domainToUnicode } from 'node:url';
import { decodeAddressEscapes } from './text.js';

/**
 * Already normal, spelled so that the general path would return it unchanged: ASCII lower case,
 * no brackets or prefixes, LDH domain labels without A-labels. Most lookups on the status socket
 * look like this; the fast path skips the IDNA and Unicode work (~1 us of a ~25 us lookup).
 */
const NORMAL_ASCII = /^[a-z0-9!#$%&'*+/=?^_`{|}~.-]+@(?:[a-z0-9-]+\.)*[a-z0-9-]+$/;

export function normaliseAddress(input: string): string {
  if (NORMAL_ASCII.test(input) && !input.includes('xn--')) return input;
  return normaliseGeneral(input);
}

/** The general path (every spelling); exported so a test can check the fast path against it. */
export function normaliseGeneral(input: string): string {
  const parts = splitMailbox(input);
  if (!parts) return '';
  const local = normaliseLocal(parts.local);
  const domain = normaliseDomain(parts.domain);
  if (local === '' || domain === '') return '';
  return `${local}@${domain}`;
}

/** Strip the wrappers around one address and split it at its last '@' (a quoted local part may hold one). */
export function splitMailbox(input: string): { local: string; domain: string } | null {
  let s = input.trim();
  const typed = /^(rfc822|utf-8)\s*;\s*/i.exec(s);
  if (typed) {
    s = s.slice(typed[0].length);
    // RFC 6533: a utf-8 address may carry \x{HHHH} escapes (and xtext in ORCPT).
    if (typed[1]!.toLowerCase() === 'utf-8') s = decodeAddressEscapes(s);
  }
  s = s.replace(/^mailto:/i, '').trim();
  if (s.startsWith('<') && s.endsWith('>')) s = s.slice(1, -1).trim();
  const at = s.lastIndexOf('@');
  if (at <= 0 || at === s.length - 1) return null;
  const local = s.slice(0, at);
  const domain = s.slice(at + 1).replace(/\.$/, '');
  if (domain === '' || /[\s<>@]/.test(domain)) return null;
  // "a@b@c" names no mailbox (an '@' belongs in a local part only inside quotes), nor does a
  // domain with an empty label ("a@.", "a@b..c", "a@.b").
  if (local.includes('@') && !(local.length > 1 && local.startsWith('"') && local.endsWith('"'))) return null;
  if (!domain.startsWith('[') && (domain.startsWith('.') || domain.includes('..'))) return null;
  return { local, domain };
}

// RFC 5322 atext plus RFC 6532 UTF8-non-ascii: what a dot-atom local part may contain.
const ATEXT = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~\\u0080-\\u{10FFFF}-]";
export const DOT_ATOM = new RegExp(`^${ATEXT}+(?:\\.${ATEXT}+)*$`, 'u');

/**
 * A quoted local part without its quotes when its content is a plain dot-atom (quoted-pairs
 * removed); otherwise in one canonical quoting. Anything else is returned as it is.
 */
export function unquoteLocal(local: string): string {
  if (!(local.length > 1 && local.startsWith('"') && local.endsWith('"'))) return local;
  const inner = local.slice(1, -1);
  // An unescaped quote inside: not one quoted string; leave it to the caller to refuse.
  if (/(^|[^\\])"/.test(inner.replace(/\\\\/g, ''))) return local;
  const content = inner.replace(/\\([\s\S])/g, '$1');
  return DOT_ATOM.test(content) ? content : `"${content.replace(/(["\\])/g, '\\$1')}"`;
}

/** The local part in normal form; '' when it cannot be one (blanks, brackets). */
export function normaliseLocal(raw: string): string {
  const local = unquoteLocal(raw);
  if (local === '' || /[\s<>]/.test(local)) return '';
  return foldCase(local.normalize('NFC'));
}

/**
 * Unicode default (full) case folding, per code point, the way Postfix folds lookup keys; the
 * result is NFC. Computed as lower(upper(c)) to a fixed point (ß -> SS -> ss, ẞ -> ß -> ss,
 * final ς -> Σ -> σ, µ -> Μ -> μ), except U+0131 dotless i, whose upper case is ASCII I but
 * which case folding keeps. test/address/normal.test.ts checks this against Perl's fc() for every
 * code point both Unicode versions know.
 */
export function foldCase(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(s)) return s.toLowerCase();
  let out = '';
  for (const c of s.normalize('NFC')) out += foldChar(c);
  return out.normalize('NFC');
}

function foldChar(c: string): string {
  if (c.charCodeAt(0) < 0x80) return c.toLowerCase();
  if (c === '\u0131') return c;
  let x = c;
  for (let i = 0; i < 3; i++) {
    let y = '';
    for (const ch of x) y += ch === '\u0131' ? ch : ch.toUpperCase().toLowerCase();
    if (y === x) break;
    x = y;
  }
  return x;
}

/** The domain in normal form (U-labels, NFC, folded); '' for an empty one. */
export function normaliseDomain(raw: string): string {
  const d = raw.replace(/\.$/, '');
  if (d === '') return '';
  if (d.startsWith('[')) return d.toLowerCase();
  // eslint-disable-next-line no-control-regex
  const ascii = /^[\x00-\x7f]*$/.test(d);
  if (ascii && !/(^|\.)xn--/i.test(d)) return d.toLowerCase();
  const u = domainToUnicode(d.normalize('NFC'));
  // IDNA refused it (a broken A-label, a marked byte): keep it as written, folded, not dropped.
  if (u === '') return ascii ? d.toLowerCase() : foldCase(d);
  return u.normalize('NFC');
}

/** The domain as A-labels (for an ASCII-only envelope); the normal form when IDNA refuses it. */
export function asciiDomain(domain: string): string {
  const n = normaliseDomain(domain);
  if (n.startsWith('[')) return n;
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(n)) return n;
  return domainToASCII(n) || n;
}

/** The A-label spelling of a normal address (what an MTA without SMTPUTF8 would write), or '' when the local part is not ASCII. */
export function asciiSpelling(address: string): string {
  const parts = splitMailbox(address);
  if (!parts) return '';
  // eslint-disable-next-line no-control-regex
  if (!/^[\x00-\x7f]*$/.test(parts.local)) return '';
  return `${normaliseLocal(parts.local)}@${asciiDomain(parts.domain)}`;
}

/** True when an address needs SMTPUTF8 even with its domain in A-labels (a non-ASCII local part). */
export function needsSmtputf8(address: string): boolean {
  const parts = splitMailbox(address);
  // eslint-disable-next-line no-control-regex
  return parts !== null && !/^[\x00-\x7f]*$/.test(parts.local);
}
