/**
 * store/normalise - one canonical spelling per address, so that every bounce, reset and query for
 * the same mailbox lands on the same `addresses` row.
 *
 * In: an address as a bounce, a CSV or an operator wrote it. Out: the canonical form, or '' when
 * the input is not an address at all. See docs/STATE-RULES.md "Address normalisation".
 *
 * Rules (why each):
 * - Strip angle brackets, `mailto:`, an RFC 3464 `rfc822;` type prefix and surrounding space:
 *   decoders and CSV files carry all of these.
 * - The domain is lower-cased and converted to IDNA A-labels with node:url domainToASCII
 *   (RFC 5890), so `bücher.example` and `xn--bcher-kva.example` are the same address.
 * - The local part is lower-cased too. RFC 5321 lets it be case-sensitive, but virtually no
 *   mailbox provider treats it so, bounces routinely echo it in another case, and splitting one
 *   person's state across two spellings is the worse failure. It is NFC-normalised (RFC 6531 UTF-8
 *   local parts) and otherwise kept: no dot or +tag folding - that is provider policy, not ours.
 */
import { domainToASCII } from 'node:url';

/**
 * Already canonical, and spelled so that the general path below would return it unchanged: ASCII
 * lower case, no brackets or prefixes, LDH domain labels, no A-labels (domainToASCII may reject a
 * bad one), and a last label that starts with a letter (WHATWG host parsing reads a last label
 * that is a number as IPv4: `a@b.0x10`). Most lookups on the status socket are spelled like this;
 * the fast path skips domainToASCII and four string copies (~1 us of a ~25 us lookup).
 */
const CANONICAL = /^[a-z0-9!#$%&'*+/=?^_`{|}~.-]+@(?:[a-z0-9-]+\.)*[a-z][a-z0-9-]*$/;

export function normaliseAddress(input: string): string {
  if (CANONICAL.test(input) && !input.includes('xn--')) return input;
  return normaliseGeneral(input);
}

/** The general path (every spelling); exported so a test can check the fast path against it. */
export function normaliseGeneral(input: string): string {
  let s = input.trim();
  s = s.replace(/^rfc822\s*;\s*/i, '').replace(/^mailto:/i, '').trim();
  if (s.startsWith('<') && s.endsWith('>')) s = s.slice(1, -1).trim();
  const at = s.lastIndexOf('@');
  if (at <= 0 || at === s.length - 1) return '';
  const local = s.slice(0, at).normalize('NFC').toLowerCase();
  const rawDomain = s.slice(at + 1).replace(/\.$/, '');
  if (/[\s<>]/.test(local) || /[\s<>@]/.test(rawDomain)) return '';
  // Address literals ([192.0.2.1]) are kept as written, lower-cased.
  let domain: string;
  if (rawDomain.startsWith('[')) domain = rawDomain.toLowerCase();
  else {
    domain = domainToASCII(rawDomain.normalize('NFC').toLowerCase());
    if (domain === '') return '';
  }
  return `${local}@${domain}`;
}
