/**
 * control/reader - a reader process (entry point, forked by control/readers.ts when
 * control.readers > 0): answers the status protocol, the Postfix socketmap and the policy
 * protocol on connections it accepts on the listening sockets the main process shares with it,
 * and on connections the main process accepted and passed on.
 *
 * In (IPC from the main process): 'init' (store options and the control config slice), 'listen'
 * (a listening socket) and 'conn' (a connection) messages carrying handles, 'answer', 'stop'.
 * Out: 'ready', 'ask' (stats, health and metrics are answered by the main process, where that data
 * lives), 'counts' (lookup and bad-request counters, every second and before each 'ask'), 'load'
 * (connections held, at most every 100 ms). Its store handle is read-only, as the main process's is.
 * The process exits when told to stop, when the main process goes away (IPC 'disconnect'), and
 * on an error it cannot answer around (the main process starts another). SIGINT, SIGTERM and
 * SIGHUP are ignored: they are the main process's to act on (it stops the readers last).
 * Closing its copy of a listening Unix socket does not remove the socket file.
 * Config keys: control.maxLineBytes, control.maxClients and control.maxClientsPerListener (per
 * reader), control.idleSeconds, control.failOpen,
 * control.suspended, store.path, store.busyTimeoutMs, state.* (through 'init').
 */
import type { Server, Socket } from 'node:net';
import { child, flushLogs, setLogLevel } from '../log.js';
import { CounterSink, Metrics } from '../metrics.js';
import type { CommandContext, ControlDeps, LookupOptions } from './commands.js';
import { ConnectionTable, connectionLimits, protocolOf, type CloseReason, type Listener } from './connections.js';
import { handlePolicyConnection } from './policy.js';
import { READER_COUNTERS, type FromReader, type ReaderCounter, type ToReader } from './readers.js';
import { handleLineConnection, openControlStore } from './server.js';
import { handleSocketmapConnection } from './socketmap.js';

const log = child('control-reader');
/** Commands whose answer lives in the main process. */
const REMOTE = new Set(['stats', 'health', 'metrics']);
const COUNTS_EVERY_MS = 1000;

if (typeof process.send !== 'function') throw new Error('control/reader runs as a forked process (control.readers)');
const send = (m: FromReader): void => {
  if (process.connected) process.send!(m);
};

let opened: ReturnType<typeof openControlStore> | undefined;
let deps: ControlDeps | undefined;
let lookupOpts: LookupOptions | undefined;
let ctx: CommandContext | undefined;
let maxLine = 4096;
let idleSeconds = 300;
let table = new ConnectionTable(500, 1000);
const servers: Server[] = [];
const waiting = new Map<number, (json: string) => void>();
let nextId = 1;
let stopping = false;

// Counters: the lookup and bad-request counters sum their increments for this sink until they
// are sent to the main process (it owns the metrics).
const counts = new CounterSink<ReaderCounter>(READER_COUNTERS);
const metrics = new Metrics({ forwardTo: counts });
const flushCounts = (): void => {
  if (counts.size === 0) return;
  send({ t: 'counts', counts: counts.drain() });
};
setInterval(flushCounts, COUNTS_EVERY_MS).unref();

function ask(line: string): Promise<string> {
  const id = nextId++;
  flushCounts(); // so that `stats` and `metrics` count this reader's lookups so far
  return new Promise((res, rej) => {
    if (!process.connected) return rej(new Error('main process gone'));
    waiting.set(id, res);
    send({ t: 'ask', id, line });
  });
}

function stop(code: number): void {
  if (stopping) return;
  stopping = true;
  flushCounts();
  for (const srv of servers) srv.close(); // our copy of the listening socket; the file stays
  table.destroyAll();
  try {
    opened?.close();
  } catch {
    // closing a read-only handle cannot lose anything
  }
  flushLogs();
  process.exit(code);
}

function init(m: Extract<ToReader, { t: 'init' }>): void {
  setLogLevel(m.logLevel);
  try {
    opened = openControlStore(m.storeOptions);
  } catch (err) {
    send({ t: 'failed', error: (err as Error).message });
    stop(1);
    return;
  }
  maxLine = m.control.maxLineBytes;
  idleSeconds = m.control.idleSeconds;
  table = new ConnectionTable(m.control.maxClientsPerListener, m.control.maxClients, closed);
  deps = {
    store: opened.store,
    metrics,
    remote: (line) => (REMOTE.has((line.trim().split(/\s+/)[0] ?? '').toLowerCase()) ? ask(line) : undefined),
  };
  ctx = { startedAt: m.startedAt };
  lookupOpts = { store: opened.store, failOpen: m.control.failOpen, suspended: m.control.suspended, metrics };
  send({ t: 'ready' });
}

/** Tell the main process how many connections we hold (for its choice of reader), at most every 100 ms. */
let loadTimer: NodeJS.Timeout | undefined;
function reportLoad(): void {
  loadTimer ??= setTimeout(() => {
    loadTimer = undefined;
    send({ t: 'load', conns: table.size });
  }, 100);
}

/** A connection closed by the limits of control/connections.ts: counted for the main process. */
function closed(listener: Listener, why: CloseReason): void {
  metrics.connectionsClosed.inc({ listener, why });
}

function serve(listener: Listener, s: Socket): void {
  // control.maxClientsPerListener and control.maxClients hold per process (each has its own
  // file-descriptor limit); a full listener closes its least recently used connection first.
  if (!deps || !ctx || !lookupOpts || stopping) return void s.destroy();
  if (!table.admit(listener, s)) return;
  reportLoad();
  log.debug({ listener, open: table.size }, 'connection');
  s.once('close', reportLoad);
  const limits = connectionLimits(idleSeconds, { onRequest: () => table.touch(s), onClose: (why) => closed(listener, why) });
  const protocol = protocolOf(listener);
  if (protocol === 'lines') handleLineConnection(s, deps, ctx, maxLine, limits);
  else if (protocol === 'socketmap') handleSocketmapConnection(s, lookupOpts, limits);
  else handlePolicyConnection(s, lookupOpts, limits);
  // Passed paused (the main process did not read from it); start reading now.
  s.resume();
}

process.on('message', (m: ToReader, handle?: unknown) => {
  switch (m.t) {
    case 'init':
      init(m);
      break;
    case 'conn':
      if (handle) serve(m.listener, handle as Socket);
      break;
    case 'listen':
      if (handle) {
        // A listening socket shared by the main process: accept on it directly.
        const srv = handle as Server;
        servers.push(srv);
        srv.on('connection', (s: Socket) => serve(m.listener, s));
      }
      break;
    case 'answer':
      waiting.get(m.id)?.(m.json);
      waiting.delete(m.id);
      break;
    case 'log':
      setLogLevel(m.level);
      break;
    case 'stop':
      stop(0);
      break;
  }
});
// The main process is gone (crash, kill -9): nobody hands us connections or answers asks.
process.on('disconnect', () => stop(0));
// Signals sent to the whole group (Ctrl-C, systemd's KillMode=control-group) are for the main
// process: it drains intake and then stops us over IPC; dying first would only get us restarted.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => undefined);
process.on('uncaughtException', (err) => {
  log.error({ err }, 'control reader failed; exiting (the main process starts another)');
  stop(1);
});
