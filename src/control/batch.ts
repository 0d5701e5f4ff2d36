/**
 * control/batch - one batch of Postfix lookups (socketmap.ts, policy.ts) answered from either kind of
 * store: SQLite answers synchronously; PostgreSQL's lookups are read for the whole batch first.
 */
import type { Socket } from 'node:net';
import type { ControlStore, LookupOptions } from './commands.js';

/** A store whose every answer is this error (a prefetch that failed). */
function failing(err: unknown): ControlStore {
  const fail = (): never => {
    throw err instanceof Error ? err : new Error(String(err));
  };
  return { mayISend: fail, addressStatus: fail, history: fail, stats: fail };
}

/**
 * Answer one batch of Postfix lookups (socketmap.ts, policy.ts): at once with a store that answers
 * synchronously (SQLite); with a prefetching store (PostgreSQL) once the batch's keys are read, the
 * connection paused meanwhile so replies keep the order of the requests. A failed read answers the
 * whole batch from a failing store, so control.failOpen decides. Returns the pending read, or
 * undefined when the batch was answered at once.
 */
export function answerBatch(sock: Socket, opts: LookupOptions, keys: () => string[], answer: (o: LookupOptions) => void): Promise<void> | undefined {
  if (!opts.prefetch) {
    answer(opts);
    return undefined;
  }
  sock.pause();
  return opts
    .prefetch(keys(), opts.now?.())
    .then(
      (store) => answer({ ...opts, store }),
      (err: unknown) => answer({ ...opts, store: failing(err) }),
    )
    .catch(() => {
      sock.destroy();
    })
    .finally(() => {
      if (!sock.destroyed) sock.resume();
    });
}

/** What a protocol's `take` did with the bytes at the head of the buffer. */
export interface Taken {
  /** The bytes not consumed (a request not yet whole). */
  rest: Buffer;
  /** The batch's pending read (answerBatch), when it was not answered at once. */
  pending?: Promise<void>;
}

/**
 * Read a Postfix lookup connection (socketmap.ts, policy.ts) a batch at a time: bytes gather in one
 * buffer (bytes, not a decoded stream: a value that is not UTF-8 must stay marked, address/text.ts);
 * `take` answers the whole requests at its head and returns the rest, or undefined once it has
 * closed the connection. While a batch waits for a prefetching store's reads, what arrives waits in
 * the buffer, so replies keep the order of the requests.
 */
export function readBatches(sock: Socket, take: (buf: Buffer) => Taken | undefined): void {
  let buf: Buffer = Buffer.alloc(0);
  let busy = false;
  const drain = (): void => {
    const t = take(buf);
    if (!t) return;
    buf = t.rest;
    if (!t.pending) return;
    busy = true;
    void t.pending.then(() => {
      busy = false;
      if (!sock.destroyed && buf.length > 0) drain();
    });
  };
  sock.on('data', (chunk: Buffer) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    if (!busy) drain();
  });
  sock.on('error', () => sock.destroy());
}
