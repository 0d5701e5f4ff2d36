/**
 * Config keys of the PostgreSQL store: store.backend, store.url, store.poolSize, store.tls,
 * store.passwordFile / store.passwordEnv. The password never sits in the file, the URL or the
 * Config (so show-config cannot print it): storePassword reads it where it is used; bad values
 * name file and key.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, configFromObject, redactConfig, storePassword } from '../../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'rebound-store-cfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problems(input: unknown): string[] {
  try {
    configFromObject(input, 'r.toml');
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

describe('config: store backend keys', () => {
  it('defaults to SQLite, and takes a PostgreSQL URL with the password from a file', () => {
    expect(configFromObject({}).store).toMatchObject({ backend: 'sqlite', poolSize: 10, tls: 'verify-full' });
    const pw = join(dir, 'pw');
    writeFileSync(pw, 's3cret-pw\n', { mode: 0o600 });
    const cfg = configFromObject({ store: { backend: 'postgresql', url: 'postgresql://rebound@db.example.org/rebound', passwordFile: pw, poolSize: 20, tls: 'require' } });
    expect(cfg.store).toMatchObject({ backend: 'postgresql', passwordFile: pw, poolSize: 20, tls: 'require' });
    expect(storePassword(cfg.store)).toBe('s3cret-pw');
    expect(JSON.stringify(cfg)).not.toContain('s3cret-pw');
    expect(JSON.stringify(redactConfig(cfg))).not.toContain('s3cret-pw');
  });

  it('takes the password from the environment', () => {
    process.env.REBOUND_TEST_DB_PW = 'from-env';
    const cfg = configFromObject({ store: { backend: 'postgresql', url: 'postgresql://r@h/d', passwordEnv: 'REBOUND_TEST_DB_PW' } });
    expect(storePassword(cfg.store)).toBe('from-env');
    delete process.env.REBOUND_TEST_DB_PW;
    expect(problems({ store: { backend: 'postgresql', url: 'postgresql://r@h/d', passwordEnv: 'REBOUND_TEST_DB_PW' } })).toEqual([
      'r.toml: store.passwordEnv: expected environment variable REBOUND_TEST_DB_PW to be set, got unset',
    ]);
  });

  it('refuses a password in the file or in the URL, a missing URL, and bad values, naming the key', () => {
    expect(problems({ store: { password: 'x' } })).toEqual(['r.toml: store.password: unknown key']);
    const inUrl = problems({ store: { backend: 'postgresql', url: 'postgresql://r:hunter2@h/d' } });
    expect(inUrl).toEqual(['r.toml: store.url: a password in the URL is not accepted (it would show in logs); use store.passwordFile or store.passwordEnv']);
    expect(inUrl.join()).not.toContain('hunter2');
    expect(problems({ store: { backend: 'postgresql' } })).toEqual(['r.toml: store.url: required when store.backend = "postgresql"']);
    expect(problems({ store: { backend: 'mysql' } })).toEqual(['r.toml: store.backend: expected one of "sqlite", "postgresql", got "mysql"']);
    expect(problems({ store: { url: 'mysql://h/d' } })).toEqual(['r.toml: store.url: expected a postgresql:// URL, got scheme "mysql"']);
    expect(problems({ store: { poolSize: 0 } })).toEqual(['r.toml: store.poolSize: expected integer 1-1000, got 0']);
  });
});
