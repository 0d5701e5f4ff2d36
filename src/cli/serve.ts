/**
 * cli/serve - `rebound serve [-c FILE]`: run the daemon in the foreground (systemd Type=simple).
 * In: config file (-c, else $REBOUND_CONFIG, else built-in defaults: SMTP on 127.0.0.1:2525, SQLite
 * under ./data). Out: logs on stdout; exit 0 after SIGTERM/SIGINT drained, 1 when a component fails
 * to start, 2 on a config error. SIGHUP reloads the config (daemon/daemon.ts says what applies live).
 */
import type { Command } from 'commander';
import { loadConfig, resolveConfigPath } from '../config/load.js';
import { secretWarnings } from '../config/check.js';
import { createDaemon } from '../daemon/daemon.js';
import { child, flushLogs } from '../log.js';

export function register(program: Command): void {
  program
    .command('serve')
    .description('run the daemon: SMTP/LMTP intake, IMAP polling, processing, status socket')
    .option('-c, --config <file>', 'config file (default: $REBOUND_CONFIG, else built-in defaults)')
    .action(async (opts: { config?: string }) => {
      await serve(opts.config);
    });
}

export async function serve(option?: string): Promise<void> {
  const path = resolveConfigPath(option);
  // A ConfigError thrown here reaches main.ts, which exits 2 (no restart loop under systemd).
  const config = loadConfig(path, { files: true });
  const log = child('serve');
  for (const w of secretWarnings(config, path, { uid: process.getuid?.() ?? -1, cwd: process.cwd() })) log.warn({ warning: w }, 'secret readable by others');
  const reloadConfig = () => loadConfig(path, { files: true });
  // One daemon; store.backend picks where its state lives (daemon/backend.ts).
  const daemon = createDaemon(config, { reloadConfig });

  let stopped!: () => void;
  const done = new Promise<void>((r) => (stopped = r));
  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutdown requested');
    void daemon.stop().then(stopped, (err: unknown) => {
      log.error({ err }, 'shutdown failed');
      process.exitCode = 1;
      stopped();
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGHUP', () => daemon.reload());

  try {
    await daemon.start();
  } catch (err) {
    await daemon.stop().catch(() => undefined);
    throw err;
  }
  log.info({ config: path ?? '(built-in defaults)' }, 'ready');
  await done;
  flushLogs();
  // Safety net: if a library left a handle open, do not hang systemd's stop; the timer is unref'd,
  // so it only fires when something else is still keeping the process alive.
  setTimeout(() => process.exit(process.exitCode ?? 0), 3000).unref();
}
