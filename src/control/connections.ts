/**
 * control/connections - how many connections each control listener holds, and which one goes
 * when a listener is full: so that idle or trickling clients of one listener (3,500 idle
 * connections to the policy port) can neither lock out the fresh requests of that listener nor
 * take the slots of another.
 *
 * In: accepted sockets, by listener (the status socket, its TCP twin, socketmap, policy); a
 * touch per complete request. Out: admit() true (the socket is counted until it closes) or false
 * (refused: every slot is busy); a count of what was closed and why, for the metrics.
 * Config keys: control.maxClientsPerListener, control.maxClients (all listeners of one process),
 * control.idleSeconds (connectionLimits, used by the protocol handlers).
 *
 * Why evict rather than refuse: Postfix reconnects when a lookup connection it kept has been
 * closed (its clients retry a request once on a new connection), while a refused connection is
 * a failed lookup. So a full listener closes the connection whose last complete request is
 * oldest - the idle ones, and the ones trickling a request that never ends - and admits the new
 * one. Only when every connection has just completed a request is the new one refused.
 */
import type { Socket } from 'node:net';

/** The control listeners; each has its own cap. */
export type Listener = 'socket' | 'tcp' | 'socketmap' | 'policy';

/** The line protocol of the status socket, the Postfix socketmap, or the Postfix policy protocol. */
export type Protocol = 'lines' | 'socketmap' | 'policy';

export function protocolOf(l: Listener): Protocol {
  return l === 'socket' || l === 'tcp' ? 'lines' : l;
}

/** Why a connection was closed by these limits (the metrics' label). */
export type CloseReason = 'idle' | 'deadline' | 'evicted' | 'refused';

/** Time limits every handler applies to its connection. */
export interface ConnectionLimits {
  /** No byte from the client for this long: closed. Postfix closes its own idle policy
   *  connections after 300 s (smtpd_policy_service_max_idle) and socketmap ones after 10 s. */
  idleMs: number;
  /** A request begun (bytes without the end of the request) and not finished in this long: closed. */
  requestMs: number;
  /** A complete request arrived (the connection is in use, not idle). */
  onRequest?: () => void;
  /** The connection was closed for one of these limits. */
  onClose?: (why: CloseReason) => void;
}

/** A request is one short line or netstring: a client still sending one after this long is not a client. */
export const REQUEST_DEADLINE_MS = 60_000;

export function connectionLimits(idleSeconds: number, extra: Pick<ConnectionLimits, 'onRequest' | 'onClose'> = {}): ConnectionLimits {
  return { idleMs: idleSeconds * 1000, requestMs: REQUEST_DEADLINE_MS, ...extra };
}

/**
 * The two timers of one connection: idle (any byte resets it) and the deadline of the request
 * being received. A handler calls `partial(true)` when bytes of an unfinished request are
 * buffered and `partial(false)` when none are; `request()` for each complete request.
 */
export function watchConnection(sock: Socket, limits: ConnectionLimits): { partial(open: boolean): void; request(): void } {
  sock.setTimeout(limits.idleMs, () => {
    limits.onClose?.('idle');
    sock.destroy();
  });
  let deadline: NodeJS.Timeout | undefined;
  const clear = (): void => {
    if (deadline) clearTimeout(deadline);
    deadline = undefined;
  };
  sock.once('close', clear);
  return {
    partial(open) {
      if (!open) return clear();
      deadline ??= setTimeout(() => {
        deadline = undefined;
        limits.onClose?.('deadline');
        sock.destroy();
      }, limits.requestMs);
      deadline.unref?.();
    },
    request() {
      limits.onRequest?.();
    },
  };
}

interface Entry {
  listener: Listener;
  /** When its last complete request arrived (or when it connected). */
  lastRequest: number;
}

/** The connections of one process, by listener. */
export class ConnectionTable {
  private readonly entries = new Map<Socket, Entry>();
  private readonly counts = new Map<Listener, number>();

  constructor(
    /** control.maxClientsPerListener */
    private readonly perListener: number,
    /** control.maxClients: all listeners of this process together. */
    private readonly total: number,
    private readonly onClose: (listener: Listener, why: CloseReason) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  count(listener: Listener): number {
    return this.counts.get(listener) ?? 0;
  }

  /** Count a new connection, closing the least recently used one of a full listener first;
   *  false (and the socket destroyed) when nothing could make room. */
  admit(listener: Listener, sock: Socket): boolean {
    if (this.count(listener) >= this.perListener && !this.evict(listener)) return this.refuse(listener, sock);
    if (this.entries.size >= this.total && !this.evict(this.fullest())) return this.refuse(listener, sock);
    this.entries.set(sock, { listener, lastRequest: this.now() });
    this.counts.set(listener, this.count(listener) + 1);
    sock.once('close', () => {
      if (this.entries.delete(sock)) this.counts.set(listener, this.count(listener) - 1);
    });
    return true;
  }

  /** A complete request arrived on this connection. */
  touch(sock: Socket): void {
    const e = this.entries.get(sock);
    if (e) e.lastRequest = this.now();
  }

  /** Close all (stop). */
  destroyAll(): void {
    for (const s of [...this.entries.keys()]) s.destroy();
  }

  private refuse(listener: Listener, sock: Socket): false {
    this.onClose(listener, 'refused');
    sock.destroy();
    return false;
  }

  private fullest(): Listener {
    let best: Listener = 'socket';
    for (const [l, n] of this.counts) if (n > this.count(best)) best = l;
    return best;
  }

  /** Close the connection of `listener` whose last request is oldest, unless it is recent (under
   *  a second: every slot really is in use, and closing one would only move the failure). */
  private evict(listener: Listener): boolean {
    let victim: Socket | undefined;
    let oldest = Infinity;
    for (const [s, e] of this.entries) {
      if (e.listener === listener && e.lastRequest < oldest) {
        oldest = e.lastRequest;
        victim = s;
      }
    }
    if (!victim || this.now() - oldest < 1000) return false;
    this.entries.delete(victim);
    this.counts.set(listener, this.count(listener) - 1);
    this.onClose(listener, 'evicted');
    victim.destroy();
    return true;
  }
}
