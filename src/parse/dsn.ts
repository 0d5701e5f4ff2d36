/**
 * dsn - read the fields of an RFC 3464 delivery-status body (message/delivery-status, and the
 * UTF-8 message/global-delivery-status of RFC 6533) into per-message and per-recipient records.
 * In: the part's text (LF endings). Out: DeliveryStatus: field maps with lower-case names, the
 * first value of each field, unfolded; malformed lines become problems, never exceptions.
 * Also the small value readers every DSN user needs: address types (rfc822, utf-8 with \x{HHHH},
 * xtext +HH), "dns; host" MTA names, Diagnostic-Code type and text, enhanced status (RFC 3463) and
 * SMTP reply code (RFC 5321) inside text, and which status is the more specific.
 * No config keys.
 */
// One decoder of address escapes for every edge (src/address/text.ts): xtext runs are read as UTF-8.
import { decodeAddressEscapes } from '../address/index.js';

export type Fields = Record<string, string>;

export interface DeliveryStatus {
  /** Per-message fields: reporting-mta, arrival-date, received-from-mta, original-envelope-id, ... */
  message: Fields;
  /** One map per recipient, in report order. */
  recipients: Fields[];
  problems: string[];
}

/** Fields that belong to the message, not to a recipient (RFC 3464 section 2.2). */
const PER_MESSAGE = new Set([
  'reporting-mta',
  'dsn-gateway',
  'received-from-mta',
  'arrival-date',
  'original-envelope-id',
  'x-postfix-queue-id',
  'x-postfix-sender',
]);

/** Fields that open a recipient when a recipient is already being read (a blank line went missing). */
const RECIPIENT_START = new Set(['original-recipient', 'final-recipient']);

/** Every field name of RFC 3464 per-recipient records, plus the common X- extensions. */
const PER_RECIPIENT = new Set([
  'original-recipient',
  'final-recipient',
  'action',
  'status',
  'remote-mta',
  'diagnostic-code',
  'last-attempt-date',
  'final-log-id',
  'will-retry-until',
  'x-actual-recipient',
  'x-supplementary-info',
  'x-display-name',
]);

/** A field line "Name: value": the name is 1-64 of [A-Za-z0-9_.-] (starting with a letter or digit),
 *  blanks may precede the ':'. */
function isNameChar(c: number, first: boolean): boolean {
  if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)) return true;
  return !first && (c === 95 || c === 46 || c === 45);
}

/** Index of the ':' that ends the field name of a line, or -1 when the line is not a field. By hand:
 *  this runs for every line of every DSN. Like /^(name)[ \t]*:[ \t]*(.*)$/, a value holding a CR or
 *  a Unicode line separator makes the line no field. */
function fieldColon(raw: string): number {
  const n = raw.length;
  if (n === 0 || !isNameChar(raw.charCodeAt(0), true)) return -1;
  let i = 1;
  while (i < n && i < 64 && isNameChar(raw.charCodeAt(i), false)) i++;
  let j = i;
  while (j < n && (raw.charCodeAt(j) === 32 || raw.charCodeAt(j) === 9)) j++;
  if (j >= n || raw.charCodeAt(j) !== 58) return -1;
  for (let k = j + 1; k < n; k++) {
    const c = raw.charCodeAt(k);
    if (c === 13 || c === 0x2028 || c === 0x2029) return -1;
  }
  return j;
}

/**
 * Parse a delivery-status body. Blocks are separated by blank lines; the first block without a
 * recipient field is the per-message block. Lenient where real MTAs are sloppy: a recipient block
 * without the blank line before it, per-message fields inside the first recipient block, and
 * continuation lines that lost their leading blank (appended to the field before them).
 */
export function parseDeliveryStatus(text: string): DeliveryStatus {
  const message: Fields = {};
  const recipients: Fields[] = [];
  const problems: string[] = [];
  let cur: Fields | null = null;
  let lastName = '';
  let lastTarget: Fields | null = null;

  const lines = text.split('\n');
  for (let raw of lines) {
    if (raw.endsWith('\r')) raw = raw.slice(0, -1);
    if (raw.trim() === '') {
      // Blank line: the recipient block ends; a new one starts with the next field.
      cur = null;
      lastTarget = null;
      continue;
    }
    const c = raw.charCodeAt(0);
    if ((c === 32 || c === 9) && lastTarget) {
      lastTarget[lastName] = joinFolded(lastTarget[lastName] ?? '', raw.trim());
      continue;
    }
    const colon = fieldColon(raw);
    if (colon < 0) {
      if (lastTarget) {
        // Hack: a Diagnostic-Code wrapped without indentation (seen from several MTAs).
        lastTarget[lastName] = joinFolded(lastTarget[lastName] ?? '', raw.trim());
      } else if (problems.length < 20) {
        problems.push(`delivery-status: line is not a field: "${raw.slice(0, 60)}"`);
      }
      continue;
    }
    const name = raw.slice(0, colon).trimEnd().toLowerCase();
    const value = raw.slice(colon + 1).trim();

    if (PER_MESSAGE.has(name) && (cur === null || !(name in message))) {
      if (!(name in message)) message[name] = value;
      lastTarget = message;
      lastName = name;
      continue;
    }
    const isRecipientField = PER_RECIPIENT.has(name);
    if (cur === null) {
      if (!isRecipientField) {
        // Unknown field before any recipient field of this block: per-message extension.
        if (!(name in message)) message[name] = value;
        lastTarget = message;
        lastName = name;
        continue;
      }
      cur = {};
      recipients.push(cur);
    } else if (RECIPIENT_START.has(name) && name in cur) {
      // Second Final-Recipient in one block: the blank line between recipients is missing.
      cur = {};
      recipients.push(cur);
    }
    if (!(name in cur)) cur[name] = value;
    lastTarget = cur;
    lastName = name;
  }
  return { message, recipients: recipients.filter(isRecipient), problems };
}

function isRecipient(f: Fields): boolean {
  return 'final-recipient' in f || 'original-recipient' in f || 'x-actual-recipient' in f || 'action' in f || 'status' in f;
}

function joinFolded(a: string, b: string): string {
  if (a === '') return b;
  if (b === '') return a;
  return a + ' ' + b;
}

/* ------------------------------------------------------------------------------------------- */
/* Value readers                                                                                 */
/* ------------------------------------------------------------------------------------------- */

/** Remove RFC 5322 comments "(...)" (nested, with quoted-pairs) from a structured field value. */
export function stripComments(v: string): string {
  if (v.indexOf('(') < 0) return v.trim();
  let out = '';
  let depth = 0;
  for (let i = 0; i < v.length; i++) {
    const ch = v[i]!;
    if (ch === '\\' && depth > 0) {
      i++;
      continue;
    }
    if (ch === '(') depth++;
    else if (ch === ')' && depth > 0) depth--;
    else if (depth === 0) out += ch;
  }
  return out.replace(/\s+/g, ' ').trim();
}

/** Split "type; value" (address-type, mta-name-type, diagnostic-type). No ';' => type ''. */
export function splitTyped(v: string): { type: string; value: string } {
  const semi = v.indexOf(';');
  if (semi < 0) return { type: '', value: v.trim() };
  const type = v.slice(0, semi).trim().toLowerCase();
  // "smtp; ..." but not "550 5.1.1 <a@b>; text": a type is one short token.
  if (!/^[a-z0-9][a-z0-9._-]{0,30}$/.test(type)) return { type: '', value: v.trim() };
  return { type, value: v.slice(semi + 1).trim() };
}

/** The address a report field or a decoder's text names: no brackets, quotes or mailto: around it, no
 *  trailing dot, domain lower-cased. Not the store's key (address/normal.ts normaliseAddress). */
export function addressFromField(a: string): string {
  let s = a.trim();
  const lt = s.indexOf('<');
  if (lt >= 0) {
    const gt = s.indexOf('>', lt + 1);
    const inner = s.slice(lt + 1, gt < 0 ? s.length : gt).trim();
    if (inner.indexOf('@') > 0 || s.indexOf('@') < 0) s = inner;
  }
  // Strip wrappers, but keep the quotes of a quoted local part ("a..b"@example.org).
  // Two passes (the same result as one alternation under /g); the trailing run is taken from its
  // start only, or it would be rescanned from every position of a long run.
  s = s.replace(/^[\s'<(\[]+/, '').replace(/(?<![\s'>)\].,:;])[\s'>)\].,:;]+$/, '');
  if (s.startsWith('"') && (s.endsWith('"') || s.indexOf('"@') < 0)) s = s.replace(/^"+|"+$/g, '');
  if (s.toLowerCase().startsWith('mailto:')) s = s.slice(7);
  const at = s.lastIndexOf('@');
  if (at < 0) return s;
  return s.slice(0, at) + '@' + s.slice(at + 1).toLowerCase();
}

/**
 * Whether a recipient read from a report looks like an address: a local part, '@', a domain, no
 * blanks outside a quoted local part. A report cut short mid-field leaves "rfc822", "kijitora@"
 * or "ty"; those are not recipients. A source route ("@relay:a@host") still counts.
 */
export function looksLikeAddress(a: string): boolean {
  const at = a.lastIndexOf('@');
  if (at <= 0 || at === a.length - 1) return false;
  const domain = a.slice(at + 1);
  if (!/^(?:[A-Za-z0-9_\u0080-\uffff-]+(?:\.[A-Za-z0-9_\u0080-\uffff-]+)*\.?|\[[^\]\s]+\])$/.test(domain)) return false;
  const local = a.slice(0, at);
  return local.startsWith('"') ? true : !/\s/.test(local);
}

/** An address field value ("rfc822; a@b", "utf-8; a\x{40}b", "<a@b>") to the address. */
export function readAddressField(v: string | undefined): string {
  if (v === undefined) return '';
  const { value } = splitTyped(stripComments(v));
  // An address can itself contain ';' only in a quoted local part: rare enough to ignore.
  return addressFromField(decodeAddressEscapes(value));
}

/** "dns; mx.example.com" (or just the host, maybe with a comment) to the host name. */
export function readMtaField(v: string | undefined): string {
  if (v === undefined) return '';
  const { value } = splitTyped(stripComments(v));
  const sp = value.search(/\s/);
  return (sp < 0 ? value : value.slice(0, sp)).replace(/\.$/, '');
}

/** Status field value: the first RFC 3463 code in it, '' when none. */
export function readStatusField(v: string | undefined): string {
  if (v === undefined) return '';
  return findStatus(v);
}

// 'x.y.z' with class 2/4/5; not part of an IP address or a longer dotted number.
const STATUS_RE = /(?:^|[^\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d]|\.\d)/;

/** The same, for scanning a whole text (shared: findStatuses resets lastIndex before use). */
export const STATUS_RE_G = new RegExp(STATUS_RE.source, 'g');

/** The first RFC 3463 enhanced status code in text ('' if none). */
export function findStatus(s: string): string {
  const m = STATUS_RE.exec(s);
  return m ? `${m[1]}.${Number(m[2])}.${Number(m[3])}` : '';
}

/** Every RFC 3463 code in text, in order (bounded). */
export function findStatuses(s: string): string[] {
  const out: string[] = [];
  const re = STATUS_RE_G;
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null && out.length < 16) {
    out.push(`${m[1]}.${Number(m[2])}.${Number(m[3])}`);
  }
  return out;
}

/** 0 for x.0.0, 1 for x.y.0 or x.0.z, 2 for x.y.z with y and z set. */
export function statusSpecificity(s: string): number {
  if (s === '') return -1;
  const a = s.indexOf('.');
  const b = s.indexOf('.', a + 1);
  if (a < 0 || b < 0) return 0;
  const subj = b - a === 2 && s.charCodeAt(a + 1) === 48 ? 0 : 1;
  const det = s.length - b === 2 && s.charCodeAt(b + 1) === 48 ? 0 : 1;
  return subj + det;
}

/**
 * The most telling code in a diagnostic: the most specific; among equals the last, because a relay
 * quotes the real cause after its own summary:
 *   "5.1.0 - Unknown address error 550-'5.7.1 ... Access denied'"            => 5.7.1
 *   "554 4.4.7 Message expired: unable to deliver <421 4.4.2 Connection timed out>" => 4.4.2
 */
export function bestStatusIn(diagnostic: string): string {
  let best = '';
  for (const c of findStatuses(diagnostic)) {
    if (best === '' || statusSpecificity(c) >= statusSpecificity(best)) best = c;
  }
  return best;
}

/**
 * Pick the status to report. The remote server's own code (in Diagnostic-Code) wins over the
 * Status field the reporting MTA wrote, unless it is less specific:
 *   Status: 5.0.0 + "550 5.7.606 Access denied"  => 5.7.606
 *   Status: 5.1.1 + "550 5.7.1 IP blacklisted"    => 5.7.1 (the server said why)
 *   Status: 5.1.1 + "550 5.0.0 unknown"           => 5.1.1 (never replaced by a vaguer code)
 */
export function mostSpecificStatus(statusField: string, diagnostic: string): string {
  const d = bestStatusIn(diagnostic);
  if (d === '') return statusField;
  if (statusField === '') return d;
  if (statusSpecificity(d) < statusSpecificity(statusField)) return statusField;
  return d;
}

/**
 * The SMTP reply code in a diagnostic: the one that opens it ("550 5.1.1 ..."), else one followed by
 * an enhanced status ("said: 550 5.1.1"), else one after "said:"/"reply:"/"error:" ('' if none).
 */
export function findReplyCode(text: string): string {
  // The code sits near the start of a reply; bounding the input bounds the regexes too.
  const s = text.length > 2000 ? text.slice(0, 2000) : text;
  let m = /^\s*(?:[a-z0-9-]+;\s*)?([245]\d\d)(?=[\s-]|$)/i.exec(s);
  if (m) return m[1]!;
  m = /(?:^|[^\d.#])([245]\d\d)[\s-]{1,3}[245]\.\d{1,3}\.\d{1,3}/.exec(s);
  if (m) return m[1]!;
  // One blank run between tokens: four adjacent \s* around optional tokens made a run of blanks
  // after "said" cost its length to the fourth power.
  m = /(?:said|reply|replied|response|error|code|answer)\s*(?:(?:was|is)\s*)?(?:[:=]\s*)?(?:\(\s*)?([245]\d\d)(?=[\s\-)]|$)/i.exec(s);
  if (m) return m[1]!;
  m = /(?:^|[\s:(\[])([245]\d\d)[ -](?=[A-Z<#])/.exec(s);
  return m ? m[1]! : '';
}

/** Collapse white space runs to one space and trim. */
export function squeeze(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** The SMTP command a reply answered, from text naming it ("in reply to RCPT TO command"). */
export function findLastCommand(s: string): string {
  const m = /in reply to (?:end of )?(DATA|RCPT TO|MAIL FROM|HELO|EHLO|RCPT|MAIL|STARTTLS|AUTH|XFORWARD|BDAT)\b/i.exec(s)
    ?? /after (?:end of )?(DATA|RCPT TO|MAIL FROM|HELO|EHLO|RCPT|MAIL|initial connection)\b/i.exec(s)
    ?? /^>>> (DATA|RCPT TO|MAIL FROM|HELO|EHLO|RCPT|MAIL)\b/im.exec(s);
  if (!m) return '';
  return commandName(m[1]!);
}

/** Canonical command token for the Finding.lastCommand field. */
export function commandName(c: string): string {
  const u = c.toUpperCase();
  if (u.startsWith('RCPT')) return 'RCPT';
  if (u.startsWith('MAIL')) return 'MAIL';
  if (u === 'DATA' || u === 'BDAT') return 'DATA';
  if (u === 'EHLO') return 'EHLO';
  if (u === 'HELO') return 'HELO';
  if (u.startsWith('INITIAL') || u === 'CONNECT') return 'CONN';
  return u;
}
