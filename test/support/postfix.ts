/**
 * postfix - run a private Postfix instance for tests: its own config and queue under a fresh temp
 * dir, smtpd on a free loopback port, chroot off, no DNS, log to a file. `postfix -c DIR start`
 * as root (CI and this machine); stop() runs `postfix -c DIR stop` and removes the dir. The
 * instance itself is postfix-instance.mjs (plain JS, shared with bench/postfix-intake.mjs).
 *
 * In: extra main.cf parameters and an optional transport map. Out: the instance (port, dir,
 * log(), queue()). postfixMissing() says why a test must skip (or fail, under CI).
 */
import { existsSync } from 'node:fs';

const POSTFIX = '/usr/sbin/postfix';

/** Why Postfix cannot run here, or '' when it can. */
export function postfixMissing(): string {
  if (!existsSync(POSTFIX)) return 'postfix is not installed (apt-get install postfix; .ci/run does)';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'a private postfix instance needs root';
  return '';
}

export { freePort, startPostfix } from './postfix-instance.mjs';

export type { PostfixInstance, PostfixOptions } from './postfix-instance.mjs';
