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
import {
  configRules,
  defaultConfig,
  defaultMailbox,
  isSecretKey,
  type Config,
  type Rule,
} from './schema.js';

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

// node-cron lives in jobs/; a light shape check here catches typos at start-up, and
// node-cron's own validation runs again when jobs start.
const CRON_FIELD = /^(\*|\?|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/[0-9]+)?(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/[0-9]+)?)*$/;
function isCron(s: string): boolean {
  const fields = s.trim().split(/\s+/);
  return (fields.length === 5 || fields.length === 6) && fields.every((f) => CRON_FIELD.test(f));
}

function ruleFor(def: unknown): Rule | undefined {
  if (typeof def === 'boolean') return { kind: 'bool' };
  if (typeof def === 'number') return { kind: 'int', min: 0, max: Number.MAX_SAFE_INTEGER };
  if (typeof def === 'string') return { kind: 'string' };
  if (Array.isArray(def)) return { kind: 'strings' };
  return undefined;
}

class Checker {
  readonly problems: string[] = [];
  constructor(readonly file: string) {}

  fail(path: string, expected: string, got: unknown, secret = false): void {
    this.problems.push(`${this.file}: ${path}: expected ${expected}, got ${shown(got, secret)}`);
  }

  /** Check one scalar/array value; returns the value to store, or undefined after a failure. */
  value(path: string, rulePath: string, rule: Rule, v: unknown): unknown {
    const secret = isSecretKey(rulePath);
    switch (rule.kind) {
      case 'bool':
        if (typeof v !== 'boolean') return this.fail(path, 'true or false', v);
        return v;
      case 'int':
      case 'port': {
        const [min, max] = rule.kind === 'port' ? [1, 65535] : [rule.min, rule.max];
        const what = max === Number.MAX_SAFE_INTEGER ? `integer >= ${min}` : `integer ${min}-${max}`;
        if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) return this.fail(path, what, v);
        return v;
      }
      case 'mode': {
        // TOML has octal literals (0o660); a quoted "0660" is accepted too, since sysadmins write that.
        const n = typeof v === 'string' && /^0?[0-7]{3}$/.test(v) ? parseInt(v, 8) : v;
        if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0o777)
          return this.fail(path, 'file mode 0o000-0o777 (e.g. 0o660)', v);
        return n;
      }
      case 'enum':
        if (typeof v !== 'string' || !rule.values.includes(v))
          return this.fail(path, `one of ${rule.values.map((x) => JSON.stringify(x)).join(', ')}`, v);
        return v;
      case 'string':
        if (typeof v !== 'string') return this.fail(path, 'string', v, secret);
        if (rule.nonEmpty && v.trim() === '') return this.fail(path, 'non-empty string', v);
        if (rule.cron && !isCron(v)) return this.fail(path, 'cron expression like "*/5 * * * *"', v);
        return v;
      case 'strings':
        if (!Array.isArray(v)) return this.fail(path, 'array of strings', v, secret);
        for (const [i, x] of v.entries())
          if (typeof x !== 'string' || (rule.nonEmpty && x.trim() === ''))
            return this.fail(`${path}[${i}]`, rule.nonEmpty ? 'non-empty string' : 'string', x, secret);
        if (rule.nonEmpty && v.length === 0) return this.fail(path, 'at least one entry', v);
        return [...v];
      case 'mailboxes':
        return this.mailboxes(path, v);
    }
  }

  /** Merge `input` over `defaults`, checking every key. */
  table(path: string, rulePath: string, input: unknown, defaults: Table): Table | undefined {
    if (!isTable(input)) {
      this.fail(path || '(top level)', 'table', input);
      return undefined;
    }
    const out: Table = structuredClone(defaults);
    for (const [key, v] of Object.entries(input)) {
      const p = path ? `${path}.${key}` : key;
      const rp = rulePath ? `${rulePath}.${key}` : key;
      const def = defaults[key];
      const rule = configRules[rp];
      if (isTable(def) && rule === undefined) {
        const sub = this.table(p, rp, v, def);
        if (sub) out[key] = sub;
        continue;
      }
      const r = rule ?? ruleFor(def);
      if (r === undefined) {
        this.problems.push(`${this.file}: ${p}: unknown key${this.suggest(rp)}`);
        continue;
      }
      const checked = this.value(p, rp, r, v);
      if (checked !== undefined) out[key] = checked;
    }
    return out;
  }

  private suggest(rulePath: string): string {
    // A near miss in the same table is nearly always a typo or a wrong case.
    const dot = rulePath.lastIndexOf('.');
    const prefix = rulePath.slice(0, dot + 1);
    const leaf = rulePath.slice(dot + 1).toLowerCase();
    const siblings = new Set<string>();
    for (const k of Object.keys(configRules)) if (k.startsWith(prefix)) siblings.add(k.slice(prefix.length).split('.')[0]!);
    let node: unknown = rulePath.includes('[]') ? defaultMailbox : defaultConfig;
    if (!rulePath.includes('[]'))
      for (const part of prefix.split('.').filter(Boolean)) node = isTable(node) ? node[part] : undefined;
    if (isTable(node)) for (const k of Object.keys(node)) siblings.add(k);
    const hit = [...siblings].find((s) => s.toLowerCase() === leaf || s.toLowerCase().replace(/_/g, '') === leaf.replace(/_/g, ''));
    return hit ? ` (did you mean "${hit}"?)` : '';
  }

  private mailboxes(path: string, v: unknown): unknown[] | undefined {
    if (!Array.isArray(v)) {
      this.fail(path, 'array of tables ([[imap.mailboxes]])', v);
      return undefined;
    }
    const out: unknown[] = [];
    const names = new Set<string>();
    for (const [i, item] of v.entries()) {
      const p = `${path}[${i}]`;
      const mb = this.table(p, 'imap.mailboxes[]', item, defaultMailbox);
      if (!mb) continue;
      for (const req of ['name', 'host', 'user'])
        if (mb[req] === undefined) this.problems.push(`${this.file}: ${p}.${req}: required key is missing`);
      if (typeof mb.name === 'string') {
        if (names.has(mb.name)) this.fail(`${p}.name`, 'a name not used by another mailbox', mb.name);
        names.add(mb.name);
      }
      this.resolvePassword(p, mb);
      out.push(mb);
    }
    return out;
  }

  private resolvePassword(p: string, mb: Table): void {
    const given = ['password', 'passwordFile', 'passwordEnv'].filter((k) => mb[k] !== undefined);
    if (given.length !== 1) {
      this.problems.push(
        `${this.file}: ${p}: expected exactly one of password, passwordFile, passwordEnv, got ${given.length ? given.join(' + ') : 'none'}`,
      );
      return;
    }
    const secret = this.secret(p, mb.passwordFile, mb.passwordEnv);
    if (secret !== undefined) mb.password = secret;
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

/** Resolve verp.keysFile / verp.keysEnv into extra entries of verp.keys. */
function resolveVerpKeys(c: Checker, verp: Table): void {
  const keys = Array.isArray(verp.keys) ? [...(verp.keys as string[])] : [];
  if (typeof verp.keysFile === 'string') {
    try {
      keys.push(...readFileSync(verp.keysFile, 'utf8').split(/\r?\n/).map((s) => s.trim()).filter((s) => s && !s.startsWith('#')));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      c.problems.push(`${c.file}: verp.keysFile: expected a readable file, got ${JSON.stringify(verp.keysFile)} (${code})`);
    }
  }
  if (typeof verp.keysEnv === 'string') {
    const val = process.env[verp.keysEnv];
    if (val === undefined || val === '')
      c.problems.push(`${c.file}: verp.keysEnv: expected environment variable ${verp.keysEnv} to be set, got unset`);
    else keys.push(...val.split(',').map((s) => s.trim()).filter(Boolean));
  }
  verp.keys = keys;
}

/**
 * intake.lmtp.socket turns LMTP on by itself: setting the socket is how one asks for LMTP on a
 * socket, and the example file's `enabled = false` (meant for host:port) must not silently keep
 * it off. `enabled` alone turns on LMTP over TCP.
 */
function enableLmtpBySocket(merged: Table): void {
  const lmtp = isTable(merged.intake) && isTable(merged.intake.lmtp) ? merged.intake.lmtp : undefined;
  if (lmtp && typeof lmtp.socket === 'string') lmtp.enabled = true;
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
  const merged = c.table('', '', input, defaultConfig as unknown as Table);
  if (merged) enableLmtpBySocket(merged);
  if (merged && isTable(merged.verp)) resolveVerpKeys(c, merged.verp);
  if (merged && c.problems.length === 0) crossCheck(c, merged as unknown as Config);
  if (merged && c.problems.length === 0 && opts.files) checkTlsFiles(c, merged as unknown as Config);
  if (c.problems.length > 0) throw new ConfigError(c.problems.join('\n'), c.problems);
  return deepFreeze(merged as unknown as Config);
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
  const walk = (v: unknown, rulePath: string): unknown => {
    if (isSecretKey(rulePath)) {
      if (Array.isArray(v)) return v.map(() => '(secret)');
      return v === undefined ? v : '(secret)';
    }
    if (Array.isArray(v)) return v.map((x) => walk(x, `${rulePath}[]`));
    if (isTable(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, rulePath ? `${rulePath}.${k}` : k)]));
    return v;
  };
  return walk(cfg, '');
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
