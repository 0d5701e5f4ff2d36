/**
 * providers/gmx - GMX and WEB.DE (United Internet: mx*.gmx.net, mx*.web.de). Their servers answer
 * with a plain reply code (no enhanced code), a description and a postmaster URL whose "c=" parameter
 * names the case; the description alone says what happened (postmaster.gmx.net/en/error-messages).
 */
import type { Provider } from '../rules.js';

const GMX = 'GMX/WEB.DE postmaster: error messages when sending to GMX (postmaster.gmx.net/en/error-messages, postmaster.web.de)';

export const provider: Provider = {
  name: 'gmx',
  hosts: /\b(?:gmx\.(?:net|de|com|at|ch|fr|es|co\.uk|us)|web\.de|mail\.com|1and1\.[a-z]{2,3}|ionos\.[a-z]{2,3}|kundenserver\.de)\b/,
  marks: /\bpostmaster\.(?:gmx|web)\.(?:net|de|com)\b/,
  rules: [
    { pattern: /\b(?:ip address|ip|sender address|domain) is block ?listed\b|\bblock ?list\b/, reason: 'blocked', seen: '554-IP address is block listed. 554 For explanation visit https://postmaster.gmx.net/en/case?c=r0201&i=ip&v=198.51.100.42', variant: '554 IP address is block listed. For explanation visit https://postmaster.web.de/en/case?c=r0201', source: `${GMX} (example: "IP address is block listed", case r0201)` },
    { pattern: /\breject due to policy (?:violations|restrictions)\b/, reason: 'blocked', seen: '421 Reject due to policy violations', variant: '554-Transaction failed 554 Reject due to policy restrictions. For explanation visit https://postmaster.gmx.net/en/case?c=r0701', source: `${GMX} (policy rejections of the sending IP: delivery quality or HELO behaviour)` },
    { pattern: /\brate limit reached\b/, reason: 'speeding', seen: '421 Rate limit reached. Please try again later', variant: "421-gmx.net (mxgmx011) Nemesis ESMTP Service not available 421 Rate limit reached. Please try again later", source: GMX },
    { pattern: /\buser has exhausted allowed storage space\b|\bspeichervolumen (?:\S{1,20} )?(?:ueberschritten|überschritten)\b|\btoo many messages on the server\b/, reason: 'mailboxfull', seen: '550 Benutzer hat das Speichervolumen ueberschritten. / User has exhausted allowed storage space.', variant: '550 Benutzer hat zuviele Mails auf dem Server. / User has too many messages on the server.', source: GMX },
    { pattern: /\buser is inactive\b/, reason: 'suspend', seen: '550 5.2.1 <x@gmx.de>... User is inactive', variant: "550 5.2.1 <x@web.de>... user is inactive", source: GMX },
    { pattern: /\buser is unknown\b|\bbenutzer nicht bekannt\b|\bunknown local part\b|\bmailbox unavailable\b/, reason: 'userunknown', seen: '550 5.1.1 <x@gmx.de>... User is unknown', variant: '550 Benutzer nicht bekannt/User unknown', source: GMX },
  ],
};
