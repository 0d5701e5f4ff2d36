#!/usr/bin/env node
/**
 * bench/socket-floor - the floor for the status-socket bench on this machine: a Node server that
 * answers every line on a Unix socket with one fixed JSON line and does nothing else (no parsing,
 * no SQLite, no counters). bench/socket.mjs runs it with BENCH_FLOOR=N after rebound's scenarios,
 * with the same client, as bench:smtp runs Postfix's smtp-sink: what Node's sockets alone cost
 * per request here, so that rebound's figures can be read against it.
 *
 * Usage: node bench/socket-floor.mjs SOCKET ACCEPTORS. ACCEPTORS 0: this process answers alone;
 * N > 0: N forked processes share the listening socket with this one (as control.readers does).
 * Prints `ready PID...` (every answering process) on stdout; exits on SIGTERM with its children.
 */
import { fork } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';

const REPLY = '{"ok":true,"address":"user1@d1.example.com","verdict":"ok","cause":""}\n';

function serve(sock) {
  sock.setEncoding('latin1');
  let buf = '';
  sock.on('data', (d) => {
    buf += d;
    let out = '';
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      buf = buf.slice(nl + 1);
      out += REPLY;
    }
    if (out) sock.write(out);
  });
  sock.on('error', () => sock.destroy());
}

if (process.argv[2] === '--acceptor') {
  process.on('message', (m, server) => {
    if (m === 'listen') server.on('connection', serve);
  });
  process.on('disconnect', () => process.exit(0));
} else {
  const [path, n = '0'] = process.argv.slice(2);
  rmSync(path, { force: true });
  const server = createServer(serve);
  await new Promise((r) => server.listen(path, r));
  const kids = [];
  for (let i = 0; i < Number(n); i++) {
    const k = fork(new URL(import.meta.url).pathname, ['--acceptor'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    k.send('listen', server);
    kids.push(k);
  }
  process.on('SIGTERM', () => {
    for (const k of kids) k.kill();
    process.exit(0);
  });
  console.log(`ready ${[process.pid, ...kids.map((k) => k.pid)].join(' ')}`);
}
