// bench/soak-faults.mjs - rebound under faults, on loopback, bounded in time (issue 16):
//   kill    kill -9 during a burst of 20 senders, --kill-trials times: every message acknowledged
//           with 250 ("stored as N") is in the file afterwards (acknowledged = stored, 0 lost).
//   poison  20 senders for 10 s with and without a poison message sent 2 s in: p50/p99/max of the
//           other senders' end-of-DATA -> 250 times; the poison stored failed at its deadline.
//           The poison spins for ever in a stand-in analysis worker (test/support/slow-analyze-
//           worker.mjs, swapped in by test/support/slow-analysis.mjs (node --import); every other message is analysed for real):
//           after the linear-pattern work no real input is slow (bench:mutate).
//   slow    100 SMTP connections that send one byte every 2 s (never a whole command) and 450
//           idle connections to the policy port, for 20 s: can real senders deliver, and are fresh
//           policy / socketmap / status lookups answered?
//   disk    the store on a 64 MB tmpfs (needs root for mount): a burst leaves pending rows, the
//           disk is filled, deliveries get 451 and the pipeline's commits fail; then space comes
//           back (and a sender retries once a second): seconds until every pending row is
//           processed and health is back, with no restart.
// `npm run bench:soak -- [--only kill,poison,slow,disk] [--kill-trials 3]`. Prints one line per
// measurement and a JSON summary. The daemon is the built one (dist/main.js serve), one process per
// scenario, on a fresh store under the system temp directory.
import Database from 'better-sqlite3';
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Conn } from './smtp-client.mjs';
import { freePort } from '../test/support/net.mjs';

const root = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const ONLY = new Set(opt('only', 'kill,poison,slow,disk').split(','));
const KILL_TRIALS = Number(opt('kill-trials', 3));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const summary = {};
const pct = (xs, p) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] * 10) / 10;
};

// ---- the daemon ----

async function daemon(dir, extra = '', nodeArgs = []) {
  const port = await freePort();
  const policy = await freePort();
  const socketmap = await freePort();
  const cfg = join(dir, 'rebound.toml');
  const db = join(dir, 'rebound.db');
  const sock = join(dir, 'ctl.sock');
  writeFileSync(
    cfg,
    `[store]\npath = "${db}"\n[intake.smtp]\nport = ${port}\n[control]\nsocket = "${sock}"\nreaders = 0\n` +
      `[control.policy]\nenabled = true\nport = ${policy}\n[control.socketmap]\nenabled = true\nport = ${socketmap}\n` +
      `[verp]\ndomains = ["bounces.localhost"]\n[jobs.prune]\nenabled = false\n${extra}`,
  );
  const child = spawn(process.execPath, [...nodeArgs, join(root, 'dist', 'main.js'), 'serve', '-c', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d.toString()));
  child.stderr.on('data', (d) => (out += d.toString()));
  const t0 = Date.now();
  while (!out.includes('"msg":"ready"')) {
    if (child.exitCode !== null || Date.now() - t0 > 60_000) throw new Error(`daemon did not start:\n${out.slice(-2000)}`);
    await sleep(50);
  }
  return {
    child,
    port,
    policy,
    socketmap,
    sock,
    db,
    log: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

function bounce(token, extra = '') {
  const rcpt = `user-${token}@example.com`;
  return [
    'From: MAILER-DAEMON@mta.example.net',
    `To: bounces+user-${token}=example.com@bounces.localhost`,
    'Subject: Undelivered Mail Returned to Sender',
    `Message-Id: <${token}.soak@mta.example.net>`,
    'Content-Type: text/plain',
    '',
    `<${rcpt}>: host mx.example.com[192.0.2.1] said: 550 5.1.1 <${rcpt}>: User unknown (in reply to RCPT TO command)`,
    extra,
    '.',
  ].join('\r\n');
}

/** One transaction on an open connection: the end-of-DATA reply and its time (ms). */
async function send(c, token, extra = '') {
  const r1 = await c.cmd('MAIL FROM:<>');
  if (!r1.startsWith('250')) return { reply: r1, ms: 0 };
  const r2 = await c.cmd(`RCPT TO:<bounces+user-${token}=example.com@bounces.localhost>`);
  if (!r2.startsWith('250')) return { reply: r2, ms: 0 };
  const r3 = await c.cmd('DATA');
  if (!r3.startsWith('354')) return { reply: r3, ms: 0 };
  const t0 = performance.now();
  const reply = await c.cmd(bounce(token, extra));
  return { reply, ms: performance.now() - t0 };
}

async function open(port) {
  const c = await Conn.open(port);
  const greet = await c.reply();
  if (!greet.startsWith('220')) throw new Error(`greeting: ${greet.trim()}`);
  await c.cmd('EHLO soak.example');
  return c;
}

/** `conns` senders delivering one message after another until `until()` is false. */
async function burst(port, conns, until, label) {
  const acked = [];
  const lat = [];
  const other = {};
  await Promise.all(
    Array.from({ length: conns }, async (_, k) => {
      let c;
      try {
        c = await open(port);
        for (let i = 0; until(); i++) {
          const { reply, ms } = await send(c, `${label}-${k}-${i}`);
          if (reply.startsWith('250')) {
            lat.push(ms);
            const id = Number(/stored as (\d+)/.exec(reply)?.[1] ?? 0);
            if (id > 0) acked.push(id);
          } else {
            const code = reply.slice(0, 3);
            other[code] = (other[code] ?? 0) + 1;
            if (code === '421') break;
          }
        }
        c.sock.end('QUIT\r\n');
      } catch {
        other.disconnected = (other.disconnected ?? 0) + 1;
        c?.sock.destroy();
      }
    }),
  );
  return { acked, lat, other };
}

function ask(sock, line) {
  return new Promise((resolve, reject) => {
    const s = connect(sock);
    let buf = '';
    s.setEncoding('utf8');
    s.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        s.destroy();
        resolve(JSON.parse(buf.slice(0, nl)));
      }
    });
    s.on('error', reject);
    s.write(`${line}\n`);
  });
}

function pendingOf(db) {
  const d = new Database(db, { readonly: true, fileMustExist: true });
  return {
    pending: () => d.prepare("SELECT count(*) AS n FROM messages WHERE state = 'pending'").get().n,
    row: (id) => d.prepare('SELECT state, error FROM messages WHERE id = ?').get(id),
    close: () => d.close(),
  };
}

// ---- kill -9 during a burst ----

async function killScenario() {
  const trials = [];
  for (let t = 0; t < KILL_TRIALS; t++) {
    const dir = mkdtempSync(join(tmpdir(), 'rebound-soak-kill-'));
    try {
      const d = await daemon(dir);
      let go = true;
      const run = burst(d.port, 20, () => go, `k${t}`);
      await sleep(3000 + 700 * t);
      d.child.kill('SIGKILL');
      await new Promise((r) => d.child.once('exit', r));
      go = false;
      const { acked } = await run;
      // The file as the next start finds it (SQLite recovers the WAL on open).
      const db = new Database(d.db);
      const have = new Set(db.prepare('SELECT id FROM messages').all().map((r) => r.id));
      db.close();
      const lost = acked.filter((id) => !have.has(id)).length;
      trials.push({ acknowledged: acked.length, stored: have.size, lost });
      console.log(`kill -9 trial ${t + 1}: ${acked.length} acknowledged, ${have.size} in the file, ${lost} acknowledged and lost`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  summary.kill = trials;
}

// ---- a poison message during a burst ----

async function poisonScenario() {
  const res = {};
  for (const withPoison of [false, true]) {
    const dir = mkdtempSync(join(tmpdir(), 'rebound-soak-poison-'));
    try {
      const d = await daemon(dir, '[analysis]\ndeadlineSeconds = 5\n', ['--import', join(root, 'test', 'support', 'slow-analysis.mjs')]);
      const t0 = Date.now();
      let poisonId = 0;
      const poison = (async () => {
        if (!withPoison) return;
        await sleep(2000);
        const c = await open(d.port);
        const { reply } = await send(c, 'poison', 'SPIN FOREVER');
        poisonId = Number(/stored as (\d+)/.exec(reply)?.[1] ?? 0);
        c.sock.end('QUIT\r\n');
      })();
      const b = await burst(d.port, 20, () => Date.now() - t0 < 10_000, withPoison ? 'p' : 'b');
      await poison;
      const p = pendingOf(d.db);
      const t1 = Date.now();
      while (p.pending() > 0 && Date.now() - t1 < 120_000) await sleep(200);
      const drainedS = (Date.now() - t1) / 1000;
      const poisonRow = poisonId ? p.row(poisonId) : null;
      const left = p.pending();
      p.close();
      const health = await ask(d.sock, 'health');
      await d.stop();
      const r = {
        messages: b.lat.length,
        p50Ms: pct(b.lat, 50),
        p99Ms: pct(b.lat, 99),
        maxMs: pct(b.lat, 100),
        otherReplies: b.other,
        pendingLeft: left,
        backlogProcessedS: drainedS,
        poison: poisonRow,
        analysis: health.components?.analysis?.detail,
      };
      res[withPoison ? 'withPoison' : 'baseline'] = r;
      console.log(
        `${withPoison ? 'poison' : 'baseline'}: ${r.messages} x 250 from 20 senders in 10 s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, max ${r.maxMs} ms; ` +
          `backlog processed ${drainedS.toFixed(1)} s after the burst, ${left} pending left${poisonRow ? `; poison: ${poisonRow.state} (${poisonRow.error})` : ''}`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  summary.poison = res;
}

// ---- slow senders and idle lookup clients ----

function rawConnect(port) {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    s.once('connect', () => resolve(s));
    s.once('error', () => resolve(null));
  });
}

function lookup(port, request, done) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const s = connect(port, '127.0.0.1');
    let buf = '';
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ ok: false, why: 'no answer in 5 s' });
    }, 5000);
    s.setEncoding('latin1');
    s.on('data', (d) => {
      buf += d;
      if (done(buf)) {
        clearTimeout(timer);
        s.destroy();
        resolve({ ok: true, ms: performance.now() - t0 });
      }
    });
    s.on('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, why: e.code });
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ ok: false, why: 'closed' });
    });
    s.write(request);
  });
}

async function slowScenario() {
  const dir = mkdtempSync(join(tmpdir(), 'rebound-soak-slow-'));
  const held = [];
  try {
    const d = await daemon(dir);
    // 100 slow senders (intake.smtp.maxClients): EHLO, then one byte of a command every 2 s.
    for (let i = 0; i < 100; i++) {
      const s = await rawConnect(d.port);
      if (!s) continue;
      held.push(s);
      // After the greeting (smtp-server drops a client that talks before it).
      s.once('data', () => s.write('EHLO slow.example\r\n'));
    }
    const cmd = 'MAIL FROM:<slow@example.org> SIZE=1000';
    let k = 0;
    const drip = setInterval(() => {
      for (const s of held) if (!s.destroyed) s.write(cmd[k % cmd.length]);
      k++;
    }, 2000);
    // 450 idle connections to the policy port.
    for (let i = 0; i < 450; i++) {
      const s = await rawConnect(d.policy);
      if (s) held.push(s);
    }
    await sleep(3000);
    const t0 = Date.now();
    const deliveries = {};
    const lookups = { policy: [], socketmap: [], status: [] };
    const delivery = [];
    while (Date.now() - t0 < 20_000) {
      let reply;
      try {
        const c = await Conn.open(d.port);
        const greet = await Promise.race([c.reply(), sleep(5000).then(() => 'timeout')]);
        if (greet.startsWith('220')) {
          await c.cmd('EHLO real.example');
          const r = await send(c, `real-${Date.now()}`);
          reply = r.reply.slice(0, 3);
          if (reply === '250') delivery.push(r.ms);
          c.sock.end('QUIT\r\n');
        } else {
          reply = greet.slice(0, 3);
          c.sock.destroy();
        }
      } catch (e) {
        reply = 'conn-error';
      }
      deliveries[reply] = (deliveries[reply] ?? 0) + 1;
      lookups.policy.push(await lookup(d.policy, 'request=smtpd_access_policy\nprotocol_state=RCPT\nrecipient=someone@example.com\n\n', (b) => b.includes('\n\n')));
      lookups.socketmap.push(await lookup(d.socketmap, `${'suppress someone@example.com'.length}:suppress someone@example.com,`, (b) => b.endsWith(',')));
      lookups.status.push(
        await ask(d.sock, 'check someone@example.com').then(
          () => ({ ok: true }),
          (e) => ({ ok: false, why: e.code }),
        ),
      );
      await sleep(1000);
    }
    clearInterval(drip);
    const answered = (xs) => `${xs.filter((x) => x.ok).length}/${xs.length}`;
    const stillHeld = held.filter((s) => !s.destroyed).length;
    const r = {
      realDeliveries: deliveries,
      real250p99Ms: pct(delivery, 99),
      policyAnswered: answered(lookups.policy),
      socketmapAnswered: answered(lookups.socketmap),
      statusAnswered: answered(lookups.status),
      attackerConnectionsStillOpen: stillHeld,
    };
    summary.slow = r;
    console.log(
      `slow senders + idle lookups: real deliveries ${JSON.stringify(deliveries)}; policy ${r.policyAnswered}, socketmap ${r.socketmapAnswered}, status ${r.statusAnswered} answered; ${stillHeld} of ${held.length} attacker connections still open after 20 s`,
    );
    for (const s of held) s.destroy();
    await d.stop();
  } finally {
    for (const s of held) s.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- disk full, then space back ----

async function diskScenario() {
  const dir = mkdtempSync(join(tmpdir(), 'rebound-soak-disk-'));
  let mounted = false;
  try {
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', dir], { stdio: 'pipe' });
      mounted = true;
    } catch (e) {
      summary.disk = { skipped: `cannot mount a tmpfs (${String(e.stderr ?? e.message).trim()}); run as root` };
      console.log(`disk full: skipped - ${summary.disk.skipped}`);
      return;
    }
    const data = join(dir, 'data');
    mkdirSync(data);
    const d = await daemon(data, '[jobs.checkpoint]\nenabled = true\n');
    const pid = d.child.pid;
    // A burst: the pipeline trickles while intake is busy, so pending rows pile up.
    let go = true;
    const first = burst(d.port, 20, () => go, 'd1');
    // Short, so that the store stays small and deleting the filler really gives space back.
    await sleep(2000);
    // Fill the disk while the burst goes on.
    const filler = join(dir, 'filler');
    const fd = openSync(filler, 'w');
    const mb = Buffer.alloc(1024 * 1024, 1);
    let filled = 0;
    try {
      for (;;) {
        writeSync(fd, mb);
        filled++;
      }
    } catch {
      // ENOSPC
    }
    // The last bytes too.
    try {
      for (;;) writeSync(fd, Buffer.alloc(4096, 1));
    } catch {
      // ENOSPC
    }
    closeSync(fd);
    await sleep(5000);
    go = false;
    const b1 = await first;
    const h1 = await ask(d.sock, 'health');
    const p = pendingOf(d.db);
    const pendingAtFull = p.pending();
    // Space back.
    unlinkSync(filler);
    const t0 = Date.now();
    let healthyAt = null;
    let doneAt = null;
    // Senders retry what got 451: one delivery a second, as a sender's queue would.
    const c = await open(d.port);
    let after = { reply: '' };
    let n = 0;
    let lastSend = 0;
    while (Date.now() - t0 < 120_000 && (doneAt === null || healthyAt === null)) {
      if (Date.now() - lastSend >= 1000) {
        lastSend = Date.now();
        after = await send(c, `after-space-${n++}`);
      }
      if (doneAt === null && p.pending() === 0) doneAt = Date.now();
      if (healthyAt === null && (await ask(d.sock, 'health')).healthy) healthyAt = Date.now();
      await sleep(200);
    }
    c.sock.end('QUIT\r\n');
    await sleep(2000);
    const left = p.pending();
    p.close();
    const restarted = d.child.pid !== pid || (d.log().match(/"msg":"ready"/g) ?? []).length > 1;
    const r = {
      filesystemMb: 64,
      fillerMb: filled,
      acknowledgedBeforeFull: b1.acked.length,
      repliesWhileFull: b1.other,
      healthWhileFull: h1.components?.['store-writes']?.detail,
      pendingWhenSpaceCameBack: pendingAtFull,
      secondsToZeroPending: doneAt === null ? null : (doneAt - t0) / 1000,
      secondsToHealthy: healthyAt === null ? null : (healthyAt - t0) / 1000,
      deliveryAfter: after.reply.slice(0, 3),
      pendingLeft: left,
      restarted,
    };
    summary.disk = r;
    console.log(
      `disk full: ${b1.acked.length} acknowledged, replies while full ${JSON.stringify(b1.other)}; ${pendingAtFull} pending when space came back, ` +
        `all processed after ${r.secondsToZeroPending} s, healthy after ${r.secondsToHealthy} s, no restart: ${!restarted}`,
    );
    await d.stop();
  } finally {
    if (mounted) {
      for (let i = 0; i < 20; i++) {
        try {
          execFileSync('umount', [dir], { stdio: 'pipe' });
          break;
        } catch {
          await sleep(250);
        }
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

const started = Date.now();
if (ONLY.has('kill')) await killScenario();
if (ONLY.has('poison')) await poisonScenario();
if (ONLY.has('slow')) await slowScenario();
if (ONLY.has('disk')) await diskScenario();
summary.seconds = (Date.now() - started) / 1000;
console.log(JSON.stringify(summary));
