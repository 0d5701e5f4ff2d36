/**
 * Postfix driver: the installed Debian postfix, as a private instance (test/support/postfix-instance.mjs)
 * with relayhost = the scripted MX; delay warnings and queue lifetime in seconds.
 */
import { execFileSync } from 'node:child_process';
import { startPostfix } from '../../../test/support/postfix-instance.mjs';
import { postfixMissing } from '../../../test/support/postfix.js';
import { MTA_HOSTNAME, type MtaDriver } from './types.js';

export const postfix: MtaDriver = {
  name: 'postfix',
  missing: postfixMissing,
  async start({ mx: mxPort }, times) {
    const pf = await startPostfix({
      main: {
        myhostname: MTA_HOSTNAME,
        mydomain: 'example.org',
        relayhost: `[127.0.0.1]:${mxPort}`,
        delay_warning_time: `${times.warn}s`,
        maximal_queue_lifetime: `${times.lifetime}s`,
        bounce_queue_lifetime: `${times.lifetime}s`,
        minimal_backoff_time: '5s',
        maximal_backoff_time: '10s',
        queue_run_delay: '5s',
      },
    });
    const version = execFileSync('/usr/sbin/postconf', ['-c', `${pf.dir}/etc`, '-h', 'mail_version'], { encoding: 'utf8' }).trim();
    return {
      submitPort: pf.port,
      version: `Postfix ${version}`,
      flush: () => pf.flush(),
      logTail: () => pf.log().split('\n').slice(-40).join('\n'),
      stop: () => pf.stop(),
    };
  },
};
