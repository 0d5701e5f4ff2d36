/**
 * IMAP over TLS against a real private Dovecot with a self-signed certificate: `tls = "implicit"`
 * and `tls = "starttls"` work when the certificate is trusted (NODE_EXTRA_CA_CERTS for the
 * `rebound poll` child process), and an untrusted certificate is refused with a clear error
 * (certificates are verified). Skips (with the reason) without Dovecot, except under CI.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bounce, dovecotMissing, startDovecot, type Dovecot } from '../support/dovecot.js';

const missing = dovecotMissing();
const root = new URL('../..', import.meta.url).pathname;
const run = promisify(execFile);

describe.skipIf(missing !== '')(`IMAP over TLS${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let dv: Dovecot;
  let dir = '';
  let cfg = '';

  async function poll(mailbox: string, trust: boolean): Promise<{ code: number; stdout: string; stderr: string }> {
    const env: NodeJS.ProcessEnv = { ...process.env, REBOUND_LOG_LEVEL: 'silent' };
    delete env.NODE_EXTRA_CA_CERTS;
    if (trust) env.NODE_EXTRA_CA_CERTS = dv.caFile!;
    try {
      const r = await run(process.execPath, [join(root, 'dist/main.js'), 'poll', '-c', cfg, '--mailbox', mailbox, '--json'], { env });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  beforeAll(async () => {
    dv = await startDovecot({ tls: true });
    await dv.append('tls-implicit', [bounce('user-unknown', 6000), bounce('mailbox-full', 6001)]);
    await dv.append('tls-starttls', [bounce('spam-blocked', 6002)]);
    dir = mkdtempSync(join(tmpdir(), 'rebound-imap-tls-'));
    cfg = join(dir, 'rebound.toml');
    const mb = (name: string, tls: string, port: number, folder: string) =>
      [
        '[[imap.mailboxes]]',
        `name = "${name}"`,
        `host = "127.0.0.1"`,
        `port = ${port}`,
        `tls = "${tls}"`,
        `user = "${dv.user}"`,
        `password = "${dv.password}"`,
        `folders = ["${folder}"]`,
      ].join('\n');
    writeFileSync(
      cfg,
      [
        `[store]\npath = "${join(dir, 'rebound.db')}"`,
        mb('implicit', 'implicit', dv.tlsPort!, 'tls-implicit'),
        mb('starttls', 'starttls', dv.port, 'tls-starttls'),
      ].join('\n') + '\n',
    );
  });
  afterAll(async () => {
    await dv?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a certificate it cannot verify, with an error that says so', async () => {
    const r = await poll('implicit', false);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^rebound poll: imap mailbox "implicit" \(bounces@127\.0\.0\.1:\d+\): connect failed \[[A-Z_]+\]: .*(self-signed|self signed)/);
  });

  it('reads over implicit TLS and over STARTTLS when the certificate is trusted', async () => {
    const a = await poll('implicit', true);
    expect(a.stderr).toBe('');
    expect(JSON.parse(a.stdout)).toMatchObject({ mailbox: 'implicit', ok: true, fetched: 2, stored: 2 });
    const b = await poll('starttls', true);
    expect(b.stderr).toBe('');
    expect(JSON.parse(b.stdout)).toMatchObject({ mailbox: 'starttls', ok: true, fetched: 1, stored: 1 });
  });
});
