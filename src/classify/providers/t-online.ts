/**
 * providers/t-online - Deutsche Telekom T-Online (mx*.t-online.de, rx.t-online.de). Its refusals
 * read "IP=<ip> - A problem occurred. (Ask your postmaster for help or to contact tosa@rx.t-online.de
 * to clarify.) (<tag>)", the tag naming the cause: (BL) block list, none/bad reputation.
 * In: Context. Out: a reason or null. Config keys: none.
 */
import type { Provider } from '../rules.js';

const SRC = 'Deutsche Telekom T-Online postmaster (postmaster.t-online.de)';

export const provider: Provider = {
  name: 't-online',
  hosts: /\bt-online\.de\b/,
  marks: /\bask your postmaster for help or to contact \S+ to clarify\b/,
  rules: [
    { pattern: /\(bl\)/, reason: 'blocked', seen: '554 IP=192.0.2.254 - A problem occurred. (Ask your postmaster for help or to contact tosa@rx.t-online.de to clarify.) (BL)', variant: "554 IP=192.0.2.1 - A problem occurred. (Ask your postmaster for help or to contact tosa@rx.t-online.de to clarify.) (BL)", source: SRC, note: 'the sending IP is on a block list' },
    { pattern: /\bnone\/bad reputation\b|\bbad reputation\b/, reason: 'badreputation', seen: '554 IP=192.0.2.1 - A problem occurred. (Ask your postmaster for help or to contact tosa@rx.t-online.de to clarify.) none/bad reputation', variant: "554 IP=192.0.2.9 - bad reputation. (Ask your postmaster for help or to contact tosa@rx.t-online.de to clarify.)", source: SRC },
  ],
};
