/**
 * text-bounce - small readers shared by the plain-text (non-RFC 3464) MTA decoders of this folder.
 * In: the human-readable text of a bounce (DecodeInput.text, LF line endings) or the MIME tree.
 * Out: building blocks for Finding: an empty finding, the enhanced status (RFC 3463) and SMTP reply
 * code (RFC 5321) found in a line, multi-line SMTP replies joined into one diagnostic, addresses.
 * No config keys. Pure functions; no regex here may backtrack badly on long lines.
 */
import { addressFromField } from '../../parse/dsn.js';
import type { MimePart, ParsedMessage } from '../../parse/message.js';
import type { DecodeInput } from '../types.js';
import type { Action, Finding } from '../../types.js';

/** A Finding with every string field empty; the decoder fills what the report states. */
export function newFinding(decodedBy: string, recipient: string, action: Action = 'failed'): Finding {
  return {
    recipient: addressFromField(recipient),
    action,
    status: '',
    replyCode: '',
    diagnostic: '',
    diagnosticType: '',
    remoteMta: '',
    reportingMta: '',
    lastCommand: '',
    decodedBy,
  };
}

// One address normaliser for every decoder: the DSN reader's (quoted local parts, mailto:, <...>).
export { addressFromField };

const LOCAL_STOP = new Set([..." \t\n<>()\"'[],;:@"]);
const DOMAIN_CHAR = /[-A-Za-z0-9.]/;

/** The first e-mail address in a string ('' if none). Prefers one inside <...>. */
export function findAddress(s: string): string {
  const angled = /<([^<>\s@]+@[^<>\s]+)>/.exec(s);
  if (angled && angled[1] !== undefined) return addressFromField(angled[1]);
  // A bare local@domain.tld: grow around each '@' by hand (a regex here backtracks on long tokens).
  for (let at = s.indexOf('@'); at >= 0; at = s.indexOf('@', at + 1)) {
    let a = at;
    while (a > 0 && !LOCAL_STOP.has(s[a - 1]!)) a--;
    let b = at + 1;
    while (b < s.length && DOMAIN_CHAR.test(s[b]!)) b++;
    const domain = s.slice(at + 1, b).replace(/(?<!\.)\.+$/, '');
    if (a < at && /^[A-Za-z0-9][-A-Za-z0-9.]*\.[A-Za-z0-9-]+$/.test(domain)) return addressFromField(s.slice(a, at + 1) + domain);
  }
  return '';
}

// '5.7.606', '4.2.2' - not inside an IP address or a version number such as 4.16.55.1.
const STATUS = /(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?!\.?\d)/;

/** The first RFC 3463 enhanced status code in a string ('' if none). */
export function findStatus(s: string): string {
  const m = STATUS.exec(s);
  return m ? `${m[1]}.${m[2]}.${m[3]}` : '';
}

/** The SMTP reply code that opens a reply line ('550 ...', '550-...', '550 5.1.1'); '' if none. */
export function leadingReplyCode(s: string): string {
  const m = /^\s*([245]\d\d)(?:[\s-]|$)/.exec(s);
  return m && m[1] !== undefined ? m[1] : '';
}

/** A reply code anywhere in a line: first the leading one, then one after "said:" or ": ". */
export function findReplyCode(s: string): string {
  const lead = leadingReplyCode(s);
  if (lead) return lead;
  const m = /(?:^|[\s:\[(])([245]\d\d)(?=[\s-]{1,4}(?:[245]\.\d|[A-Za-z<]))/.exec(s);
  return m && m[1] !== undefined ? m[1] : '';
}

/**
 * Join the lines of one (possibly multi-line) SMTP reply into one string, dropping the repeated
 * "550-5.7.26 " prefixes of continuation lines but keeping the first code and status:
 *   550-5.7.26 Unauthenticated email from example.jp is not accepted due to domain's
 *   550 5.7.26  https://support.google.com/mail/?p=DmarcRejection - gsmtp
 */
export function joinReply(lines: readonly string[]): string {
  const out: string[] = [];
  let first = true;
  for (const raw of lines) {
    const line = raw.trim();
    if (!line) continue;
    if (first) {
      out.push(line.replace(/^([245]\d\d)-/, '$1 '));
      first = false;
      continue;
    }
    const m = /^([245]\d\d)[\s-](?:[245]\.\d{1,3}\.\d{1,3}\s+)?/.exec(line);
    out.push(m ? line.slice(m[0].length) : line);
  }
  return squeeze(out.join(' '));
}

/** Collapse runs of white space and trim. */
export function squeeze(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/**
 * Bounds on what the decoders read. A bounce's own report is a few KB; anything beyond these
 * limits is an attached copy or garbage, and cutting it keeps every regex here linear in practice.
 */
export const MAX_TEXT = 256 * 1024;
export const MAX_LINE = 8 * 1024;

/** The input with its text cut to MAX_TEXT (decoders call this first). */
export function bounded(input: DecodeInput): DecodeInput {
  return input.text.length <= MAX_TEXT ? input : { ...input, text: input.text.slice(0, MAX_TEXT) };
}

/** Split text into lines (the text is LF already; a stray CR is dropped; long lines are cut). */
export function splitLines(text: string): string[] {
  const lines = text.split('\n');
  // Texts are LF-normalised and lines short: fix in place only the lines that need it.
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (line.length > MAX_LINE) line = lines[i] = line.slice(0, MAX_LINE);
    if (line.charCodeAt(line.length - 1) === 13) lines[i] = line.slice(0, -1);
  }
  return lines;
}

/**
 * Join indented continuation lines to the line above, for formats that never indent anything
 * themselves: a relay or client that re-wrapped long lines (with an indent) leaves the same text.
 */
export function unfoldIndented(text: string): string {
  return text.replace(/\n[ \t]+(?=\S)/g, (m, offset: number) => (offset > 0 && text[offset - 1] !== '\n' ? ' ' : m));
}

/** Fill status and reply code from a diagnostic when the finding has none yet. */
export function fillCodes(f: Finding): Finding {
  if (!f.status) f.status = findStatus(f.diagnostic);
  if (!f.replyCode) f.replyCode = findReplyCode(f.diagnostic);
  return f;
}

/** The SMTP command a reply answered, from the text that names it ("after RCPT TO:", ">>> DATA"). */
export function commandOf(s: string): string {
  const u = s.toUpperCase();
  if (/\bRCPT\b/.test(u)) return 'RCPT';
  if (/\bMAIL\s+FROM\b|^\s*(?:>>>\s*)?MAIL\b/.test(u)) return 'MAIL';
  if (/\bDATA\b|END OF DATA|FINAL DATA|AFTER I SENT THE MESSAGE/.test(u)) return 'DATA';
  if (/\bEHLO\b/.test(u)) return 'EHLO';
  if (/\bHELO\b/.test(u)) return 'HELO';
  if (/INITIAL CONNECTION|GREETING|\bCONNECT/.test(u)) return 'CONN';
  return '';
}

/** Depth-first list of the MIME leaves and containers, in order. */
export function walk(part: MimePart, visit: (p: MimePart) => void): void {
  visit(part);
  for (const c of part.parts) walk(c, visit);
}

/** The first attached original message (message/rfc822 child, or text/rfc822-headers text). */
export function originalHeaders(msg: ParsedMessage): { to: string; from: string; subject: string } | null {
  let found: { to: string; from: string; subject: string } | null = null;
  walk(msg.root, (p) => {
    if (found) return;
    if ((p.type === 'message/rfc822' || p.type === 'message/global') && p.parts[0]) {
      const h = p.parts[0].headers;
      found = { to: h.text('to'), from: h.text('from'), subject: h.text('subject') };
    } else if (p.type === 'text/rfc822-headers') {
      found = headersFromText(p.body);
    }
  });
  return found;
}

/** A header field of an inline copy, with its folded lines. The indent is [ \t]*, not \s*: under
 *  the m flag \s would cross line ends, and a run of blank lines would be rescanned from each. */
export const fieldPatterns = {
  To: /^[ \t]*To:[ \t]*(.*(?:\n[ \t]+.*)*)/im,
  From: /^[ \t]*From:[ \t]*(.*(?:\n[ \t]+.*)*)/im,
  Subject: /^[ \t]*Subject:[ \t]*(.*(?:\n[ \t]+.*)*)/im,
};

/** Read To/From/Subject from a block of header text (an inline copy of the original message). */
export function headersFromText(block: string): { to: string; from: string; subject: string } {
  const get = (name: keyof typeof fieldPatterns): string => {
    const m = fieldPatterns[name].exec(block);
    return m && m[1] !== undefined ? squeeze(m[1]) : '';
  };
  return { to: get('To'), from: get('From'), subject: get('Subject') };
}

/**
 * The per-address blocks of a report laid out as "lead line, then <address>: lines each followed by
 * their error lines, then an end marker" (Exim-style; GMX/1&1, Mail.ru, Yahoo). Lines matching
 * `skip` are left out. null when the lead is absent.
 */
export function addressBlocks(
  text: string,
  lead: RegExp,
  end: RegExp,
  addressLine: RegExp,
  skip?: RegExp,
): Array<{ recipient: string; lines: string[] }> | null {
  const m = lead.exec(text);
  if (!m) return null;
  let body = text.slice(m.index + m[0].length);
  const e = end.exec(body);
  if (e) body = body.slice(0, e.index);
  const blocks: Array<{ recipient: string; lines: string[] }> = [];
  for (const line of body.split('\n')) {
    const a = addressLine.exec(line);
    if (a) {
      blocks.push({ recipient: addressFromField(a[1] ?? ''), lines: [] });
      continue;
    }
    const current = blocks[blocks.length - 1];
    if (current && line.trim() !== '' && !(skip && skip.test(line))) current.lines.push(line.trim());
  }
  return blocks;
}

/** Text of the bounce up to the first line that starts the copy of the original message. */
export function cutAt(text: string, markers: readonly RegExp[]): string {
  let end = text.length;
  for (const re of markers) {
    const m = re.exec(text);
    if (m && m.index < end) end = m.index;
  }
  return text.slice(0, end);
}
