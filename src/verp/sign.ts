/**
 * sign - the signed VERP form that lets intake refuse forged bounces (backscatter) at RCPT.
 * In: a recipient address, the verp config slice, the time. Out: a return path, or a verdict on one.
 *
 * Form: `<prefix><delim><k><ddd><mac><delim><local><equals><domain>@<bounce-domain>`, e.g.
 *   bounces+1123ab3defgh+alice=example.com@bounces.example.com
 * - k: key id, one digit 0-9, for rotation (BATV prvs, bounce-semantics.md 3.9). The FIRST key in
 *   `verp.keys` signs; every listed key verifies, so a new key goes first and the old one stays
 *   until its addresses expire.
 * - ddd: expiry day, (floor(now / 1 day) + verp.maxAgeDays) mod 1000, as in prvs.
 * - mac: HMAC-SHA256(secret, k + ddd + recipient in normal form), first 40 bits, base32
 *   lower-case: case-insensitive end to end because some MTAs fold local parts (postsrsd does the
 *   same, 3.10). The normal form (src/address/normal.ts) is lower case for ASCII addresses, so
 *   their tags are what they always were; an internationalized recipient signs its U-label form,
 *   and a tag made over its A-label spelling (rebound before internationalized addresses) still verifies.
 * - The recipient's domain is written as A-labels when its local part is ASCII (verp.ts
 *   verpDomain), so such a return path needs no SMTPUTF8.
 * The local part must fit in 64 octets (RFC 5321 4.5.3.1.1); a recipient too long to sign is an
 * error (verp-too-long), never a silently longer address.
 * Config keys: verp.domains, verp.prefix, verp.delimiter, verp.equals, verp.keys[{id, secret |
 * secretFile | secretEnv}], verp.maxAgeDays, verp.requireSignature.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DaemonError } from '../errors.js';
import { asciiSpelling, normaliseAddress } from '../address/normal.js';
import type { ReturnPathVerdict, VerifyStatus } from '../types.js';
import { TAG_LENGTH, decodeVerp, isSrsAddress, verpDomain, type VerpOptions } from './verp.js';

/**
 * A key as config gives it (`verp.keys`, strings): `SECRET`, or `N:SECRET` to pin the key id N.
 * Without a pinned id the id is a digit derived from the secret itself, so rotating keys needs no
 * bookkeeping; two keys that share a digit are both tried. Objects are for library callers.
 */
export type VerpKey = string | { id: number | string; secret?: string; secretFile?: string; secretEnv?: string };

export interface SignOptions extends VerpOptions {
  keys: readonly VerpKey[];
  /** Days a signed address stays valid. Default 30. At most 500, since the day wraps at 1000. */
  maxAgeDays?: number;
}

export interface CheckOptions extends SignOptions {
  /** Refuse unsigned, badly signed and expired return paths (550 5.7.1). */
  requireSignature?: boolean;
  /** Let a bounce at an unverified return path change address state (judged at intake). */
  allowUnverifiedState?: boolean;
}

export type { VerifyStatus } from '../types.js';

export interface VerifyResult {
  status: VerifyStatus;
  /** The address the bounce is about ('' when the return path names none). */
  recipient: string;
  /** Key id and expiry day from the tag, when there is one. */
  keyId?: number;
  expiresDay?: number;
  /** Days until expiry (negative once expired); present for signed forms. */
  daysLeft?: number;
}

const DAY_MS = 86_400_000;
const B32 = 'abcdefghijklmnopqrstuvwxyz234567';

function base32(buf: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

/** The secret of one key, read from the config value, a file or an environment variable. */
export function keySecret(key: VerpKey): string {
  if (typeof key === 'string') return /^[0-9]:./s.test(key) ? key.slice(2) : key;
  if (key.secret) return key.secret;
  if (key.secretFile) return readFileSync(key.secretFile, 'utf8').trim();
  if (key.secretEnv) {
    const v = process.env[key.secretEnv];
    if (v) return v;
    throw new DaemonError('verp-no-key', `verp key ${String(key.id)}: environment variable ${key.secretEnv} is not set`);
  }
  throw new DaemonError('verp-no-key', `verp key ${String(key.id)}: no secret, secretFile or secretEnv`);
}

function keyId(key: VerpKey): number {
  if (typeof key === 'string') {
    if (/^[0-9]:./s.test(key)) return Number(key[0]);
    return createHmac('sha256', 'rebound key id').update(key).digest()[0]! % 10;
  }
  const n = Number(key.id);
  if (!Number.isInteger(n) || n < 0 || n > 9) {
    throw new DaemonError('verp-no-key', `verp key id must be a digit 0-9, got ${JSON.stringify(key.id)}`);
  }
  return n;
}

function mac(secret: string, k: number, ddd: string, recipient: string): string {
  const h = createHmac('sha256', secret).update(`${k}${ddd}${recipient}`).digest();
  return base32(h.subarray(0, 5));
}

function maxAge(opts: SignOptions): number {
  const d = opts.maxAgeDays ?? 30;
  if (!Number.isInteger(d) || d < 1 || d > 500) throw new DaemonError('config', `verp.maxAgeDays: expected integer 1-500, got ${d}`);
  return d;
}

/** Build a signed return path for `recipient`, valid for verp.maxAgeDays from `now`. */
export function signReturnPath(recipient: string, opts: SignOptions, now: number = Date.now()): string {
  const key = opts.keys[0];
  if (!key) throw new DaemonError('verp-no-key', 'cannot sign: no key in verp.keys');
  const rcpt = normaliseAddress(recipient);
  const at = rcpt.lastIndexOf('@');
  // A local part that needs quotes cannot be carried inside another local part.
  if (rcpt === '' || rcpt.includes('"')) {
    throw new DaemonError('verp-malformed', `not a plain address: ${JSON.stringify(recipient)}`);
  }
  const parts = { local: rcpt.slice(0, at), domain: rcpt.slice(at + 1) };
  const k = keyId(key);
  const ddd = String((Math.floor(now / DAY_MS) + maxAge(opts)) % 1000).padStart(3, '0');
  const tag = `${k}${ddd}${mac(keySecret(key), k, ddd, rcpt)}`;
  const head = opts.prefix ? `${opts.prefix}${opts.delimiter}` : '';
  const local = `${head}${tag}${opts.delimiter}${parts.local}${opts.equals}${verpDomain(rcpt, parts.domain)}`;
  if (Buffer.byteLength(local) > 64) {
    throw new DaemonError('verp-too-long', `signed local part for ${rcpt} is ${Buffer.byteLength(local)} octets; RFC 5321 allows 64`);
  }
  const domain = opts.domains[0];
  if (!domain) throw new DaemonError('config', 'cannot sign: verp.domains is empty');
  return `${local}@${domain.toLowerCase()}`;
}

/** Read and check a return path (either form). Never throws on bad input. */
export function verifyReturnPath(address: string, opts: SignOptions, now: number = Date.now()): VerifyResult {
  const d = decodeVerp(address, opts);
  if (!d) return { status: 'not-ours', recipient: '' };
  if (!d.tag) return { status: 'unsigned', recipient: d.recipient };
  const k = Number(d.tag[0]);
  const ddd = d.tag.slice(1, 4);
  const got = d.tag.slice(4, TAG_LENGTH);
  const today = Math.floor(now / DAY_MS) % 1000;
  // Modular day arithmetic as in prvs: days left in (-500, 500].
  let daysLeft = (Number(ddd) - today + 1000) % 1000;
  if (daysLeft > 500) daysLeft -= 1000;
  const base = { recipient: d.recipient, keyId: k, expiresDay: Number(ddd), daysLeft };
  const candidates = opts.keys.filter((x) => keyId(x) === k);
  if (candidates.length === 0) return { status: 'unknown-key', ...base };
  // The normal form signs; the A-label spelling is what rebound signed for IDN domains before.
  const spellings = [d.recipient];
  const ascii = asciiSpelling(d.recipient);
  if (ascii !== '' && ascii !== d.recipient) spellings.push(ascii);
  const good = candidates.some((key) =>
    spellings.some((r) => timingSafeEqual(Buffer.from(mac(keySecret(key), k, ddd, r)), Buffer.from(got))),
  );
  if (!good) return { status: 'bad-signature', ...base };
  if (daysLeft < 0 || daysLeft > maxAge(opts)) return { status: 'expired', ...base };
  return { status: 'valid', ...base };
}

export type RcptDecision =
  /** Take it; `verified` false means "record, but change no address state unless allowed". */
  | { accept: true; recipient: string; verified: boolean; status: VerifyStatus }
  /** Refuse it: code/enhanced/text ready for the SMTP reply. */
  | { accept: false; code: 550; enhanced: '5.1.1' | '5.7.1'; text: string; status: VerifyStatus };

/**
 * The RCPT-time rule: not at a bounce domain or no prefix -> 550 5.1.1 (never a relay).
 * Signature required and missing/bad/expired -> 550 5.7.1. Not required: a valid or absent tag is
 * trusted (plain VERP senders), a bad or expired one is accepted but unverified.
 */
export function checkReturnPath(address: string, opts: CheckOptions, now: number = Date.now()): RcptDecision {
  // An SRS-wrapped return path is a forwarder's address: at a foreign domain it is a relay
  // attempt, at our own it is a format we never issue. Either way not ours.
  if (isSrsAddress(address)) return { accept: false, code: 550, enhanced: '5.1.1', text: 'no such bounce address (SRS rewrites are not ours)', status: 'not-ours' };
  const r = verifyReturnPath(address, opts, now);
  if (r.status === 'not-ours') return { accept: false, code: 550, enhanced: '5.1.1', text: 'no such bounce address', status: r.status };
  if (r.status === 'valid') return { accept: true, recipient: r.recipient, verified: true, status: r.status };
  if (opts.requireSignature) return { accept: false, code: 550, enhanced: '5.7.1', text: 'invalid bounce address', status: r.status };
  return { accept: true, recipient: r.recipient, verified: r.status === 'unsigned', status: r.status };
}

/** What intake keeps of one accepted return path (types.ts ReturnPathVerdict), from its verdict. */
export function verdictOf(returnPath: string, r: { status: VerifyStatus; recipient: string }, opts: CheckOptions): ReturnPathVerdict {
  const verified = r.status === 'valid' || (r.status === 'unsigned' && !opts.requireSignature);
  return { returnPath, address: r.recipient, status: r.status, verified, mayChangeState: verified || Boolean(opts.allowUnverifiedState) };
}

/**
 * What the envelope recipients of a message say, judged once where intake builds the envelope
 * (IMAP: intake/imap-session.ts envelopeFromHeaders) and, for messages stored before intake kept it, where the
 * store reads them back (the legacy path, store/messages.ts). `at` is the receipt time, so a
 * then-valid signature is not judged expired later. SMTP/LMTP keep their RCPT decision instead
 * (intake/smtp.ts), which is the same verdict (checkReturnPath is verifyReturnPath plus refusals).
 */
export function learnReturnPaths(rcptTo: readonly string[], opts: CheckOptions, at: number): ReturnPathVerdict[] {
  return rcptTo.map((returnPath) => verdictOf(returnPath, verifyReturnPath(returnPath, opts, at), opts));
}
