/**
 * config/load - read a TOML config file, check every key against schema.ts, resolve secrets,
 * merge over the defaults and freeze the result.
 *
 * In: a file path (or none: the embedded defaults). Out: a deep-frozen `Config`, or a thrown
 * `ConfigError` (exit code 2) whose message lists every problem as
 * `<file>: <key path>: expected <what>, got <value>`. Unknown keys are errors.
 * Secrets: imap.mailboxes[].passwordFile / passwordEnv, verp.keysFile / verp.keysEnv.
 * With `{ files: true }` (serve, its SIGHUP reload, check-config) the files the daemon reads at
 * start - the TLS certificate and key - are read and checked here too, so a missing one is a
 * config error naming its key (exit 2, not restarted) rather than an ENOENT from deep inside.
 * Only main/cli call this; nothing here exits the process.
 */
import { readFileSync, statSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { parse as parseToml, stringify as stringifyToml, TomlError } from 'smol-toml';
import { validate, type StructError } from 'superstruct';
import { configSchema, defaultConfig, expectedAt, isSecretPath, tableKeys, type Config } from './schema.js';

export class ConfigError extends Error {
  readonly exitCode = 2;
  constructor(
    message: string,
    readonly problems: string[] = [message],
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Table = Record<string, unknown>;

function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** How a value is shown after "got": strings quoted, tables and arrays named, secrets hidden. */
function shown(v: unknown, secret = false): string {
  if (secret) return '(secret hidden)';
  if (v instanceof Date) return `date ${v.toISOString()}`;
  if (Array.isArray(v)) return `array of ${v.length}`;
  if (isTable(v)) return 'table';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  return String(v);
}

type Path = readonly (string | number)[];

/** `intake.smtp.port`, `imap.mailboxes[0].name`; '' is the top level. */
function pathText(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** The value at a key path of the parsed file (undefined when absent). */
function valueAt(input: unknown, path: Path): unknown {
  let v = input;
  for (const p of path) v = typeof p === 'number' ? (Array.isArray(v) ? v[p] : undefined) : isTable(v) ? v[p] : undefined;
  return v;
}

/** Where a key path sits in the file: its position at each level (absent keys last), so that
 *  problems are listed in the order of the file. */
function fileOrder(input: unknown, path: Path): number[] {
  const out: number[] = [];
  let v = input;
  for (const p of path) {
    const i = typeof p === 'number' ? p : isTable(v) ? Object.keys(v).indexOf(p) : -1;
    out.push(i < 0 ? Number.MAX_SAFE_INTEGER : i);
    v = typeof p === 'number' ? (Array.isArray(v) ? v[p] : undefined) : isTable(v) ? v[p] : undefined;
  }
  return out;
}

function compareOrder(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

class Checker {
  readonly problems: string[] = [];
  constructor(readonly file: string) {}

  fail(path: string, expected: string, got: unknown, secret = false): void {
    this.problems.push(`${this.file}: ${path}: expected ${expected}, got ${shown(got, secret)}`);
  }

  /** The schema's complaints about the file, one line each, in the order of the file. */
  schemaIssues(input: unknown, error: StructError): void {
    const lines: { order: number[]; text: string }[] = [];
    for (const failure of error.failures()) {
      const path = failure.path as Path;
      if (failure.type === 'never') {
        // A key the table does not have (the path ends with it).
        const key = String(path[path.length - 1]);
        lines.push({ order: fileOrder(input, path), text: `${this.file}: ${pathText(path)}: unknown key${this.suggest(path.slice(0, -1), key)}` });
        continue;
      }
      const value = valueAt(input, path);
      // A table or an array says what it expects itself; a leaf's message is its expectation.
      const expected = failure.refinement === undefined ? (expectedAt(path) ?? failure.message) : failure.message;
      const text =
        value === undefined
          ? `${this.file}: ${pathText(path)}: required key is missing`
          : `${this.file}: ${pathText(path) || '(top level)'}: expected ${expected}, got ${shown(value, isSecretPath(path))}`;
      lines.push({ order: fileOrder(input, path), text });
    }
    lines.sort((a, b) => compareOrder(a.order, b.order));
    this.problems.push(...lines.map((l) => l.text));
  }

  private suggest(table: Path, key: string): string {
    // A near miss in the same table is nearly always a typo or a wrong case.
    const leaf = key.toLowerCase();
    const hit = tableKeys(table).find((s) => s.toLowerCase() === leaf || s.toLowerCase().replace(/_/g, '') === leaf.replace(/_/g, ''));
    return hit ? ` (did you mean "${hit}"?)` : '';
  }

  /** imap.mailboxes: names used once, exactly one password source each, resolved into `password`. */
  mailboxes(input: unknown): (string | undefined)[] {
    const list = valueAt(input, ['imap', 'mailboxes']);
    if (!Array.isArray(list)) return [];
    const names = new Set<string>();
    return list.map((mb, i) => {
      if (!isTable(mb)) return undefined;
      const p = `imap.mailboxes[${i}]`;
      if (typeof mb.name === 'string' && mb.name.trim() !== '') {
        if (names.has(mb.name)) this.fail(`${p}.name`, 'a name not used by another mailbox', mb.name);
        names.add(mb.name);
      }
      return this.resolvePassword(p, mb);
    });
  }

  private resolvePassword(p: string, mb: Table): string | undefined {
    const given = ['password', 'passwordFile', 'passwordEnv'].filter((k) => mb[k] !== undefined);
    if (given.length !== 1) {
      this.problems.push(
        `${this.file}: ${p}: expected exactly one of password, passwordFile, passwordEnv, got ${given.length ? given.join(' + ') : 'none'}`,
      );
      return undefined;
    }
    return this.secret(p, mb.passwordFile, mb.passwordEnv);
  }

  /** Read a secret from a file (trailing newline dropped) or an environment variable. */
  secret(p: string, file: unknown, env: unknown): string | undefined {
    if (typeof file === 'string') {
      try {
        return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'error';
        this.problems.push(`${this.file}: ${p}.passwordFile: expected a readable file, got ${JSON.stringify(file)} (${code})`);
        return undefined;
      }
    }
    if (typeof env === 'string') {
      const val = process.env[env];
      if (val === undefined || val === '') {
        this.problems.push(`${this.file}: ${p}.passwordEnv: expected environment variable ${env} to be set, got unset`);
        return undefined;
      }
      return val;
    }
    return undefined;
  }
}

/** The parsed document with every table a plain object (arrays and other values as they are). */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (isTable(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

/** Checks that involve more than one key. */
function crossCheck(c: Checker, cfg: Config): void {
  const f = c.file;
  const tls = cfg.intake.smtp.tls;
  if ((tls.cert === undefined) !== (tls.key === undefined))
    c.problems.push(`${f}: intake.smtp.tls: expected both cert and key or neither, got only ${tls.cert ? 'cert' : 'key'}`);
  const esc = cfg.state.escalation;
  if (esc.distinctDays > esc.withinDays)
    c.fail('state.escalation.distinctDays', `integer <= state.escalation.withinDays (${esc.withinDays})`, esc.distinctDays);
  if (cfg.verp.requireSignature && cfg.verp.keys.length === 0)
    c.problems.push(`${f}: verp.requireSignature: expected at least one key in verp.keys / keysFile / keysEnv when true, got none`);
  const sm = cfg.control.socketmap;
  if (sm.enabled && sm.socket !== undefined && sm.socket === cfg.control.socket)
    c.fail('control.socketmap.socket', 'a path different from control.socket', sm.socket);
}

/**
 * store.* for PostgreSQL: a URL when the backend is postgresql, a postgresql:// URL without a
 * password (URLs reach logs and `ps`), at most one password source, and that source readable now
 * (the password itself is read again where it is used: storePassword, so it never sits in the
 * Config that show-config prints).
 */
function checkStore(c: Checker, store: Config['store']): void {
  const f = c.file;
  if (store.passwordFile !== undefined && store.passwordEnv !== undefined)
    c.problems.push(`${f}: store: expected at most one of passwordFile, passwordEnv, got both`);
  else c.secret('store', store.passwordFile, store.passwordEnv);
  if (store.url !== undefined) {
    let u: URL | undefined;
    try {
      u = new URL(store.url);
    } catch {
      c.problems.push(`${f}: store.url: expected a URL like postgresql://rebound@db.example:5432/rebound, got a string that is not a URL`);
    }
    if (u && u.protocol !== 'postgresql:' && u.protocol !== 'postgres:')
      c.problems.push(`${f}: store.url: expected a postgresql:// URL, got scheme ${JSON.stringify(u.protocol.replace(/:$/, ''))}`);
    if (u && (u.password !== '' || /(^|&)password=/i.test(u.search.slice(1))))
      c.problems.push(`${f}: store.url: a password in the URL is not accepted (it would show in logs); use store.passwordFile or store.passwordEnv`);
  }
  if (store.backend === 'postgresql' && store.url === undefined) c.problems.push(`${f}: store.url: required when store.backend = "postgresql"`);
}

/** The PostgreSQL password from store.passwordFile / store.passwordEnv (undefined: none; the URL's
 *  user then connects without one, or with PGPASSWORD). Throws ConfigError when it cannot be read. */
export function storePassword(store: Config['store']): string | undefined {
  const c = new Checker('store');
  const pw = c.secret('store', store.passwordFile, store.passwordEnv);
  if (c.problems.length > 0) throw new ConfigError(c.problems.join('\n'), c.problems);
  return pw;
}

/** verp.keys with the extra entries of verp.keysFile / verp.keysEnv appended. */
function resolveVerpKeys(c: Checker, verp: Config['verp']): string[] {
  const keys = [...verp.keys];
  if (verp.keysFile !== undefined) {
    try {
      keys.push(...readFileSync(verp.keysFile, 'utf8').split(/\r?\n/).map((s) => s.trim()).filter((s) => s && !s.startsWith('#')));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      c.problems.push(`${c.file}: verp.keysFile: expected a readable file, got ${JSON.stringify(verp.keysFile)} (${code})`);
    }
  }
  if (verp.keysEnv !== undefined) {
    const val = process.env[verp.keysEnv];
    if (val === undefined || val === '')
      c.problems.push(`${c.file}: verp.keysEnv: expected environment variable ${verp.keysEnv} to be set, got unset`);
    else keys.push(...val.split(',').map((s) => s.trim()).filter(Boolean));
  }
  return keys;
}

/**
 * intake.lmtp.socket turns LMTP on by itself: setting the socket is how one asks for LMTP on a
 * socket, and the example file's `enabled = false` (meant for host:port) must not silently keep
 * it off. `enabled` alone turns on LMTP over TCP.
 */
function enableLmtpBySocket(cfg: Config): void {
  if (cfg.intake.lmtp.socket !== undefined) cfg.intake.lmtp.enabled = true;
}

/** The TLS certificate and key: readable PEM files that belong together (serve reads them at start). */
function checkTlsFiles(c: Checker, cfg: Config): void {
  const tls = cfg.intake.smtp.tls;
  if (!cfg.intake.smtp.enabled || tls.cert === undefined || tls.key === undefined) return;
  const read = (key: 'cert' | 'key'): Buffer | undefined => {
    const path = tls[key]!;
    try {
      if (!statSync(path).isFile()) throw Object.assign(new Error('not a file'), { code: 'not a regular file' });
      return readFileSync(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      c.problems.push(`${c.file}: intake.smtp.tls.${key}: expected a readable file, got ${JSON.stringify(path)} (${code})`);
      return undefined;
    }
  };
  const cert = read('cert');
  const key = read('key');
  if (!cert || !key) return;
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    c.problems.push(`${c.file}: intake.smtp.tls: expected a PEM certificate and its private key, got ${(err as Error).message} (cert ${JSON.stringify(tls.cert)}, key ${JSON.stringify(tls.key)})`);
  }
}

export interface LoadOptions {
  /** Also read and check the files the daemon reads at start (TLS cert/key). */
  files?: boolean;
}

/** Validate an already-parsed TOML document (exported for tests and for show-config). */
export function configFromObject(input: unknown, file = 'rebound.toml', opts: LoadOptions = {}): Config {
  const c = new Checker(file);
  // smol-toml's tables have no prototype; the schema library prints values with String().
  const [error, parsed] = validate(plain(input), configSchema, { coerce: true });
  if (error) c.schemaIssues(input, error);
  const passwords = c.mailboxes(input);
  const cfg = error ? undefined : (parsed as Config);
  if (cfg) {
    cfg.imap.mailboxes.forEach((mb, i) => {
      const pw = passwords[i];
      if (pw !== undefined) mb.password = pw;
    });
    enableLmtpBySocket(cfg);
    cfg.verp.keys = resolveVerpKeys(c, cfg.verp);
    checkStore(c, cfg.store);
  }
  if (cfg && c.problems.length === 0) crossCheck(c, cfg);
  if (cfg && c.problems.length === 0 && opts.files) checkTlsFiles(c, cfg);
  if (!cfg || c.problems.length > 0) throw new ConfigError(c.problems.join('\n'), c.problems);
  return deepFreeze(cfg);
}

/**
 * Load the config. No path: the embedded defaults (frozen copy). Throws ConfigError on any
 * problem, including a missing file or a TOML syntax error.
 */
export function loadConfig(path?: string, opts: LoadOptions = {}): Config {
  if (path === undefined) return configFromObject({}, '(defaults)', opts);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(`${path}: cannot read config file (${code})`);
  }
  let doc: unknown;
  try {
    doc = parseToml(text);
  } catch (err) {
    if (err instanceof TomlError)
      throw new ConfigError(`${path}: TOML syntax error at line ${err.line}, column ${err.column}: ${err.message.split('\n')[0]}`);
    throw new ConfigError(`${path}: TOML syntax error: ${(err as Error).message}`);
  }
  return configFromObject(doc, path, opts);
}

/** The effective config as TOML-ish JSON with secrets replaced, for show-config and logs. */
export function redactConfig(cfg: Config): unknown {
  const walk = (v: unknown, path: (string | number)[]): unknown => {
    if (isSecretPath(path)) {
      if (Array.isArray(v)) return v.map(() => '(secret)');
      return v === undefined ? v : '(secret)';
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...path, i]));
    if (isTable(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, [...path, k])]));
    return v;
  };
  return walk(cfg, []);
}

export { defaultConfig };

/** A (redacted) config, or part of one, as TOML text (check-config --show). */
export function configToToml(value: Record<string, unknown>): string {
  return stringifyToml(value);
}

/**
 * The config file a command should read: its `-c/--config` option, else $REBOUND_CONFIG, else
 * none (the embedded defaults). Callers pass the result to loadConfig().
 */
export function resolveConfigPath(option?: string): string | undefined {
  if (option !== undefined && option !== '') return option;
  const env = process.env.REBOUND_CONFIG;
  return env !== undefined && env !== '' ? env : undefined;
}
