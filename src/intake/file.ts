/**
 * intake/file - read messages from files, directories (recursively, in name order), mbox files and
 * stdin ('-'). In: paths. Out: one item per message, `{ source, raw }`, or `{ source, error }` for a
 * path that cannot be read; the caller reports errors and carries on with the rest.
 *
 * An mbox is recognised by its first line ("From " envelope line). Messages inside are numbered
 * from 1 and named `path#n`; a new one starts at an envelope line ("From sender date") after a
 * blank line, in files with LF or CRLF line endings; a file with CR-only line endings (message or
 * mbox) is read with LF instead, since the MIME parser reads CRLF and LF only. Both mboxo and mboxrd quoting are
 * undone (">From " -> "From "), which is lossy only for mboxo files that had a literal ">From "
 * line - harmless for bounces.
 */
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** `permanent`: the input can never be stored (reading it again cannot help; `rebound ingest -` exits 65). */
export type InputItem = { source: string; raw: Buffer } | { source: string; error: string; permanent?: true };

/** Bytes read from stdin at most; a bigger stream is an error, not an out-of-memory crash. */
const MAX_STDIN_BYTES = 256 * 1024 * 1024;

export async function* readInputs(paths: string[]): AsyncGenerator<InputItem> {
  for (const path of paths) {
    if (path === '-') {
      let raw: Buffer;
      try {
        raw = await readStdin();
      } catch (err) {
        yield { source: '-', error: describe(err), ...(err instanceof StdinTooBig ? { permanent: true as const } : {}) };
        continue;
      }
      yield* splitMessages('-', raw);
      continue;
    }
    yield* readPath(path);
  }
}

async function* readPath(path: string): AsyncGenerator<InputItem> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    yield { source: path, error: describe(err) };
    return;
  }
  if (info.isDirectory()) {
    let names: string[];
    try {
      names = (await readdir(path)).sort();
    } catch (err) {
      yield { source: path, error: describe(err) };
      return;
    }
    for (const name of names) {
      // Hidden files (editor droppings, .DS_Store) are never messages.
      if (name.startsWith('.')) continue;
      yield* readPath(join(path, name));
    }
    return;
  }
  if (!info.isFile()) {
    yield { source: path, error: 'not a regular file or directory' };
    return;
  }
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch (err) {
    yield { source: path, error: describe(err) };
    return;
  }
  yield* splitMessages(path, raw);
}

/**
 * A single message, or the messages of an mbox. A file with CR-only line endings (old Mac tools,
 * some exporters; SMTP and IMAP never deliver one) gets LF line endings first: the MIME parser
 * reads CRLF and LF only.
 */
export function* splitMessages(source: string, file: Buffer): Generator<InputItem> {
  const raw = crOnlyToLf(file);
  if (!isMbox(raw)) {
    yield { source, raw };
    return;
  }
  let n = 0;
  for (const message of splitMbox(raw)) {
    n += 1;
    yield { source: `${source}#${n}`, raw: message };
  }
}

/** A buffer whose only line ending is CR, with LF instead; any other buffer as it is. */
export function crOnlyToLf(raw: Buffer): Buffer {
  if (raw.indexOf(13) < 0 || raw.indexOf(10) >= 0) return raw;
  const out = Buffer.from(raw);
  for (let i = out.indexOf(13); i >= 0; i = out.indexOf(13, i + 1)) out[i] = 10;
  return out;
}

export function isMbox(raw: Buffer): boolean {
  return raw.length > 5 && raw.subarray(0, 5).toString('latin1') === 'From ';
}

/** An envelope line: "From sender date", the date in asctime or any usual form. */
const ENVELOPE_LINE = /^From [^\s]*[ \t]+\S.*(?:\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b|\b\d{1,2}:\d{2}\b|\b(?:19|20)\d{2}\b)/;

/** The file's line ending: CRLF, LF, or CR alone (old Mac tools, some exporters). */
function lineEnding(text: string): string {
  const lf = text.indexOf('\n');
  if (lf < 0) return text.indexOf('\r') >= 0 ? '\r' : '\n';
  return lf > 0 && text.charCodeAt(lf - 1) === 13 ? '\r\n' : '\n';
}

/**
 * Split an mbox at its envelope lines ("From sender date") that start the file or follow a blank
 * line, whatever the line ending (LF, CRLF, or CR alone). Works on bytes (latin1 is a 1:1 byte
 * mapping) so no charset is assumed; each message keeps the file's line endings.
 */
export function splitMbox(raw: Buffer): Buffer[] {
  const text = raw.toString('latin1');
  const eol = lineEnding(text);
  const starts: number[] = [0];
  const marker = eol + eol + 'From ';
  for (let i = text.indexOf(marker); i >= 0; i = text.indexOf(marker, i + eol.length)) {
    const at = i + 2 * eol.length;
    const end = text.indexOf(eol, at);
    if (ENVELOPE_LINE.test(text.slice(at, end < 0 ? text.length : Math.min(end, at + 200)))) starts.push(at);
  }
  const out: Buffer[] = [];
  for (let k = 0; k < starts.length; k++) {
    const begin = starts[k]!;
    const stop = k + 1 < starts.length ? starts[k + 1]! : text.length;
    let chunk = text.slice(begin, stop);
    // Drop the envelope "From " line itself.
    const nl = chunk.indexOf(eol);
    chunk = nl < 0 ? '' : chunk.slice(nl + eol.length);
    // Undo >From quoting (one level); in a JS regex ^ follows CR, LF and CRLF alike.
    chunk = chunk.replace(/^>(>*From )/gm, '$1');
    // Drop the blank separator line that precedes the next "From ".
    if (chunk.endsWith(eol + eol)) chunk = chunk.slice(0, -eol.length);
    if (chunk.trim().length > 0) out.push(Buffer.from(chunk, 'latin1'));
  }
  return out;
}

class StdinTooBig extends Error {}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  const stream = process.stdin.isTTY ? createReadStream('/dev/null') : process.stdin;
  for await (const chunk of stream) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += b.length;
    if (size > MAX_STDIN_BYTES) throw new StdinTooBig(`stdin: more than ${MAX_STDIN_BYTES} bytes`);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT') return 'no such file or directory';
  if (e?.code === 'EACCES') return 'permission denied';
  if (e?.code === 'EISDIR') return 'is a directory';
  return e?.message ?? String(err);
}
