/**
 * Each kind of config mistake gets its own message naming file, key, expectation and value.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, configFromObject, loadConfig, redactConfig } from '../../src/config/load.js';
import { defaultConfig } from '../../src/config/schema.js';

const dir = mkdtempSync(join(tmpdir(), 'rebound-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function write(toml: string): string {
  const p = join(dir, `c${n++}.toml`);
  writeFileSync(p, toml);
  return p;
}

/** Load TOML text under the file name rebound.toml-like path and return the error message. */
function problem(toml: string): string {
  const p = write(toml);
  try {
    loadConfig(p);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(2);
    return (err as Error).message.split(p).join('rebound.toml');
  }
  throw new Error(`expected a ConfigError for:\n${toml}`);
}

describe('loadConfig', () => {
  it('gives frozen defaults without a path', () => {
    const c = loadConfig();
    expect(c).toEqual(defaultConfig);
    expect(Object.isFrozen(c.intake.smtp)).toBe(true);
    expect(() => {
      (c.intake.smtp as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('merges a file over the defaults', () => {
    const c = loadConfig(write('[intake.smtp]\nport = 2600\n[control]\nmode = 0o640\ngroup = "mail"\n'));
    expect(c.intake.smtp.port).toBe(2600);
    expect(c.intake.smtp.host).toBe('127.0.0.1');
    expect(c.control.mode).toBe(0o640);
    expect(c.control.group).toBe('mail');
  });

  it('accepts a quoted octal mode', () => {
    expect(loadConfig(write('[control]\nmode = "0600"\n')).control.mode).toBe(0o600);
  });

  it('names a wrong type', () => {
    expect(problem('[intake.smtp]\nport = "abc"\n')).toMatchInlineSnapshot(
      `"rebound.toml: intake.smtp.port: expected integer 1-65535, got "abc""`,
    );
  });

  it('names an out-of-range number', () => {
    expect(problem('[state]\nsuspendHours = 0\n')).toMatchInlineSnapshot(
      `"rebound.toml: state.suspendHours: expected integer 1-8760, got 0"`,
    );
  });

  it('names a non-integer', () => {
    expect(problem('[store]\nbusyTimeoutMs = 1.5\n')).toMatchInlineSnapshot(
      `"rebound.toml: store.busyTimeoutMs: expected integer 0-600000, got 1.5"`,
    );
  });

  it('rejects an unknown key and suggests the right case', () => {
    expect(problem('[intake.smtp]\nmaxclients = 5\n')).toMatchInlineSnapshot(
      `"rebound.toml: intake.smtp.maxclients: unknown key (did you mean "maxClients"?)"`,
    );
  });

  it('rejects an unknown section', () => {
    expect(problem('[classifyy]\nx = 1\n')).toMatchInlineSnapshot(`"rebound.toml: classifyy: unknown key"`);
  });

  it('rejects a scalar where a table belongs', () => {
    expect(problem('intake = 3\n')).toMatchInlineSnapshot(`"rebound.toml: intake: expected table, got 3"`);
  });

  it('names an enum with its choices', () => {
    expect(problem('[log]\nlevel = "loud"\n')).toMatchInlineSnapshot(
      `"rebound.toml: log.level: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "loud""`,
    );
  });

  it('checks cron expressions', () => {
    expect(problem('[jobs.prune]\nschedule = "every day"\n')).toMatchInlineSnapshot(
      `"rebound.toml: jobs.prune.schedule: expected cron expression like "*/5 * * * *", got "every day""`,
    );
  });

  it('checks a bad mode', () => {
    expect(problem('[control]\nmode = 999\n')).toMatchInlineSnapshot(
      `"rebound.toml: control.mode: expected file mode 0o000-0o777 (e.g. 0o660), got 999"`,
    );
  });

  it('checks array elements', () => {
    expect(problem('[verp]\ndomains = ["a.example", ""]\n')).toMatchInlineSnapshot(
      `"rebound.toml: verp.domains[1]: expected non-empty string, got """`,
    );
  });

  it('reports a TOML syntax error with its position', () => {
    expect(problem('[store\npath = 1\n')).toMatch(/^rebound\.toml: TOML syntax error at line 1, column \d+: /);
  });

  it('reports a missing file', () => {
    expect(() => loadConfig(join(dir, 'nope.toml'))).toThrow(/nope\.toml: cannot read config file \(ENOENT\)/);
  });

  it('lists every problem, not only the first', () => {
    const msg = problem('[intake.smtp]\nport = 0\nhost = 5\n[log]\nlevel = 1\n');
    expect(msg.split('\n')).toEqual([
      'rebound.toml: intake.smtp.port: expected integer 1-65535, got 0',
      'rebound.toml: intake.smtp.host: expected string, got 5',
      'rebound.toml: log.level: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got 1',
    ]);
  });

  it('checks keys that depend on each other', () => {
    expect(problem('[intake.smtp.tls]\ncert = "/x.pem"\n')).toMatchInlineSnapshot(
      `"rebound.toml: intake.smtp.tls: expected both cert and key or neither, got only cert"`,
    );
    expect(problem('[verp]\nrequireSignature = true\n')).toMatchInlineSnapshot(
      `"rebound.toml: verp.requireSignature: expected at least one key in verp.keys / keysFile / keysEnv when true, got none"`,
    );
    expect(problem('[state.escalation]\ndistinctDays = 10\nwithinDays = 5\n')).toMatchInlineSnapshot(
      `"rebound.toml: state.escalation.distinctDays: expected integer <= state.escalation.withinDays (5), got 10"`,
    );
  });
});

describe('imap mailboxes and secrets', () => {
  const mb = (extra: string): string => `[[imap.mailboxes]]\nname = "b"\nhost = "imap.example"\nuser = "u"\n${extra}`;

  it('fills mailbox defaults and keeps a literal password', () => {
    const c = loadConfig(write(mb('password = "pw"\n')));
    expect(c.imap.mailboxes[0]).toMatchObject({ name: 'b', port: 993, tls: 'implicit', folders: ['INBOX'], password: 'pw' });
  });

  it('reads a password from a file, dropping the newline', () => {
    const pw = join(dir, 'pw');
    writeFileSync(pw, 's3cret\n');
    expect(loadConfig(write(mb(`passwordFile = "${pw}"\n`))).imap.mailboxes[0]!.password).toBe('s3cret');
  });

  it('reads a password from an environment variable', () => {
    process.env.REBOUND_TEST_PW = 'from-env';
    try {
      expect(loadConfig(write(mb('passwordEnv = "REBOUND_TEST_PW"\n'))).imap.mailboxes[0]!.password).toBe('from-env');
    } finally {
      delete process.env.REBOUND_TEST_PW;
    }
  });

  it('names an unset environment variable', () => {
    expect(problem(mb('passwordEnv = "REBOUND_TEST_UNSET_VAR"\n'))).toMatchInlineSnapshot(
      `"rebound.toml: imap.mailboxes[0].passwordEnv: expected environment variable REBOUND_TEST_UNSET_VAR to be set, got unset"`,
    );
  });

  it('names an unreadable password file', () => {
    expect(problem(mb(`passwordFile = "${join(dir, 'missing')}"\n`))).toMatch(
      /imap\.mailboxes\[0\]\.passwordFile: expected a readable file, got ".*missing" \(ENOENT\)$/,
    );
  });

  it('wants exactly one password source', () => {
    expect(problem(mb('password = "a"\npasswordEnv = "X"\n'))).toMatchInlineSnapshot(
      `"rebound.toml: imap.mailboxes[0]: expected exactly one of password, passwordFile, passwordEnv, got password + passwordEnv"`,
    );
  });

  it('names missing required mailbox keys and duplicate names', () => {
    const msg = problem('[[imap.mailboxes]]\nname = "a"\npassword = "x"\n[[imap.mailboxes]]\nname = "a"\nhost = "h"\nuser = "u"\npassword = "x"\n');
    expect(msg.split('\n')).toEqual([
      'rebound.toml: imap.mailboxes[0].host: required key is missing',
      'rebound.toml: imap.mailboxes[0].user: required key is missing',
      'rebound.toml: imap.mailboxes[1].name: expected a name not used by another mailbox, got "a"',
    ]);
  });

  it('checks mailbox keys against their own rules', () => {
    expect(problem(mb('password = "p"\ntls = "ssl"\n'))).toMatchInlineSnapshot(
      `"rebound.toml: imap.mailboxes[0].tls: expected one of "implicit", "starttls", "none", got "ssl""`,
    );
    expect(problem(mb('password = "p"\nmoveTo.done = "X"\n'))).toMatchInlineSnapshot(
      `"rebound.toml: imap.mailboxes[0].moveTo.done: unknown key"`,
    );
  });

  it('never prints a secret value in an error', () => {
    const msg = problem(mb('password = 12345\n'));
    expect(msg).toContain('imap.mailboxes[0].password: expected string, got (secret hidden)');
    expect(msg).not.toContain('12345');
  });

  it('adds VERP keys from a file and an environment variable', () => {
    const kf = join(dir, 'keys');
    writeFileSync(kf, '# comment\nkey-two\n\nkey-three\n');
    process.env.REBOUND_TEST_KEYS = 'key-four, key-five';
    try {
      const c = loadConfig(write(`[verp]\nkeys = ["key-one"]\nkeysFile = "${kf}"\nkeysEnv = "REBOUND_TEST_KEYS"\nrequireSignature = true\n`));
      expect(c.verp.keys).toEqual(['key-one', 'key-two', 'key-three', 'key-four', 'key-five']);
    } finally {
      delete process.env.REBOUND_TEST_KEYS;
    }
  });

  it('names an unreadable VERP key file', () => {
    expect(problem(`[verp]\nkeysFile = "${join(dir, 'no-keys')}"\n`)).toMatch(/^rebound\.toml: verp\.keysFile: expected a readable file, got ".*no-keys" \(ENOENT\)$/);
  });

  it('redacts secrets for show-config', () => {
    const c = configFromObject({ verp: { keys: ['k1'] }, imap: { mailboxes: [{ name: 'a', host: 'h', user: 'u', password: 'pw' }] } });
    const r = JSON.stringify(redactConfig(c));
    expect(r).not.toContain('pw"');
    expect(r).not.toContain('k1');
    expect(r).toContain('"password":"(secret)"');
  });
});
