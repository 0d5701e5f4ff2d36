/**
 * parse/repair - broken senders whose bounces mailparser alone would lose: a boundary that lost
 * its folding blank, a boundary that never occurs or no delimiter at all, a second report after
 * the closing delimiter. Each looks for its pattern with Buffer.indexOf first, so a well-formed
 * message pays next to nothing; each repair is noted in the message's problems.
 */
import { bytesToText, runMailparser, type Ctx, type MailparserResult } from './mailparser.js';

/* ------------------------------------------------------------------------------------------- */
/* Repairs: broken senders whose bounces mailparser alone would lose. Each looks for its pattern  */
/* with Buffer.indexOf first, so a well-formed message pays next to nothing.                     */
/* ------------------------------------------------------------------------------------------- */

const LF = 0x0a;
const CR = 0x0d;

/**
 * Hack: some relays drop the leading blank of a folded Content-Type line, leaving
 *   Content-Type: multipart/alternative;
 *   boundary="----=_Part_1"
 * mailparser then sees no boundary and loses every part below. A line starting with
 * `boundary=` right after a line ending in ';' is indented back into its field.
 */
export function indentLostFolds(buf: Buffer, problems: string[]): Buffer {
  if (!LOST_FOLD_MARKS.some((m) => buf.indexOf(m) >= 0)) return buf;
  const s = buf.toString('latin1');
  const fixed = s.replace(/;([ \t]*\r?\n)(boundary=)/gi, ';$1\t$2');
  if (fixed === s) return buf;
  problems.push('folded Content-Type line without its leading blank (boundary=...): read as folded');
  return Buffer.from(fixed, 'latin1');
}

const LOST_FOLD_MARKS = ['\nboundary=', '\nBoundary=', '\nBOUNDARY='].map((m) => Buffer.from(m, 'latin1'));

/** Where the body starts: after the first empty line (the end of the header section), or the end. */
function bodyStart(buf: Buffer): number {
  for (let i = 0; ; ) {
    const nl = buf.indexOf(LF, i);
    if (nl < 0) return buf.length;
    if (buf[nl + 1] === LF) return nl + 2;
    if (buf[nl + 1] === CR && buf[nl + 2] === LF) return nl + 3;
    i = nl + 1;
  }
}

/** Index of the line `--boundary` (closing: `--boundary--`) at or after `from`, alone on its line
 *  but for blanks; -1 when there is none. Returns the index just after its line break in `end`. */
function delimiterLine(buf: Buffer, boundary: string, from: number, closing: boolean): { at: number; end: number } | null {
  const needle = Buffer.from(`--${boundary}${closing ? '--' : ''}`, 'latin1');
  let i = from;
  for (;;) {
    const at = buf.indexOf(needle, i);
    if (at < 0) return null;
    i = at + needle.length;
    if (at > 0 && buf[at - 1] !== LF) continue;
    let j = i;
    while (buf[j] === 0x20 || buf[j] === 0x09) j++;
    if (j < buf.length && buf[j] === CR) j++;
    if (j < buf.length && buf[j] !== LF) continue;
    return { at, end: Math.min(j + 1, buf.length) };
  }
}

/** The first line of a body that looks like a MIME delimiter ("--something"), for a message whose
 *  declared boundary never occurs. */
function guessBoundary(body: Buffer): string | null {
  const head = body.subarray(0, 256 * 1024).toString('latin1');
  const m = /^--([^\s]{4,200}?)(?:--)?[ \t]*\r?$/m.exec(head);
  if (!m || /^-+$/.test(m[1]!)) return null;
  return m[1]!;
}

/** A body given to mailparser again, under a header of our own. */
function withHeader(contentType: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`Content-Type: ${contentType}\r\n\r\n`, 'latin1'), body]);
}

function isEmpty(r: MailparserResult): boolean {
  return r.text.trim() === '' && r.html === '' && r.attachments.length === 0;
}

/**
 * A multipart message mailparser read no part of, or whose closing delimiter is followed by
 * more parts. Returns what the repair read, to be added to the first parse's; null when there
 * was nothing to repair.
 *  - Hack: the declared boundary never occurs, another delimiter line does (a relay rewrote one
 *    of them): the body is read again with that boundary.
 *  - Hack: no delimiter at all (a converter stripped the MIME structure): the body is the text.
 *  - Hack: two reports in one file reuse the boundary after the closing delimiter: the rest is
 *    read again with the same boundary, and its parts follow the first ones.
 */
export async function repairMultipart(input: Buffer, type: string, boundary: string, r: MailparserResult, ctx: Ctx): Promise<MailparserResult | null> {
  const start = bodyStart(input);
  if (isEmpty(r)) {
    const body = input.subarray(start);
    const guessed = guessBoundary(body);
    if (guessed !== null && guessed !== boundary) {
      const again = await runMailparser(withHeader(`${type}; boundary="${guessed}"`, body), ctx.maxParts);
      if (again.error === null && !isEmpty(again)) {
        ctx.problems.push(`boundary "${boundary.slice(0, 60)}" not found; read with "${guessed.slice(0, 60)}"`);
        return again;
      }
    }
    if (body.length === 0) return null;
    ctx.problems.push(`${type} has no parts (no delimiter line); body read as text`);
    return { headerLines: undefined, headers: undefined, text: bytesToText(body, undefined), html: '', attachments: [], error: null };
  }
  if (boundary === '') return null;
  const close = delimiterLine(input, boundary, start, true);
  if (close === null || delimiterLine(input, boundary, close.end, false) === null) return null;
  const again = await runMailparser(withHeader(`${type}; boundary="${boundary}"`, input.subarray(close.end)), ctx.maxParts);
  if (again.error !== null || isEmpty(again)) return null;
  ctx.problems.push(`${type}: parts after the closing delimiter (two reports in one file?) read as well`);
  return again;
}

