/**
 * verp - read and write plain VERP return paths, and strip forwarding wrappers.
 * In: an envelope address (RCPT TO of a bounce, or a Return-Path). Out: the recipient it stands for.
 *
 * Plain form (Postfix VERP_README, qmail verp.txt): `<prefix><delimiter><local><equals><domain>@<bounce-domain>`,
 * e.g. `bounces+alice=example.com@bounces.example.com`. The signed form (sign.ts) puts a tag between
 * prefix and recipient: `bounces+1123ab3defgh+alice=example.com@...`; this file only recognises its shape.
 * Wrappers stripped first (bounce-semantics.md 3.9-3.10): SRS0/SRS1 (postsrsd), BATV `prvs=` and
 * `msprvs1=` (Exim, IronPort), also the sub-address form `user+prvs=...`.
 * Config keys read (through VerpOptions): verp.domains, verp.prefix, verp.delimiter, verp.equals.
 *
 * Internationalized recipients (RFC 6531): the recipient's domain is written as A-labels
 * when its local part is ASCII, so the return path is plain ASCII and the message can travel
 * through an MTA that does not offer SMTPUTF8 (the bounce then names the A-label spelling, which
 * normalises to the same address). A non-ASCII local part needs SMTPUTF8 anyway; its domain stays
 * in U-labels (shorter). Decoding takes every spelling - raw UTF-8, A-labels, Postfix's quoted
 * form with a backslash before each 8-bit byte - and returns the address in normal form
 * (src/address/normal.ts).
 */
import { asciiDomain, needsSmtputf8, normaliseAddress, normaliseDomain, splitMailbox, unquoteLocal, foldCase } from '../address/normal.js';

export interface VerpOptions {
  /** Bounce domains we accept mail for; compared case-insensitively. */
  domains: readonly string[];
  /** Local-part prefix, e.g. 'bounces'. May be '' (then the local part is just `local=domain`). */
  prefix: string;
  /** Between prefix, tag and recipient, e.g. '+'. One character. */
  delimiter: string;
  /** Replaces '@' of the recipient, e.g. '='. One character. */
  equals: string;
}

export const DEFAULT_VERP: VerpOptions = { domains: ['bounces.localhost'], prefix: 'bounces', delimiter: '+', equals: '=' };

/** Shape of a signing tag: key id (1 digit), expiry day mod 1000 (3 digits), 8 base32 MAC chars. */
export const TAG_RE = /^[0-9][0-9]{3}[a-z2-7]{8}$/;
export const TAG_LENGTH = 12;

export interface DecodedVerp {
  /** The address the bounce is about, in normal form; '' when the local part names none. */
  recipient: string;
  /** Signing tag found between prefix and recipient ('' for the plain form). Lower-case. */
  tag: string;
  /** The bounce domain the address was sent to, lower-case. */
  bounceDomain: string;
}

/** Split an address at its last '@'; strips angle brackets and surrounding space, and the quotes
 *  of a quoted local part that does not need them. */
export function splitAddress(address: string): { local: string; domain: string } | null {
  const a = address.trim().replace(/^<(.*)>$/, '$1');
  const at = a.lastIndexOf('@');
  if (at <= 0 || at === a.length - 1) return null;
  return { local: unquoteLocal(a.slice(0, at)), domain: a.slice(at + 1).toLowerCase() };
}

/**
 * Remove SRS and BATV wrappers until none is left. Returns the inner address, or the input
 * unchanged. SRS keeps the original local part case; domains come back lower-cased.
 */
export function stripWrappers(address: string): string {
  let cur = address.trim().replace(/^<(.*)>$/, '$1');
  // A forwarder may wrap a prvs address (the inumbo sample in bounce-semantics.md 3.10), so loop.
  for (let i = 0; i < 4; i++) {
    const parts = splitAddress(cur);
    if (!parts) return cur;
    const { local, domain } = parts;
    let m: RegExpMatchArray | null;
    // SRS1=HHHH=first-forwarder==HHHH=TT=orig-domain=orig-local@second-forwarder
    if ((m = /^srs1[=+-][^=]+=[^=]+==[^=]+=[^=]+=([^=]+)=(.+)$/i.exec(local))) {
      cur = `${m[2]}@${m[1]!.toLowerCase()}`;
      continue;
    }
    // SRS0=HHHH=TT=orig-domain=orig-local@forwarder
    if ((m = /^srs0[=+-][^=]+=[^=]+=([^=]+)=(.+)$/i.exec(local))) {
      cur = `${m[2]}@${m[1]!.toLowerCase()}`;
      continue;
    }
    // prvs=KDDDSSSSSS=local@domain (tag length varies by vendor: 9-10 hex chars seen)
    if ((m = /^(?:prvs|msprvs1)=[0-9a-z]{6,12}=(.+)$/i.exec(local))) {
      cur = `${m[1]}@${domain}`;
      continue;
    }
    // Sub-address form recommended by the batv-tools author: user+prvs=KDDDSSSSSS
    if ((m = /^(.+?)[+-](?:prvs|msprvs1)=[0-9a-z]{6,12}$/i.exec(local))) {
      cur = `${m[1]}@${domain}`;
      continue;
    }
    return cur;
  }
  return cur;
}

/**
 * True for an SRS rewrite (SRS0=HHH=TT=domain=local@forwarder, SRS1=..., also under a BATV
 * prvs= tag): a forwarder's own address, which the forwarder reverses before the bounce reaches
 * the original sender. rebound never issues one, so at RCPT it is never ours (sign.ts).
 */
export function isSrsAddress(address: string): boolean {
  const parts = splitAddress(address);
  if (!parts) return false;
  const batv = /^(?:prvs|msprvs1)=[0-9a-z]{6,12}=(.+)$/i.exec(parts.local);
  return /^srs[01][=+-]/i.test(batv ? batv[1]! : parts.local);
}

/** How a recipient's domain is written inside a return path: A-labels unless the local part needs SMTPUTF8. */
export function verpDomain(recipient: string, domain: string): string {
  return needsSmtputf8(recipient) ? normaliseDomain(domain) : asciiDomain(domain);
}

/** Build the plain VERP return path for one recipient (local part as given, in NFC). */
export function encodeVerp(recipient: string, opts: VerpOptions, bounceDomain = opts.domains[0] ?? ''): string {
  const parts = splitMailbox(recipient);
  if (!parts || normaliseAddress(recipient) === '') throw new TypeError(`not an address: ${JSON.stringify(recipient)}`);
  if (!bounceDomain) throw new TypeError('no bounce domain configured (verp.domains)');
  const head = opts.prefix ? `${opts.prefix}${opts.delimiter}` : '';
  const local = unquoteLocal(parts.local).normalize('NFC');
  return `${head}${local}${opts.equals}${verpDomain(recipient, parts.domain)}@${bounceDomain.toLowerCase()}`;
}

/** True when `domain` is one of the configured bounce domains. */
export function isBounceDomain(domain: string, opts: VerpOptions): boolean {
  const d = domain.toLowerCase().replace(/\.$/, '');
  return opts.domains.some((x) => x.toLowerCase() === d);
}

/**
 * Read a return path in either form. Returns null when the address is not at a bounce domain or
 * lacks the prefix: such an address is not ours (intake refuses it, 550 5.1.1).
 * The local part is case-folded first: some MTAs fold case, and the tag alphabet is case-free.
 */
export function decodeVerp(address: string, opts: VerpOptions): DecodedVerp | null {
  const parts = splitAddress(stripWrappers(address));
  if (!parts || !isBounceDomain(parts.domain, opts)) return null;
  // Prefix, delimiter and tag are compared without case; the recipient part is left as written
  // for normaliseAddress, which folds its local part and maps its domain by IDNA (folding the
  // domain as text would turn faß.de into fass.de, another domain).
  const local = parts.local.normalize('NFC');
  const head = opts.prefix ? `${opts.prefix}${opts.delimiter}` : '';
  const bounceDomain = parts.domain.replace(/\.$/, '');
  // The bare prefix is the return path of a sender that does not use VERP: ours, but names nobody.
  if (opts.prefix && foldCase(local) === foldCase(opts.prefix)) return { recipient: '', tag: '', bounceDomain };
  if (foldCase(local.slice(0, head.length)) !== foldCase(head)) return null;
  let rest = local.slice(head.length);
  let tag = '';
  const maybeTag = rest.slice(0, TAG_LENGTH).toLowerCase();
  if (rest.length > TAG_LENGTH && TAG_RE.test(maybeTag) && rest[TAG_LENGTH] === opts.delimiter) {
    tag = maybeTag;
    rest = rest.slice(TAG_LENGTH + 1);
  }
  // The recipient's domain cannot contain the equals character, its local part can: split at the last one.
  const eq = rest.lastIndexOf(opts.equals);
  const recipient = eq > 0 && eq < rest.length - 1 ? normaliseAddress(`${rest.slice(0, eq)}@${rest.slice(eq + 1)}`) : '';
  return { recipient, tag, bounceDomain };
}
