/**
 * cli/check-config - `rebound check-config [-c FILE]` validates a config file and exits 0 (ok) or
 * 2 (every problem listed on stderr); `rebound show-config [-c FILE] [--json] [--changed]` prints
 * the effective config (defaults merged, secrets replaced), like `postconf` / `postconf -n`.
 * Config: all keys (read through config/load.ts); file from -c, else $REBOUND_CONFIG, else defaults.
 */
import type { Command } from 'commander';
import { stringify } from 'smol-toml';
import { loadConfig, redactConfig, resolveConfigPath } from '../config/load.js';
import { defaultConfig } from '../config/schema.js';

export function register(program: Command): void {
  program
    .command('check-config')
    .description('validate the configuration file; exit 0 if it is fine, 2 with every problem listed')
    .option('-c, --config <file>', 'config file (default: $REBOUND_CONFIG, else built-in defaults)')
    .action((opts: { config?: string }) => {
      process.stdout.write(checkConfig(opts.config));
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

/** Throws ConfigError (exit 2) on a bad file; returns the line to print when it is fine. */
export function checkConfig(option?: string): string {
  const path = resolveConfigPath(option);
  loadConfig(path);
  return `${path ?? '(built-in defaults)'}: configuration OK\n`;
}

export function showConfig(option: string | undefined, how: { json: boolean; changed: boolean }): string {
  const cfg = redactConfig(loadConfig(resolveConfigPath(option))) as Record<string, unknown>;
  const shown = how.changed ? (changedOnly(cfg, defaultConfig) ?? {}) : cfg;
  if (how.json) return `${JSON.stringify(shown, null, 2)}\n`;
  const toml = stringify(shown);
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
