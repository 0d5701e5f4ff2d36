/**
 * `rebound check-config` through the built binary (exit 0 ok, 2 config error, messages on stderr);
 * `show-config` (secrets hidden) and `backup` in-process, to keep the suite fast.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBackup } from '../../src/cli/backup.js';
import { showConfig } from '../../src/cli/check-config.js';
import { openStore } from '../../src/store/index.js';

const main = new URL('../../dist/main.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'rebound-cli-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function rebound(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [main, ...args], {
    encoding: 'utf8',
    env: { ...process.env, REBOUND_CONFIG: '', REBOUND_LOG_LEVEL: 'silent' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('check-config / show-config / backup', () => {
  it('accepts the example config', () => {
    const example = new URL('../../config/rebound.example.toml', import.meta.url).pathname;
    const r = rebound('check-config', '-c', example);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('configuration OK');
  });

  it('exits 2 and lists every problem with file and key', () => {
    const f = join(dir, 'bad.toml');
    writeFileSync(f, '[intake.smtp]\nport = "abc"\n[logg]\nlevel = "x"\n');
    const r = rebound('check-config', '-c', f);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${f}: intake.smtp.port: expected integer 1-65535, got "abc"`);
    expect(r.err).toContain(`${f}: logg: unknown key`);
  });

  it('exits 2 for a missing file', () => {
    const r = rebound('check-config', '-c', join(dir, 'missing.toml'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/missing\.toml: cannot read config file \(ENOENT\)/);
  });

  it('shows the effective config with secrets hidden, and only changes with --changed', () => {
    const f = join(dir, 'show.toml');
    writeFileSync(f, '[intake.smtp]\nport = 2600\n[verp]\nkeys = ["very-secret-key"]\n');
    const all = showConfig(f, { json: false, changed: false });
    expect(all).toContain('port = 2600');
    expect(all).toContain('[store]');
    expect(all).not.toContain('very-secret-key');
    const changed = showConfig(f, { json: true, changed: true });
    expect(JSON.parse(changed)).toEqual({ intake: { smtp: { port: 2600 } }, verp: { keys: ['(secret)'] } });
  });

  it('backs up the database and refuses to overwrite without --force', async () => {
    const db = join(dir, 'live.db');
    openStore({ path: db }).close();
    const f = join(dir, 'b.toml');
    writeFileSync(f, `[store]\npath = "${db}"\n`);
    const out = join(dir, 'copy.db');
    expect(await runBackup(out, { config: f })).toBe(out);
    expect(existsSync(out)).toBe(true);
    const copy = openStore({ path: out, readonly: true });
    expect(copy.stats().messages.total).toBe(0);
    copy.close();
    await expect(runBackup(out, { config: f })).rejects.toThrow(/exists; use --force/);
    expect(await runBackup(out, { config: f, force: true })).toBe(out);
    await expect(runBackup(join(dir, 'other.db'), { config: join(dir, 'nope.toml') })).rejects.toThrow(/cannot read config file/);
  });
});
