#!/usr/bin/env node
/**
 * bench/postfix-intake - a real MTA's durable intake on this machine, the comparison for
 * bench:smtp. A private Postfix (test/support/postfix-instance.mjs, the tests' instance) receives
 * mail for the bounce domain and hands it to the `discard` transport; each message is written to a
 * queue file that cleanup fsyncs before smtpd answers 250 (what rebound promises with its WAL sync).
 * Postfix syncs each message on its own (no group commit) and queues, schedules and delivers too.
 * bench:smtp starts the same instance (startPostfixIntake) and alternates it with rebound, both
 * driven by the same client; run alone here, Postfix's smtp-source drives it, connections reused.
 *
 * Run: npm run bench:postfix [-- --rounds 3 --count 10000 --clients 20] (root, Postfix installed).
 * Prints the acknowledged rate per round and the median.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { startPostfix } from '../test/support/postfix-instance.mjs';
import { SMTP_SOURCE, smtpSourceArgs } from './smtp-client.mjs';

/** Why a private Postfix cannot run here, or ''. */
export function postfixIntakeMissing() {
  if (!existsSync('/usr/sbin/postfix')) return 'Postfix is not installed (apt-get install postfix)';
  if (process.getuid?.() !== 0) return 'a private Postfix instance needs root';
  return '';
}

/**
 * A private Postfix that accepts mail for bounces.localhost (the benches' bounce domain) and
 * discards it after queueing. Returns the instance (port, queued(), stop(), ...) and settle(),
 * which waits until the queue is empty (a run's deliveries must not overlap the next run).
 */
export async function startPostfixIntake() {
  const pf = await startPostfix({
    // No maillog_file: its postlogd cannot keep up with ~5 lines a message and would be measured
    // instead (it died of a watchdog timeout in a first try). With no syslog daemon, logs are dropped.
    main: { relay_domains: 'bounces.localhost', smtpd_client_connection_count_limit: '0', smtpd_client_message_rate_limit: '0', smtpd_client_connection_rate_limit: '0', maillog_file: '' },
    transport: ['bounces.localhost discard:'],
  });
  const settle = async () => {
    for (let i = 0; i < 240 && pf.queued() > 0; i++) await new Promise((r) => setTimeout(r, 500));
  };
  return { pf, settle, version: execFileSync('/usr/sbin/postconf', ['-d', '-h', 'mail_version'], { encoding: 'utf8' }).trim() };
}

async function main() {
  const args = process.argv.slice(2);
  const opt = (name, def) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : def;
  };
  const ROUNDS = opt('rounds', 3);
  const COUNT = opt('count', 10_000);
  const CLIENTS = opt('clients', 20);
  const missing = postfixIntakeMissing() || (existsSync(SMTP_SOURCE) ? '' : `${SMTP_SOURCE} is missing`);
  if (missing) {
    console.error(missing);
    process.exit(2);
  }
  const { pf, settle, version } = await startPostfixIntake();
  const send = (n) => {
    const t = performance.now();
    execFileSync(SMTP_SOURCE, smtpSourceArgs(pf.port, { sessions: CLIENTS, count: n }), { timeout: 600_000 });
    return n / ((performance.now() - t) / 1000);
  };
  try {
    send(2000); // warm-up: process start-up, queue directories
    await settle();
    const rates = [];
    for (let r = 0; r < ROUNDS; r++) {
      rates.push(send(COUNT));
      await settle(); // delivery (discard) of this round must not run during the next
    }
    const sorted = [...rates].sort((a, b) => a - b);
    console.log(`Postfix ${version}, smtp-source -d -s ${CLIENTS} -l 1500, ${COUNT} messages per round`);
    console.log(`acknowledged (queue file fsynced) per second, per round: ${rates.map((x) => x.toFixed(0)).join(', ')}; median ${sorted[Math.floor((sorted.length - 1) / 2)].toFixed(0)}`);
  } finally {
    await pf.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
