/**
 * cli/output - how commands that print many lines (export, list, history, verify-state) write
 * them: as they read them, a chunk at a time, waiting for the reader (memory stays flat however
 * many rows there are), and stopping quietly when the reader goes away - `rebound export --json |
 * head -3` ends with head's three lines and exit 0, no EPIPE stack trace.
 *
 * Lines are gathered into chunks of CHUNK bytes; each chunk is written and awaited (its callback),
 * which also gives the event loop the turn in which a broken pipe is reported. A command reads rows
 * synchronously between chunks, so at most one chunk is ever held.
 */
import { createWriteStream } from 'node:fs';

const CHUNK = 64 * 1024;

export class LineSink {
  private buf = '';
  private gone = false;
  private failure: Error | null = null;
  private readonly onError = (err: NodeJS.ErrnoException): void => {
    // EPIPE: the reader closed its end (head, a pager quit). Anything else is a real write error.
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') this.gone = true;
    else this.failure ??= err;
  };

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly ownsStream = false,
  ) {
    out.on('error', this.onError);
  }

  /** Standard output, or a file (created or truncated) when `path` is given. */
  static open(path?: string): LineSink {
    return path ? new LineSink(createWriteStream(path), true) : new LineSink(process.stdout);
  }

  /** True once the reader went away: stop producing. */
  get closed(): boolean {
    return this.gone;
  }

  /** Queue one line (with its newline). Returns true at once while the chunk fills (no await per
   *  line: a million rows are a million lines), else a promise of the chunk written - false when
   *  the reader is gone (the caller stops reading). A real write error (disk full) is thrown. */
  write(line: string): true | Promise<boolean> {
    if (this.failure) throw this.failure;
    if (!this.gone) {
      this.buf += line;
      if (this.buf.length < CHUNK) return true;
    }
    return this.flush().then(() => !this.gone);
  }

  async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.buf === '' || this.gone) return;
    const chunk = this.buf;
    this.buf = '';
    await new Promise<void>((resolve) => {
      this.out.write(chunk, (err?: Error | null) => {
        if (err) this.onError(err as NodeJS.ErrnoException);
        resolve();
      });
    });
    if (this.failure) throw this.failure;
  }

  /** Flush what is left; close the file when the sink opened it. Never throws for a gone reader. */
  async end(): Promise<void> {
    await this.flush();
    if (this.ownsStream && !this.gone) {
      await new Promise<void>((resolve, reject) => this.out.end(() => (this.failure ? reject(this.failure) : resolve())));
    }
  }
}
