/**
 * Exim driver: Debian's exim4-daemon-light from apt-get download + dpkg -x (it conflicts with the
 * installed Postfix), run by test/support/exim-instance.mjs. Everything is routed to the scripted
 * MX; delay warnings after `warn` seconds; a temporarily failing address is given up once the
 * retry rule's cutoff (`lifetime`) has passed.
 */
import { eximMissing, startExim } from '../../../test/support/exim-instance.mjs';
import { MTA_HOSTNAME, type MtaDriver } from './types.js';

export const exim: MtaDriver = {
  name: 'exim',
  missing: eximMissing,
  async start({ mx: mxPort }, times) {
    const x = await startExim({
      main: {
        primary_hostname: MTA_HOSTNAME,
        qualify_domain: 'example.org',
        delay_warning: `${times.warn}s`,
      },
      routers: 'smarthost:\n  driver = manualroute\n  route_list = * 127.0.0.1\n  transport = remote_smtp\n  self = send\n  no_more',
      transports: `remote_smtp:\n  driver = smtp\n  port = ${mxPort}\n  hosts_try_fastopen =\n  hosts_try_chunking =`,
      retry: `*  *  F,${times.lifetime}s,5s`,
      queueInterval: '5s',
    });
    return {
      submitPort: x.port,
      version: x.version,
      flush: () => void x.queueRun(),
      logTail: () => x.log().split('\n').slice(-40).join('\n'),
      stop: () => x.stop(),
    };
  },
};
