/**
 * support/dovecot - a private, throw-away Dovecot IMAP server for the IMAP intake tests.
 *
 * In: nothing (a temp dir and a free loopback port are chosen here). Out: { host, port, user,
 * password, stop(), restart(), doveadm() } plus small IMAP helpers (append, list, count) that talk
 * to it the way an MTA's delivery or a mail client would; bounce() fills in a fixture message.
 *
 * The instance has its own base_dir/state_dir/log under the temp dir, listens on 127.0.0.1 only,
 * uses a passwd-file user with a Maildir and plaintext auth without TLS (loopback only), so it
 * never touches the system's Dovecot. When the tests run as root (CI), mail is owned by `nobody`,
 * because Dovecot refuses to run mail processes as root.
 *
 * `dovecotMissing()` tells a test to skip; under CI a missing Dovecot is an error instead (.ci/run
 * installs it).
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll } from 'vitest';
import { type Store } from '../../src/store/index.js';
import { openProcessingStore } from './pipeline.js';
import type { ImapMailboxConfig } from '../../src/config/schema.js';
import { dovecotConfig } from './dovecot-config.mjs';
import { freePort } from './net.mjs';

const run = promisify(execFile);

const DOVECOT_BIN = ['/usr/sbin/dovecot', '/usr/local/sbin/dovecot'].find((p) => existsSync(p)) ?? 'dovecot';

/** Why Dovecot tests cannot run here, or '' when they can. Under CI, absence throws instead. */
export function dovecotMissing(): string {
  let found = false;
  try {
    execFileSync(DOVECOT_BIN, ['--version'], { stdio: 'pipe' });
    found = true;
  } catch {
    found = false;
  }
  if (found) return '';
  if (process.env.CI) throw new Error('dovecot is not installed, and CI must run the IMAP tests (.ci/run installs dovecot-imapd)');
  return 'dovecot is not installed (apt-get install dovecot-imapd)';
}

export interface Dovecot {
  host: string;
  port: number;
  user: string;
  password: string;
  dir: string;
  /** With `tls: true`: the implicit-TLS port, and the self-signed certificate (for NODE_EXTRA_CA_CERTS). */
  tlsPort?: number;
  caFile?: string;
  /** Stop the server: master and every IMAP session, like a service restart. */
  kill(): Promise<void>;
  start(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
  doveadm(args: string[]): Promise<string>;
  /** A connected client for test set-up and checks (the caller logs out). */
  client(): Promise<ImapFlow>;
  append(folder: string, messages: (string | Buffer)[]): Promise<void>;
  /** Number of messages in a folder (0 when the folder does not exist). */
  count(folder: string): Promise<number>;
  /** Flags of every message in a folder, by UID. */
  flags(folder: string): Promise<Map<number, Set<string>>>;
  folders(): Promise<string[]>;
}

const fixtures = new URL('../fixtures/imap/', import.meta.url);

/**
 * A mailbox config for tests: a Dovecot started here (or any host/user/password given in `over`),
 * INBOX, no IDLE, a schedule that never fires during a test (passes come from start, IDLE,
 * retries and runNow only), mark seen, never delete.
 */
export function mailboxFor(dv: Pick<Dovecot, 'host' | 'port' | 'user' | 'password'> | null, over: Partial<ImapMailboxConfig> = {}): ImapMailboxConfig {
  return {
    name: 'bounces',
    host: dv?.host ?? '127.0.0.1',
    port: dv?.port ?? 1,
    tls: 'none',
    user: dv?.user ?? 'bounces',
    password: dv?.password ?? 'pw',
    folders: ['INBOX'],
    schedule: '0 0 1 1 *',
    idle: false,
    moveTo: {},
    markSeen: true,
    delete: false,
    maxMessagesPerRun: 500,
    maxRunSeconds: 60,
    ...over,
  };
}

/**
 * A bounce from test/fixtures/imap/ with its placeholders filled: N makes every message distinct
 * (the store dedupes by content hash), RCPT is the failed recipient, DATE is now (so a 24 h
 * suspension is still running when the test looks).
 */
export function bounce(kind: 'user-unknown' | 'spam-blocked' | 'mailbox-full' | 'human-reply', n: number, rcpt = `user${n}@example.org`): string {
  return readFileSync(new URL(`${kind}.eml`, fixtures), 'utf8')
    .replaceAll('{{N}}', String(n))
    .replaceAll('{{RCPT}}', rcpt)
    .replaceAll('{{TAG}}', `m${n}`)
    .replaceAll('{{DATE}}', new Date().toUTCString().replace('GMT', '+0000'))
    .replace(/\r?\n/g, '\r\n');
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`dovecot did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startDovecot(opts: { user?: string; password?: string; tls?: boolean } = {}): Promise<Dovecot> {
  const dir = mkdtempSync(join(tmpdir(), 'rebound-dovecot-'));
  // Mail processes (running as `nobody` under root) must be able to reach the Maildir.
  chmodSync(dir, 0o755);
  for (const sub of ['run', 'state', 'mail']) mkdirSync(join(dir, sub));
  const me = userInfo();
  const root = me.uid === 0;
  const uid = root ? 65534 : me.uid;
  const gid = root ? 65534 : me.gid;
  if (root) chownSync(join(dir, 'mail'), uid, gid);
  const user = opts.user ?? 'bounces';
  const password = opts.password ?? 'test-password-1';
  writeFileSync(join(dir, 'users'), `${user}:${password}:${uid}:${gid}::${dir}/mail/${user}\n`);
  const port = await freePort();
  let tlsPort: number | undefined;
  if (opts.tls) {
    // A self-signed certificate for 127.0.0.1; clients trust it through NODE_EXTRA_CA_CERTS.
    tlsPort = await freePort();
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'pipe' });
  }
  const conf = join(dir, 'dovecot.conf');
  writeFileSync(conf, dovecotConfig(dir, port, root ? undefined : me.username, tlsPort));

  const pidFile = join(dir, 'run', 'master.pid');
  const readPid = (): number | undefined => {
    try {
      const n = Number(readFileSync(pidFile, 'utf8').trim());
      return Number.isInteger(n) && n > 0 ? n : undefined;
    } catch {
      return undefined;
    }
  };
  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  const start = async (): Promise<void> => {
    try {
      // The master daemonizes; wait for the launching process only (stdio ignored, so no pipe
      // is held open by the daemon).
      await new Promise<void>((resolve, reject) => {
        const p = spawn(DOVECOT_BIN, ['-c', conf], { stdio: 'ignore' });
        p.once('error', reject);
        p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`exit code ${code}`))));
      });
    } catch (err) {
      let log = '';
      try {
        log = readFileSync(join(dir, 'dovecot.log'), 'utf8').slice(-2000);
      } catch {
        /* no log yet */
      }
      throw new Error(`dovecot -c ${conf} failed: ${(err as Error).message}\n${log}`);
    }
    await waitForPort(port, 10_000);
  };
  // A restart as systemd does it: the whole process group (master, login, every IMAP session)
  // goes at once. Killing only the master would leave running sessions served.
  const groupAlive = (pid: number): boolean => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const kill = async (): Promise<void> => {
    const pid = readPid();
    if (pid === undefined || !alive(pid)) return;
    process.kill(-pid, 'SIGTERM');
    const deadline = Date.now() + 10_000;
    while (groupAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    if (groupAlive(pid)) process.kill(-pid, 'SIGKILL');
    while (groupAlive(pid)) await new Promise((r) => setTimeout(r, 25));
  };

  await start();

  const client = async (): Promise<ImapFlow> => {
    const c = new ImapFlow({
      host: '127.0.0.1',
      port,
      secure: false,
      // The helper stays in cleartext on loopback, also when the server offers STARTTLS.
      doSTARTTLS: false,
      auth: { user, pass: password },
      logger: false,
      disableAutoIdle: true,
    });
    await c.connect();
    return c;
  };

  const dv: Dovecot = {
    host: '127.0.0.1',
    port,
    user,
    password,
    dir,
    ...(tlsPort ? { tlsPort, caFile: join(dir, 'cert.pem') } : {}),
    kill,
    start,
    restart: async () => {
      await kill();
      await start();
    },
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
    doveadm: async (args) => (await run('doveadm', ['-c', conf, ...args])).stdout,
    client,
    append: async (folder, messages) => {
      const c = await client();
      try {
        if (folder !== 'INBOX' && !(await c.list()).some((l) => l.path === folder)) await c.mailboxCreate(folder);
        for (const m of messages) await c.append(folder, m);
      } finally {
        await c.logout();
      }
    },
    count: async (folder) => {
      const c = await client();
      try {
        const st = await c.status(folder, { messages: true }).catch(() => false as const);
        return st ? (st.messages ?? 0) : 0;
      } finally {
        await c.logout();
      }
    },
    flags: async (folder) => {
      const c = await client();
      const out = new Map<number, Set<string>>();
      try {
        const lock = await c.getMailboxLock(folder);
        try {
          const mb = c.mailbox;
          if (mb && mb.exists > 0) {
            for await (const msg of c.fetch('1:*', { uid: true, flags: true })) out.set(msg.uid, msg.flags ?? new Set());
          }
        } finally {
          lock.release();
        }
      } finally {
        await c.logout();
      }
      return out;
    },
    folders: async () => {
      const c = await client();
      try {
        return (await c.list()).map((l) => l.path).sort();
      } finally {
        await c.logout();
      }
    },
  };
  return dv;
}

/**
 * For a describe block run against one private Dovecot: starts it before the block's tests (and
 * hands it to `started`), and after them closes the in-memory stores made by the returned
 * newStore() and stops the server.
 */
export function useDovecot(started: (dv: Dovecot) => void, opts: Parameters<typeof startDovecot>[0] = {}): () => Store {
  let dv: Dovecot | undefined;
  const stores: Store[] = [];
  beforeAll(async () => {
    dv = await startDovecot(opts);
    started(dv);
  });
  afterAll(async () => {
    for (const s of stores) s.close();
    await dv?.stop();
  });
  return () => {
    const s = openProcessingStore({ path: ':memory:' });
    stores.push(s);
    return s;
  };
}
