/**
 * control/server - the status socket (Unix, optionally loopback TCP) and the listeners for the
 * Postfix socketmap and policy responders. One text command per line in, one JSON line out.
 *
 * In: ControlConfig and ControlDeps (a read-only store, metrics, daemon health callbacks). When
 * the store is opened here, "may I send?" lookups go through store/lookup.ts (the fast path).
 * Out: `startControl(config.control, deps)` -> { stop(), addresses }. The Unix socket gets mode
 * control.mode and group control.group set explicitly; a stale socket file is replaced, a live
 * one is an error. Malformed or oversized lines get an error line; the connection stays usable.
 * Config keys: control.socket, control.mode, control.group, control.tcp.*, control.socketmap.*,
 * control.policy.*, control.maxLineBytes, control.maxClients, control.maxClientsPerListener,
 * control.idleSeconds (control/connections.ts), control.failOpen, control.suspended.
 */
import { existsSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ControlConfig } from '../config/schema.js';
import { child, logger } from '../log.js';
import { openLookup, openStore, type Lookup, type StoreOptions } from '../store/index.js';
import { checkJson, runCommand, type CommandContext, type ControlDeps, type ControlStore, type LookupOptions, type Reply } from './commands.js';
import { ConnectionTable, connectionLimits, watchConnection, type ConnectionLimits, type Listener } from './connections.js';
import { handlePolicyConnection } from './policy.js';
import { startReaders, type ReaderPool } from './readers.js';
import { handleSocketmapConnection } from './socketmap.js';
import { listen, listenUnix } from '../unix-socket.js';

const log = child('control');
/** What runCommand splits words on (String.prototype.trim's whitespace). */
const WS = /\s/;

export interface ControlHandle {
  /** Where each listener ended up (TCP ports resolved when 0 was configured). */
  addresses: { socket: string; tcp?: number; socketmap?: string | number; policy?: number };
  /** Process ids of the reader processes (control.readers; empty when this process answers). */
  readerPids(): number[];
  /** Pass a new log level (SIGHUP reload) on to the reader processes. */
  setLogLevel(level: string): void;
  stop(): Promise<void>;
}

/** ControlDeps, except that the store may be opened here (read-only) and closed on stop(). */
export type StartControlDeps = Omit<ControlDeps, 'store'> &
  ({ store: ControlStore; storeOptions?: undefined } | { store?: undefined; storeOptions: StoreOptions }) & {
    /** Socketmap and policy lookups on a store that answers later (LookupOptions.prefetch). */
    prefetch?: LookupOptions['prefetch'];
  };

/**
 * Serve the line protocol on one connection. Replies to a burst of pipelined lines are written
 * with one write() call, which is what makes 50k lookups/s possible from one client.
 *
 * End of stream: a client that half-closes (`echo health | socat - UNIX-CONNECT:...`,
 * `nc -N -U`) gets an answer to every line it sent before its end of stream - a last line
 * without a newline included - and then the connection is closed. The socket is kept half-open
 * for that: Node would otherwise end our side as soon as the client's FIN arrives, and a reply
 * still on its way from the main process (reader processes: stats, health, metrics) would be
 * written to a closed socket and lost.
 */
export function handleLineConnection(sock: Socket, deps: ControlDeps, ctx: CommandContext, maxLine: number, limits: ConnectionLimits): void {
  sock.allowHalfOpen = true;
  sock.setEncoding('utf8');
  sock.setNoDelay?.(true);
  // Forgotten interactive sessions and half-sent lines must not hold a slot for ever.
  const watch = watchConnection(sock, limits);
  let buf = '';
  let discarding = false;
  /** The client's end of stream arrived: answer what is left, then close. */
  let ended = false;
  let closing = false;
  const tooLong = (): string =>
    `${JSON.stringify({ ok: false, error: `line longer than ${maxLine} bytes; ignored` } satisfies Reply)}\n`;

  // A command answered by the main process (reader processes only) holds the lines after it
  // until its reply is written, so replies keep the order of the requests.
  let waiting = false;

  const drain = (): void => {
    if (closing) return;
    let out = '';
    let quit = false;
    let start = 0;
    // After the end of stream, a last line without its newline is still a request.
    if (ended && buf !== '' && !buf.endsWith('\n')) buf += '\n';
    for (;;) {
      const nl = buf.indexOf('\n', start);
      if (nl < 0) break;
      const line = buf.slice(start, nl);
      start = nl + 1;
      watch.request();
      if (discarding) {
        // The tail of an oversized line: already answered, drop it.
        discarding = false;
        continue;
      }
      if (line.length > maxLine || Buffer.byteLength(line) > maxLine) {
        deps.metrics?.badRequests.inc({ via: 'socket' });
        out += tooLong();
        continue;
      }
      const text = line.endsWith('\r') ? line.slice(0, -1) : line;
      // Fast path for the one hot request, `check ADDRESS` spelled plainly; anything else (case,
      // extra spaces or words) goes through runCommand, which gives the same answers.
      if (!deps.remoteAll && text.startsWith('check ') && text.length > 6 && !WS.test(text.slice(6))) {
        out += `${checkJson(text.slice(6), deps)}\n`;
        continue;
      }
      if (text.trim() === '') continue;
      const remote = deps.remote?.(text);
      if (remote !== undefined) {
        waiting = true;
        sock.pause();
        remote
          .catch((err: unknown) => JSON.stringify({ ok: false, error: `internal error: ${(err as Error).message}` } satisfies Reply))
          .then((json) => {
            waiting = false;
            if (sock.destroyed) return;
            send(`${json}\n`);
            sock.resume();
            drain();
          })
          .catch(() => sock.destroy());
        break;
      }
      const reply = runCommand(text, deps, ctx);
      if (reply === 'quit') {
        quit = true;
        break;
      }
      out += `${JSON.stringify(reply)}\n`;
    }
    buf = quit ? '' : buf.slice(start);
    if (!quit && !waiting && discarding) {
      // Still inside a line already answered as too long (it may come in many reads): drop it.
      buf = '';
    } else if (!quit && !waiting && buf.length > maxLine) {
      // No newline yet and already too long: answer now, once, then skip to the next newline.
      deps.metrics?.badRequests.inc({ via: 'socket' });
      out += tooLong();
      buf = '';
      discarding = true;
    }
    watch.partial(buf !== '' || discarding);
    if (out !== '') send(out);
    // Done after `quit`, or after the client's end of stream once nothing is left to answer.
    if (quit || (ended && !waiting)) {
      closing = true;
      sock.end();
    }
  };

  const send = (out: string): void => {
    if (sock.destroyed) return;
    if (!sock.write(out)) {
      // A client that does not read its replies must not make us buffer without limit.
      sock.pause();
      sock.once('drain', () => {
        if (!waiting) sock.resume();
      });
    }
  };

  sock.on('data', (chunk: string) => {
    if (closing) return;
    buf += chunk;
    if (!waiting) drain();
  });
  // 'end' comes after every 'data' (a paused socket holds it back until resumed).
  sock.on('end', () => {
    ended = true;
    if (!waiting) drain();
  });
  sock.on('error', () => sock.destroy());
}

/**
 * The store the control plane reads: a read-only handle, with "may I send?" lookups (check,
 * socketmap, policy, health) on the faster read path of store/lookup.ts. Used by startControl
 * and by each reader process (control/reader.ts).
 */
export function openControlStore(storeOptions: StoreOptions): { store: ControlStore; close(): void } {
  const full = openStore({ ...storeOptions, readonly: true });
  let fast: Lookup;
  try {
    fast = openLookup(storeOptions);
  } catch (err) {
    full.close();
    throw err;
  }
  return {
    store: {
      mayISend: fast.mayISend,
      addressStatus: (a, n) => full.addressStatus(a, n),
      history: (a, l) => full.history(a, l),
      stats: (n) => full.stats(n),
    },
    close() {
      fast.close();
      full.close();
    },
  };
}

/** Start every enabled control listener. Rejects (DaemonError 'listen') if any cannot bind. */
export async function startControl(cfg: ControlConfig, startDeps: StartControlDeps): Promise<ControlHandle> {
  // Lookups go through the faster read path when we open the file ourselves; a store handed in
  // (':memory:', tests) answers everything itself.
  const opened = startDeps.storeOptions !== undefined ? openControlStore(startDeps.storeOptions) : undefined;
  const store: ControlStore = opened?.store ?? startDeps.store!;
  const deps: ControlDeps = { ...startDeps, store };
  const ctx: CommandContext = { startedAt: deps.now?.() ?? Date.now() };
  const servers: Server[] = [];
  const listeners: Listener[] = [];
  // control.maxClientsPerListener / control.maxClients: the connections this process answers
  // (a reader keeps its own table for the ones it answers).
  const table = new ConnectionTable(cfg.maxClientsPerListener, cfg.maxClients, (listener, why) =>
    deps.metrics?.connectionsClosed.inc({ listener, why }),
  );
  const unixPaths: string[] = [];

  // control.readers > 0: reader processes answer; this process accepts and hands connections on.
  // They need the compiled reader module and a store file they can open themselves.
  let pool: ReaderPool | undefined;
  const readerModule = new URL('./reader.js', import.meta.url);
  if (cfg.readers > 0 && startDeps.storeOptions !== undefined) {
    if (!existsSync(fileURLToPath(readerModule))) {
      log.warn({ module: readerModule.href }, 'control.readers: no compiled reader module next to this one (running from sources?); answering in the main process');
    } else {
      const { path, busyTimeoutMs, state } = startDeps.storeOptions;
      const readers = startReaders({ count: cfg.readers, module: readerModule, storeOptions: { path, busyTimeoutMs, state }, control: cfg, deps, ctx, logLevel: logger.level });
      pool = readers;
      // `health` (answered here for every reader) says whether all readers are up.
      const daemonHealth = deps.health;
      deps.health = () => ({
        ...(daemonHealth?.() ?? {}),
        'control-readers': { ok: readers.readyCount() === cfg.readers, detail: `${readers.readyCount()} of ${cfg.readers} ready` },
      });
    }
  }

  const makeServer = (listener: Listener, handler: (s: Socket, limits: ConnectionLimits) => void): Server => {
    // Paused on accept when readers may take the connection: this process must not read from it.
    const srv = createServer({ pauseOnConnect: pool !== undefined }, (s) => {
      if (pool !== undefined) {
        if (pool.take(s, listener)) return;
        // No reader ready (starting, or being replaced): answer here.
        s.resume();
      }
      if (!table.admit(listener, s)) return;
      const close = (why: 'idle' | 'deadline' | 'evicted' | 'refused'): void => deps.metrics?.connectionsClosed.inc({ listener, why });
      handler(s, connectionLimits(cfg.idleSeconds, { onRequest: () => table.touch(s), onClose: close }));
    });
    servers.push(srv);
    listeners.push(listener);
    return srv;
  };
  const lines = (s: Socket, limits: ConnectionLimits): void => handleLineConnection(s, deps, ctx, cfg.maxLineBytes, limits);
  const addresses: ControlHandle['addresses'] = { socket: resolve(cfg.socket) };
  const lookupOpts = { store, failOpen: cfg.failOpen, suspended: cfg.suspended, metrics: deps.metrics, now: deps.now, prefetch: startDeps.prefetch };

  const stop = async (): Promise<void> => {
    // Readers first: a listener's close() waits for the connections it handed to them.
    await pool?.stop();
    table.destroyAll();
    await Promise.all(
      servers.map(
        (srv) =>
          new Promise<void>((res) => {
            if (!srv.listening) return res();
            // A server that passed connections to readers waits in close() for replies from
            // readers that are gone by now (Node keeps a never-settled count once every child
            // has exited); its listening handle is closed synchronously, so do not wait for it.
            if (pool !== undefined) {
              srv.close();
              return setImmediate(res);
            }
            srv.close(() => res());
          }),
      ),
    );
    for (const p of unixPaths) {
      try {
        unlinkSync(p);
      } catch {
        // already gone
      }
    }
    opened?.close();
  };

  try {
    // Status socket: always on (it is how operators and `rebound` commands ask).
    await listenUnix(makeServer('socket', lines), addresses.socket, cfg.mode, cfg.group, 'control.group');
    unixPaths.push(addresses.socket);

    if (cfg.tcp.enabled) {
      const srv = makeServer('tcp', lines);
      await listen(srv, { host: cfg.tcp.host, port: cfg.tcp.port });
      addresses.tcp = (srv.address() as { port: number }).port;
    }
    if (cfg.socketmap.enabled) {
      const srv = makeServer('socketmap', (s, limits) => handleSocketmapConnection(s, lookupOpts, limits));
      if (cfg.socketmap.socket !== undefined) {
        const p = resolve(cfg.socketmap.socket);
        await listenUnix(srv, p, cfg.mode, cfg.group, 'control.group');
        unixPaths.push(p);
        addresses.socketmap = p;
      } else {
        await listen(srv, { host: cfg.socketmap.host, port: cfg.socketmap.port });
        addresses.socketmap = (srv.address() as { port: number }).port;
      }
    }
    if (cfg.policy.enabled) {
      const srv = makeServer('policy', (s, limits) => handlePolicyConnection(s, lookupOpts, limits));
      await listen(srv, { host: cfg.policy.host, port: cfg.policy.port });
      addresses.policy = (srv.address() as { port: number }).port;
    }
  } catch (err) {
    await stop();
    throw err;
  }
  // Listeners are up; connections accepted before the readers are ready are answered here.
  await pool?.ready;
  for (const [i, srv] of servers.entries()) pool?.share(srv, listeners[i]!);
  log.info({ addresses, readers: pool?.pids().length ?? 0 }, 'control listening');
  return { addresses, stop, readerPids: () => pool?.pids() ?? [], setLogLevel: (level) => pool?.setLogLevel(level) };
}
