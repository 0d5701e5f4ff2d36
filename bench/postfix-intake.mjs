#!/usr/bin/env node
/**
 * bench/postfix-intake - context for bench:smtp: how fast a real MTA accepts mail durably on this
 * machine. A private Postfix (test/support/postfix-instance.mjs, the tests' instance) receives
 * from Postfix's smtp-source, with connections reused, exactly as bench:smtp's `--client
 * smtp-source` drives rebound and smtp-sink; each message is written to a queue file that cleanup
 * fsyncs before smtpd answers 250, then qmgr hands it to the `discard` transport. Not a target:
 * Postfix syncs each message on its own (no group commit) and queues, schedules and delivers too.
 *
 * Run: npm run bench:postfix [-- --rounds 3 --count 10000 --clients 20] (root, Postfix installed).
 * Prints the acknowledged rate per round and the median.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { startPostfix } from '../test/support/postfix-instance.mjs';
import { SMTP_SOURCE, smtpSourceArgs } from './smtp-client.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const ROUNDS = opt('rounds', 3);
const COUNT = opt('count', 10_000);
const CLIENTS = opt('clients', 20);

if (!existsSync(SMTP_SOURCE) || !existsSync('/usr/sbin/postfix') || process.getuid?.() !== 0) {
  console.error('needs Postfix (apt-get install postfix) and root, for a private instance');
  process.exit(2);
}

const pf = await startPostfix({
  // No maillog_file: its postlogd cannot keep up with ~5 lines a message and would be measured
  // instead (it died of a watchdog timeout in a first try). With no syslog daemon, logs are dropped.
  main: { relay_domains: 'bounces.localhost', smtpd_client_connection_count_limit: '0', smtpd_client_message_rate_limit: '0', maillog_file: '' },
  transport: ['bounces.localhost discard:'],
});
const send = (n) => {
  const t = performance.now();
  execFileSync(SMTP_SOURCE, smtpSourceArgs(pf.port, { sessions: CLIENTS, count: n }), { timeout: 600_000 });
  return n / ((performance.now() - t) / 1000);
};
const settle = async () => {
  for (let i = 0; i < 120 && pf.queued() > 0; i++) await new Promise((r) => setTimeout(r, 500));
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
  console.log(`Postfix ${execFileSync('/usr/sbin/postconf', ['-d', '-h', 'mail_version'], { encoding: 'utf8' }).trim()}, smtp-source -d -s ${CLIENTS} -l 1500, ${COUNT} messages per round`);
  console.log(`acknowledged (queue file fsynced) per second, per round: ${rates.map((x) => x.toFixed(0)).join(', ')}; median ${sorted[Math.floor((sorted.length - 1) / 2)].toFixed(0)}`);
} finally {
  await pf.stop();
}
