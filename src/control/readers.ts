/**
 * control/readers - the main process's side of the reader processes: N forked Node processes
 * (control/reader.ts) that answer the control listeners' connections, so that lookups use more
 * than the main process's one core and do not queue behind intake and the pipeline.
 *
 * In: the control listeners (startControl shares each listening socket with every reader, which
 * then accepts on it too) and the connections the main process itself accepted (passed on,
 * still unread, to the reader holding the fewest connections); the store options and the control
 * config slice. Out: `startReaders(opts)` -> ReaderPool { share, take, ready, readyCount, pids, stop }.
 * Config keys: control.readers (how many), control.maxClients, control.maxLineBytes,
 * control.failOpen, control.suspended (passed on to each reader).
 *
 * Why both: a Node process that listens also accepts (libuv has no "listen but do not accept"),
 * and the main process must keep the listening socket to hand it to a replacement reader. So the
 * kernel wakes the main process and the readers for a new connection; whoever accepts first has
 * it, and the main process passes what it wins to a reader (child.send('socket'): one sendmsg per
 * connection, nothing per request). Readers report how many connections they hold (at most every
 * 100 ms), which is what "fewest" uses.
 *
 * Commands whose answer lives in the main process (stats: IMAP health, counters, queue; health:
 * components; metrics) come back over the IPC channel ('ask') and are answered here with the
 * main process's own ControlDeps. Readers push their lookup counters here every second and before
 * each 'ask', so metrics and stats count every lookup. A reader that exits is replaced (backoff up
 * to 5 s while it keeps failing); a reader whose main process goes away exits ('disconnect').
 * While no reader is ready, take() returns false and the main process answers the connection.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { Server, Socket } from 'node:net';
import type { ControlConfig } from '../config/schema.js';
import { child, logFile } from '../log.js';
import type { StoreOptions } from '../store/index.js';
import { runCommand, type CommandContext, type ControlDeps } from './commands.js';
import type { Listener } from './connections.js';

const log = child('control');


/** Counters a reader increments, by Metrics property name. */
export const READER_COUNTERS = ['lookups', 'lookupErrors', 'badRequests', 'connectionsClosed'] as const;
export type ReaderCounter = (typeof READER_COUNTERS)[number];

/** Main process -> reader. */
export type ToReader =
  | {
      t: 'init';
      storeOptions: Pick<StoreOptions, 'path' | 'busyTimeoutMs' | 'state'>;
      control: Pick<ControlConfig, 'maxLineBytes' | 'failOpen' | 'suspended' | 'maxClients' | 'maxClientsPerListener' | 'idleSeconds'>;
      startedAt: number;
      logLevel: string;
    }
  | { t: 'conn'; listener: Listener }
  | { t: 'listen'; listener: Listener }
  | { t: 'answer'; id: number; json: string }
  | { t: 'log'; level: string }
  | { t: 'stop' };

/** Reader -> main process. */
export type FromReader =
  | { t: 'ready' }
  | { t: 'ask'; id: number; line: string }
  | { t: 'counts'; counts: [ReaderCounter, Record<string, string>, number][] }
  | { t: 'load'; conns: number }
  | { t: 'failed'; error: string };

export interface ReaderPool {
  /** Hand a paused, just-accepted connection to the least busy ready reader; false if none is ready. */
  take(socket: Socket, listener: Listener): boolean;
  /** Share a listening server with every reader (now and when one is replaced): they accept too. */
  share(server: Server, listener: Listener): void;
  /** Resolves once every reader started has reported ready (or failed). */
  ready: Promise<void>;
  /** Readers started and ready to take connections. */
  readyCount(): number;
  /** Process ids of the running readers (bench, tests). */
  pids(): number[];
  /** A new log level (SIGHUP reload) for the readers running now and those started later. */
  setLogLevel(level: string): void;
  stop(): Promise<void>;
}

interface Reader {
  proc: ChildProcess;
  ready: boolean;
  conns: number;
  startedAt: number;
}

/** Restart backoff: a reader that dies within this long of starting doubles the delay. */
const HEALTHY_MS = 10_000;
const MAX_BACKOFF_MS = 5000;
const STOP_GRACE_MS = 5000;

export function startReaders(opts: {
  count: number;
  module: URL;
  storeOptions: Pick<StoreOptions, 'path' | 'busyTimeoutMs' | 'state'>;
  control: ControlConfig;
  deps: ControlDeps;
  ctx: CommandContext;
  logLevel: string;
}): ReaderPool {
  const readers = new Set<Reader>();
  let stopping = false;
  let backoff = 100;
  const timers = new Set<NodeJS.Timeout>();
  const initial: Promise<void>[] = [];
  const shared: { server: Server; listener: Listener }[] = [];
  const shareWith = (r: Reader, sh: { server: Server; listener: Listener }): void => {
    if (r.proc.connected) r.proc.send({ t: 'listen', listener: sh.listener } satisfies ToReader, sh.server);
  };

  const spawn = (): Promise<void> => {
    const proc = fork(opts.module, [], {
      // No inherited --inspect, loaders or test-runner flags: a reader is a plain Node process.
      // REBOUND_READER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") is for profiling.
      execArgv: process.env.REBOUND_READER_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
      // Log where this process logs (stdout, or REBOUND_LOG_FILE under test).
      env: logFile() === undefined ? process.env : { ...process.env, REBOUND_LOG_FILE: logFile() },
    });
    const r: Reader = { proc, ready: false, conns: 0, startedAt: Date.now() };
    readers.add(r);
    let settle: () => void = () => undefined;
    const ready = new Promise<void>((res) => (settle = res));

    proc.on('message', (m: FromReader) => {
      switch (m.t) {
        case 'ready':
          r.ready = true;
          for (const sh of shared) shareWith(r, sh);
          settle();
          break;
        case 'load':
          r.conns = m.conns;
          break;
        case 'ask': {
          // Only the commands reader.ts sends here; runCommand never throws.
          const reply = runCommand(m.line, opts.deps, opts.ctx);
          const json = JSON.stringify(reply === 'quit' ? { ok: false, error: 'quit is answered by the reader' } : reply);
          if (proc.connected) proc.send({ t: 'answer', id: m.id, json } satisfies ToReader);
          break;
        }
        case 'counts':
          for (const [name, labels, n] of m.counts)
            if ((READER_COUNTERS as readonly string[]).includes(name)) opts.deps.metrics?.[name].inc(labels, n);
          break;
        case 'failed':
          log.error({ pid: proc.pid, err: m.error }, 'control reader could not start');
          break;
      }
    });
    proc.on('error', (err) => log.error({ err, pid: proc.pid }, 'control reader error'));
    proc.once('exit', (code, signal) => {
      readers.delete(r);
      settle();
      if (stopping) return;
      // Its connections are gone with it; clients reconnect. Replace it.
      const quick = Date.now() - r.startedAt < HEALTHY_MS;
      backoff = quick ? Math.min(MAX_BACKOFF_MS, backoff * 2) : 100;
      log.warn({ pid: proc.pid, code, signal, restartInMs: backoff }, 'control reader exited; starting another');
      const t = setTimeout(() => {
        timers.delete(t);
        if (!stopping) void spawn();
      }, backoff);
      timers.add(t);
    });
    proc.send({
      t: 'init',
      storeOptions: opts.storeOptions,
      control: {
        maxLineBytes: opts.control.maxLineBytes,
        failOpen: opts.control.failOpen,
        suspended: opts.control.suspended,
        maxClients: opts.control.maxClients,
        maxClientsPerListener: opts.control.maxClientsPerListener,
        idleSeconds: opts.control.idleSeconds,
      },
      startedAt: opts.ctx.startedAt,
      logLevel: opts.logLevel,
    } satisfies ToReader);
    return ready;
  };

  for (let i = 0; i < opts.count; i++) initial.push(spawn());

  return {
    ready: Promise.all(initial).then(() => undefined),
    share(server, listener) {
      const sh = { server, listener };
      shared.push(sh);
      for (const r of readers) if (r.ready) shareWith(r, sh);
    },
    take(socket, listener) {
      let best: Reader | undefined;
      for (const r of readers) if (r.ready && r.proc.connected && (!best || r.conns < best.conns)) best = r;
      if (!best) return false;
      const r = best;
      r.conns++;
      r.proc.send({ t: 'conn', listener } satisfies ToReader, socket, (err) => {
        if (err) {
          // The reader went away between the choice and the send: the client reconnects.
          r.conns = Math.max(0, r.conns - 1);
          socket.destroy();
        }
      });
      return true;
    },
    readyCount() {
      let n = 0;
      for (const r of readers) if (r.ready && r.proc.connected) n++;
      return n;
    },
    setLogLevel(level) {
      opts.logLevel = level;
      for (const r of readers) if (r.proc.connected) r.proc.send({ t: 'log', level } satisfies ToReader);
    },
    pids() {
      return [...readers].map((r) => r.proc.pid).filter((p): p is number => p !== undefined);
    },
    async stop() {
      stopping = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await Promise.all(
        [...readers].map(
          (r) =>
            new Promise<void>((res) => {
              if (r.proc.exitCode !== null || r.proc.signalCode !== null) return res();
              const kill = setTimeout(() => r.proc.kill('SIGKILL'), STOP_GRACE_MS);
              r.proc.once('exit', () => {
                clearTimeout(kill);
                res();
              });
              if (r.proc.connected) r.proc.send({ t: 'stop' } satisfies ToReader, (err) => err && r.proc.kill('SIGTERM'));
              else r.proc.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}
