/**
 * intake/file - read messages from files, directories (recursively, in name order; a Maildir's
 * cur/ and new/, never its tmp/), mbox files and stdin ('-'), one message at a time with bounded
 * memory whatever the size of the input: a file or stdin is read in chunks, an mbox is split as it
 * is read (intake/mbox.ts), and only the message being handed out is held. In: paths. Out: one
 * item per message, `{ source, raw, bytes }`, or `{ source, error, bytes }` for a path or message
 * that cannot be read; the caller reports errors and carries on with the rest. `bytes` is how much
 * of the input the item accounts for (the sum over a file is its size), for progress and ETA.
 *
 * An mbox is recognised by its first line ("From " envelope line). Messages inside are numbered
 * from 1 and named `path#n`; the splitting rules are intake/mbox.ts's. A file with CR-only line
 * endings (old Mac tools, some exporters; SMTP and IMAP never deliver one) is handed out with LF
 * instead, since the MIME parser reads CRLF and LF only: a single message when it holds no LF at
 * all, an mbox when its first line ends in a CR alone. A single message (a file, or
 * stdin that is not an mbox) and each message of an mbox may be at most MAX_MESSAGE_BYTES (256 MiB):
 * a bigger one is an error item marked permanent (reading it again cannot help), skipped, and the
 * rest of the input still comes.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Envelope } from '../types.js';
import { isMbox, MboxSplitter, splitMbox } from './mbox.js';

export { isMbox, splitMbox };

/**
 * The envelope of a message read from a file or stdin (`source` as readInputs names it: '-' and
 * '-#n' are stdin). No SMTP transaction happened here, so there is no envelope recipient whose
 * token could be judged: intake learned nothing, which is stored as such ([]), not as unknown.
 */
export function fileEnvelope(source: string, receivedAt: number): Envelope {
  const stdin = source === '-' || source.startsWith('-#');
  return { source: stdin ? 'stdin' : 'file', origin: source, mailFrom: '', rcptTo: [], receivedAt, returnPaths: [] };
}

/** A buffer whose only line ending is CR, with LF instead; any other buffer as it is. */
export function crOnlyToLf(raw: Buffer): Buffer {
  if (raw.indexOf(13) < 0 || raw.indexOf(10) >= 0) return raw;
  const out = Buffer.from(raw);
  for (let i = out.indexOf(13); i >= 0; i = out.indexOf(13, i + 1)) out[i] = 10;
  return out;
}

/** A single message, or the messages of an mbox, from bytes already in memory (the same rules as
 *  readInputs, CR-only line endings included). */
export function splitMessages(source: string, file: Buffer): { source: string; raw: Buffer }[] {
  const raw = crOnlyToLf(file);
  if (!isMbox(raw)) return [{ source, raw }];
  return splitMbox(raw).map((m, i) => ({ source: `${source}#${i + 1}`, raw: m }));
}

/** `permanent`: the input can never be stored (reading it again cannot help; `rebound ingest -` exits 65). */
export type InputItem =
  | { source: string; raw: Buffer; bytes: number }
  | { source: string; error: string; permanent?: true; bytes: number };

/** Largest single message read (a file, stdin, or one message of an mbox). */
export const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;
/** Read size: large enough for few system calls, small enough to be nothing next to a message. */
const CHUNK_BYTES = 1024 * 1024;

export interface ReadOptions {
  maxMessageBytes?: number;
  /** Instead of process.stdin for '-' (tests). */
  stdin?: NodeJS.ReadableStream;
}

export async function* readInputs(paths: string[], opts: ReadOptions = {}): AsyncGenerator<InputItem> {
  const max = opts.maxMessageBytes ?? MAX_MESSAGE_BYTES;
  for (const path of paths) {
    if (path === '-') {
      const stream = opts.stdin ?? (process.stdin.isTTY ? createReadStream('/dev/null') : process.stdin);
      yield* readStream('-', stream as AsyncIterable<Buffer | string>, max, 'stdin');
      continue;
    }
    yield* readPath(path, max);
  }
}

async function* readPath(path: string, max: number): AsyncGenerator<InputItem> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    yield { source: path, error: describe(err), bytes: 0 };
    return;
  }
  if (info.isDirectory()) {
    let names: string[];
    try {
      // Names only (never the messages): a directory of a million files costs its names.
      names = (await readdir(path)).sort();
    } catch (err) {
      yield { source: path, error: describe(err), bytes: 0 };
      return;
    }
    // A Maildir: its messages are in cur/ and new/; tmp/ holds deliveries still being written.
    const maildir = names.includes('cur') && names.includes('new') && names.includes('tmp');
    for (const name of names) {
      // Hidden files (editor droppings, .DS_Store, Maildir++ subfolders) are never messages here.
      if (name.startsWith('.')) continue;
      if (maildir && name !== 'cur' && name !== 'new') continue;
      yield* readPath(join(path, name), max);
    }
    return;
  }
  if (!info.isFile()) {
    yield { source: path, error: 'not a regular file or directory', bytes: 0 };
    return;
  }
  yield* readStream(path, createReadStream(path, { highWaterMark: CHUNK_BYTES }), max, path);
}

/**
 * One file or stdin: an mbox is split as it streams; anything else is one message, read whole up to
 * `max` bytes. A read error ends this input with an error item (what was handed out stays handed out).
 */
async function* readStream(source: string, stream: AsyncIterable<Buffer | string>, max: number, name: string): AsyncGenerator<InputItem> {
  let head: Buffer[] = [];
  let headLen = 0;
  let splitter: MboxSplitter | null = null;
  let single = false;
  let n = 0;
  let carry = 0;
  let tooBig = false;
  let total = 0;
  const emit = function* (parts: ReturnType<MboxSplitter['push']>): Generator<InputItem> {
    for (const p of parts) {
      if ('empty' in p) {
        carry += p.bytes;
        continue;
      }
      n += 1;
      const bytes = p.bytes + carry;
      carry = 0;
      // A CR-only mbox: its messages with LF line endings (the MIME parser reads CRLF and LF only).
      if ('raw' in p) yield { source: `${source}#${n}`, raw: splitter?.lineEnding === '\r' ? crOnlyToLf(p.raw) : p.raw, bytes };
      else yield { source: `${source}#${n}`, error: `message larger than ${max} bytes; skipped`, permanent: true, bytes };
    }
  };
  const iterator = stream[Symbol.asyncIterator]();
  try {
    for (;;) {
      const r = await iterator.next();
      if (r.done) break;
      const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
      total += chunk.length;
      if (splitter) {
        yield* emit(splitter.push(chunk));
        continue;
      }
      if (single) {
        if (tooBig) continue;
        headLen += chunk.length;
        if (headLen > max) {
          // Read on (stdin must be drained for the writer) but keep nothing.
          tooBig = true;
          head = [];
          continue;
        }
        head.push(chunk);
        continue;
      }
      // Not decided yet: wait for enough bytes to see whether this is an mbox.
      head.push(chunk);
      headLen += chunk.length;
      if (headLen < 6) continue;
      const first = head.length === 1 ? head[0]! : Buffer.concat(head);
      if (isMbox(first)) {
        splitter = new MboxSplitter(max);
        head = [];
        headLen = 0;
        yield* emit(splitter.push(first));
      } else {
        single = true;
        head = [first];
        if (headLen > max) {
          tooBig = true;
          head = [];
        }
      }
    }
  } catch (err) {
    yield { source, error: `${describe(err)}${n > 0 ? ` (after ${n} messages)` : ''}`, bytes: 0 };
    return;
  }
  if (splitter) {
    yield* emit(splitter.end());
    return;
  }
  if (tooBig) {
    yield { source, error: `${name}: more than ${max} bytes`, permanent: true, bytes: total };
    return;
  }
  const raw = head.length === 1 ? head[0]! : Buffer.concat(head);
  yield { source, raw: crOnlyToLf(raw), bytes: total };
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT') return 'no such file or directory';
  if (e?.code === 'EACCES') return 'permission denied';
  if (e?.code === 'EISDIR') return 'is a directory';
  return e?.message ?? String(err);
}
