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
