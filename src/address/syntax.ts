/**
 * address/syntax - is this text a mailbox someone could send to? For addresses a person or a
 * program types at an edge (the status socket, the CLI), where a malformed one is a mistake to
 * report, not data to keep. Addresses found in bounces are never judged here: they are stored as
 * the report wrote them (normal.ts), however odd.
 *
 * In: text. Out: undefined, or what is wrong, in words. The rules are RFC 5321 4.1.2 (Mailbox,
 * Dot-string, Quoted-string, address literals) and 4.5.3.1 (64-octet local part, 255-octet
 * domain), RFC 6531 for UTF-8 (IDNA for the domain, via node:url like normal.ts), with one
 * tolerance: dots anywhere in an unquoted local part (`.a`, `a.`, `a..b`). RFC 5321 forbids them,
 * but Japanese mobile carriers handed out such addresses for years and mail to them still flows;
 * a lookup for one must find it.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { domainToASCII } from 'node:url';
import { splitMailbox } from './normal.js';

// RFC 5322 atext plus RFC 6532 UTF8-non-ascii, and the dot (see above).
const LOOSE_DOT_STRING = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\u{10FFFF}.-]+$/u;
// RFC 5321 Quoted-string: qtextSMTP (printable ASCII but " and \, or UTF-8) and quoted-pairSMTP.
// eslint-disable-next-line no-control-regex
const QUOTED_STRING = /^"(?:[\x20\x21\x23-\x5b\x5d-\x7e\u0080-\u{10FFFF}]|\\[\x20-\x7e])*"$/u;
const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

export function mailboxProblem(input: string): string | undefined {
  // Readers (the status socket's UTF-8 decoding, smtp-server) put U+FFFD for bytes that are not
  // UTF-8; answering for the address with U+FFFD in it would answer for an address nobody sent.
  if (input.includes('\uFFFD')) return 'not UTF-8 (bytes that are not UTF-8, read as U+FFFD; RFC 6531 addresses are UTF-8)';
  const parts = splitMailbox(input);
  if (!parts) return 'not one mailbox (local@domain, one @, no empty part)';
  const { local, domain } = parts;
  if (local.startsWith('"')) {
    if (!QUOTED_STRING.test(local)) return 'local part: unbalanced quotes or a bad character in quotes';
  } else if (!LOOSE_DOT_STRING.test(local) || /^\.+$/.test(local)) {
    return 'local part: characters outside RFC 5321 atext (quote the local part to use them)';
  }
  if (Buffer.byteLength(local) > 64) return 'local part longer than 64 octets (RFC 5321 4.5.3.1.1)';
  return domainProblem(domain);
}

function domainProblem(domain: string): string | undefined {
  if (domain.startsWith('[')) {
    const m = /^\[(?:IPv6:(.*)|(.*))\]$/i.exec(domain);
    if (m && m[1] !== undefined ? isIPv6(m[1]) : m !== null && isIPv4(m[2]!)) return undefined;
    return 'domain: not an IPv4 or IPv6 address literal';
  }
  // eslint-disable-next-line no-control-regex
  const ascii = /^[\x00-\x7f]*$/.test(domain) && !/(^|\.)xn--/i.test(domain) ? domain : domainToASCII(domain);
  if (ascii === '') return 'domain: not a valid internationalised domain name (IDNA)';
  if (ascii.length > 255) return 'domain longer than 255 octets';
  const labels = ascii.split('.');
  if (!labels.every((l) => LDH_LABEL.test(l))) return 'domain: each label must be letters, digits and inner hyphens, 1-63 long';
  return undefined;
}
