/**
 * cli/check-config - `rebound check-config [-c FILE] [--as-user USER]` validates a config file and
 * exits 0 (ok; warnings on stderr) or 2 (every problem listed on stderr); `rebound show-config
 * [-c FILE] [--json] [--changed]` prints the effective config (defaults merged, secrets replaced),
 * like `postconf` / `postconf -n`.
 *
 * Beyond the values, check-config reads every file the config names (verp.keysFile, IMAP
 * passwordFile, the TLS certificate and key) and checks the places the daemon writes to and the
 * socket groups (config/check.ts), as the user running it. `--as-user rebound` (as root) checks
 * as the service user, with its groups and its home as working directory, as systemd will start
 * the daemon. Run as root without it, check-config also checks as the unit's user `rebound` when
 * that user exists, and warns when that check fails: root reads what the service cannot.
 * Config: all keys (read through config/load.ts); file from -c, else $REBOUND_CONFIG, else defaults.
 */
import { spawnSync } from 'node:child_process';
import type { Command } from 'commander';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { checkEnvironment } from '../config/check.js';
import { ConfigError, configToToml, loadConfig, redactConfig, resolveConfigPath } from '../config/load.js';
import { defaultConfig } from '../config/schema.js';
import { becomeUser, lookupUser } from './as-user.js';

/** The unit's User= (systemd/rebound.service). */
export const SERVICE_USER = 'rebound';

interface CheckOpts {
  config?: string;
  asUser?: string;
  serviceUser: string;
}

export function register(program: Command): void {
  program
    .command('check-config')
    .description('validate the configuration and the files and directories it names; exit 0 if fine, 2 with every problem listed')
    .option('-c, --config <file>', 'config file (default: $REBOUND_CONFIG, else built-in defaults)')
    .option('--as-user <user>', `check as this user (root only), e.g. the service user "${SERVICE_USER}": its groups, its home as working directory`)
    .option('--service-user <user>', "the unit's User=: as root without --as-user, also check as this user and warn if that fails", SERVICE_USER)
    .action((opts: CheckOpts) => {
      const r = checkConfig(opts.config, { asUser: opts.asUser, serviceUser: opts.serviceUser });
      for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
      process.stdout.write(r.ok);
    });
  program
    .command('show-config')
    .description('print the effective configuration (defaults merged, secrets hidden)')
    .option('-c, --config <file>', 'config file (default: $REBOUND_CONFIG, else built-in defaults)')
    .option('--json', 'print JSON instead of TOML')
    .option('--changed', 'print only keys that differ from the defaults (like postconf -n)')
    .action((opts: { config?: string; json?: boolean; changed?: boolean }) => {
      process.stdout.write(showConfig(opts.config, { json: Boolean(opts.json), changed: Boolean(opts.changed) }));
    });
}

/**
 * Throws ConfigError (exit 2) listing every problem; returns the OK line and the warnings.
 * how.asUser switches this process to that user first (irreversibly: check-config is one-shot).
 */
export function checkConfig(option?: string, how: { asUser?: string; serviceUser?: string } = {}): { ok: string; warnings: string[] } {
  const given = resolveConfigPath(option);
  // Absolute, so that it names the same file after --as-user changes the working directory.
  const path = given === undefined ? undefined : resolve(given);
  const as = how.asUser !== undefined ? becomeUser(how.asUser) : undefined;
  const uid = process.getuid?.() ?? -1;
  const gids = [...new Set([process.getegid?.() ?? -1, ...(process.getgroups?.() ?? [])])];
  const name = as?.name ?? safeUserName();
  let cfg;
  try {
    cfg = loadConfig(path, { files: true });
  } catch (err) {
    if (err instanceof ConfigError && as) throw new ConfigError(`${err.message}\n(checked as user ${name})`, err.problems);
    throw err;
  }
  const env = checkEnvironment(cfg, path ?? '(defaults)', { uid, gids, cwd: process.cwd() });
  if (env.problems.length > 0) {
    const problems = [...env.problems, ...(as ? [`(checked as user ${name}, groups ${gids.join(',')}, working directory ${process.cwd()})`] : [])];
    throw new ConfigError(problems.join('\n'), problems);
  }
  const warnings = [...env.warnings];
  // Root reads everything: also try as the service user, whose view is the one that matters.
  const service = how.serviceUser ?? SERVICE_USER;
  if (!as && uid === 0 && path !== undefined && lookupUser(service)) {
    const r = spawnSync(process.execPath, [process.argv[1]!, 'check-config', '-c', path, '--as-user', service], {
      encoding: 'utf8',
      env: { ...process.env, REBOUND_CONFIG: '' },
    });
    if (r.status !== 0) {
      const lines = `${r.stderr ?? ''}`.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('warning: '));
      for (const l of lines.length ? lines : [`exit ${r.status}`]) warnings.push(`as the service user ${service}: ${l.replace(/^rebound: /, '')}`);
      warnings.push(`root can read what ${service} cannot: fix the above, then check with: rebound check-config --as-user ${service} -c ${path}`);
    }
  }
  const who = `checked as user ${name}${as ? `, groups ${gids.join(',')}, working directory ${process.cwd()}` : ''}`;
  return { ok: `${path ?? '(built-in defaults)'}: configuration OK (${who})\n`, warnings };
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}

export function showConfig(option: string | undefined, how: { json: boolean; changed: boolean }): string {
  const cfg = redactConfig(loadConfig(resolveConfigPath(option))) as Record<string, unknown>;
  const shown = how.changed ? (changedOnly(cfg, defaultConfig) ?? {}) : cfg;
  if (how.json) return `${JSON.stringify(shown, null, 2)}\n`;
  const toml = configToToml(shown);
  return toml.endsWith('\n') ? toml : `${toml}\n`;
}

/** The subset of `v` that differs from `def` (whole arrays compared by value). */
function changedOnly(v: unknown, def: unknown): Record<string, unknown> | undefined {
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const d = (typeof def === 'object' && def !== null ? def : {}) as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const isTable = typeof x === 'object' && x !== null && !Array.isArray(x);
      if (isTable) {
        const sub = changedOnly(x, d[k]);
        if (sub) out[k] = sub;
      } else if (JSON.stringify(x) !== JSON.stringify(d[k])) out[k] = x;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return undefined;
}
